package arm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// Config is what the pipeline needs from the server.
type Config struct {
	Store         tokend.Store
	Authenticator tokend.Authenticator // nil: no authentication (tests of the pipeline only)
	Authorizer    tokend.Authorizer    // nil: every authenticated caller may do anything
	// AnyAPIVersion serves unknown api-versions with the newest behaviour.
	AnyAPIVersion bool
	// StrictResourceGroups answers ResourceGroupNotFound to a PUT into a
	// missing group, as Azure does, instead of creating the group.
	StrictResourceGroups bool
	MaxBodyBytes         int64  // default 1 MiB
	GroupPageSize        int    // resource groups per list page; default 100
	PublicURL            string // base URL for absolute links; default: the request's own
	Logger               *slog.Logger
	Now                  func() time.Time
}

// Router dispatches ARM requests (/subscriptions/..., /providers/...) to
// provider handlers through the shared pipeline.
type Router struct {
	cfg       Config
	routes    []*route
	providers map[string]*Provider // by lower-case namespace
	groups    *groupHooks
	knownSubs sync.Map // canonical subscription ids seen to exist
}

// NewRouter returns a router with the Microsoft.Resources operations
// (subscriptions and resource groups) registered.
func NewRouter(cfg Config) *Router {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.GroupPageSize == 0 {
		cfg.GroupPageSize = 100
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	rt := &Router{cfg: cfg, providers: map[string]*Provider{}, groups: &groupHooks{}}
	registerResources(rt)
	return rt
}

// UseAuth sets the authenticator and authorizer; call it before serving.
func (rt *Router) UseAuth(authn tokend.Authenticator, authz tokend.Authorizer) {
	rt.cfg.Authenticator, rt.cfg.Authorizer = authn, authz
}

// Config returns the router's configuration.
func (rt *Router) Config() Config { return rt.cfg }

// Provider is one resource provider namespace: its routes share an error
// family and a set of api-versions.
type Provider struct {
	rt        *Router
	Namespace string
	Family    Family
	Versions  *APIVersions
}

// Provider registers (or returns) a namespace.
func (rt *Router) Provider(namespace string, family Family, versions *APIVersions) *Provider {
	p := &Provider{rt: rt, Namespace: namespace, Family: family, Versions: versions}
	rt.providers[strings.ToLower(namespace)] = p
	return p
}

// Handle registers a route. Pattern is an ARM path with {param} segments,
// e.g. "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.App/containerApps/{containerAppName}".
// Literal segments match case-insensitively. The RBAC action is derived from
// the pattern and method (see deriveAction) unless the route sets one.
//
// A handler of a list nested in a resource (".../service/{serviceName}/
// authorizationServers") must answer 404 when that resource is missing: the
// router then tells a missing resource group from a missing parent, and
// checks the group only then.
func (p *Provider) Handle(method, pattern string, h Handler) {
	p.HandleAction(method, pattern, "", h)
}

// HandleAction registers a route with an explicit RBAC action.
func (p *Provider) HandleAction(method, pattern, action string, h Handler) {
	r := compile(method, pattern, p, h)
	if action != "" {
		r.action = action
	}
	p.rt.routes = append(p.rt.routes, r)
}

type segment struct {
	literal string // lower case; empty for a parameter
	param   string
}

type route struct {
	method   string
	pattern  string
	segs     []segment
	provider *Provider
	handler  Handler
	action   string
	// idLen is how many segments form the addressed resource ID (the rest is
	// a collection type or an action name).
	idLen      int
	collection bool // the last segment is a collection type (list)
	hasSub     bool
	hasGroup   bool
}

func compile(method, pattern string, p *Provider, h Handler) *route {
	r := &route{method: method, pattern: pattern, provider: p, handler: h}
	for _, s := range strings.Split(strings.Trim(pattern, "/"), "/") {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			name := s[1 : len(s)-1]
			r.segs = append(r.segs, segment{param: name})
			switch name {
			case "subscriptionId":
				r.hasSub = true
			case "resourceGroupName":
				r.hasGroup = true
			}
			continue
		}
		r.segs = append(r.segs, segment{literal: strings.ToLower(s)})
	}
	r.idLen = len(r.segs)
	if last := r.segs[len(r.segs)-1]; last.param == "" {
		r.idLen--
		r.collection = method != http.MethodPost
	}
	r.action = deriveAction(r, pattern)
	return r
}

// deriveAction follows Azure's action naming: {namespace}/{types}/read|write|delete,
// and {namespace}/{types}/{action}/action for POST actions.
func deriveAction(r *route, pattern string) string {
	parts := strings.Split(strings.Trim(pattern, "/"), "/")
	var ns string
	var types []string
	for i := 0; i < len(parts); i++ {
		switch {
		case strings.EqualFold(parts[i], "providers") && i+1 < len(parts):
			ns = parts[i+1]
			types = nil
			i++
		case strings.HasPrefix(parts[i], "{"):
		case strings.EqualFold(parts[i], "subscriptions") && ns == "":
			types = append(types, "subscriptions")
		case strings.EqualFold(parts[i], "resourceGroups") && ns == "":
			types = append(types, "resourceGroups")
		default:
			types = append(types, parts[i])
		}
	}
	if ns == "" {
		ns = "Microsoft.Resources"
	}
	last := parts[len(parts)-1]
	if r.method == http.MethodPost && !strings.HasPrefix(last, "{") {
		return ns + "/" + strings.Join(types, "/") + "/action"
	}
	verb := map[string]string{
		http.MethodGet: "read", http.MethodHead: "read",
		http.MethodPut: "write", http.MethodPatch: "write", http.MethodPost: "write",
		http.MethodDelete: "delete",
	}[r.method]
	return ns + "/" + strings.Join(types, "/") + "/" + verb
}

func (r *route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(r.segs) {
		return nil, false
	}
	// Check every segment before allocating anything: most routes a request
	// is compared with fail, and a full tokend has dozens of them.
	for i, s := range r.segs {
		if s.param == "" && !strings.EqualFold(segs[i], s.literal) || s.param != "" && segs[i] == "" {
			return nil, false
		}
	}
	params := make(map[string]string, 4)
	for i, s := range r.segs {
		if s.param != "" {
			params[s.param] = segs[i]
		}
	}
	return params, true
}

// ServeHTTP runs the pipeline: route, api-version, authentication,
// subscription and resource group, authorization, body, handler.
func (rt *Router) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	ctx := hr.Context()
	trace := TraceFrom(ctx)
	segs := strings.Split(strings.Trim(hr.URL.Path, "/"), "/")

	var matched *route
	var params map[string]string
	var allowed []string
	for _, r := range rt.routes {
		p, ok := r.match(segs)
		if !ok {
			continue
		}
		if r.method != hr.Method {
			allowed = append(allowed, r.method)
			continue
		}
		matched, params = r, p
		break
	}
	family := rt.familyFor(segs)
	trace.Family = family
	if matched == nil {
		if len(allowed) > 0 {
			sort.Strings(allowed)
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			trace.Route = "arm:method-not-allowed"
			WriteError(w, family, Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed",
				fmt.Sprintf("The HTTP method '%s' is not supported for this resource. Supported methods: %s.", hr.Method, strings.Join(allowed, ", "))))
			return
		}
		trace.Route = "arm:not-found"
		WriteError(w, family, rt.notFound(segs, hr.URL.Path))
		return
	}
	trace.Route = matched.method + " " + matched.pattern
	trace.Family = matched.provider.Family

	resp, err := rt.serve(ctx, w, hr, matched, params, segs)
	if err != nil {
		rt.writeErr(ctx, w, matched.provider.Family, err)
		return
	}
	writeResponse(w, hr.Method, resp)
}

func (rt *Router) serve(ctx context.Context, w http.ResponseWriter, hr *http.Request, m *route, params map[string]string, segs []string) (*Response, error) {
	req := &Request{HTTP: hr, Params: params, BaseURL: BaseURL(rt.cfg.PublicURL, hr)}
	version, verr := m.provider.Versions.Resolve(hr.URL.Query().Get("api-version"), rt.cfg.AnyAPIVersion)
	if verr != nil {
		return nil, verr
	}
	req.APIVersion = version

	if rt.cfg.Authenticator != nil {
		p, err := rt.cfg.Authenticator.Authenticate(ctx, hr, tokend.AudienceManagement)
		if err != nil {
			return nil, err
		}
		req.Principal = p
		TraceFrom(ctx).Caller = p.ObjectID
	}

	idPath := "/" + strings.Join(segs[:m.idLen], "/")
	if m.hasSub {
		if id, err := ParseID(collectionScope(idPath)); err == nil {
			req.ID = id
		}
		if err := rt.checkScope(ctx, req, m); err != nil {
			return nil, err
		}
	}

	if rt.cfg.Authorizer != nil && req.Principal != nil {
		scope := "/"
		if m.hasSub {
			scope = strings.ToLower(collectionScope(idPath))
		}
		if err := rt.cfg.Authorizer.Authorize(ctx, req.Principal, m.action, scope); err != nil {
			return nil, err
		}
	}

	body, berr := readBody(hr, w, rt.cfg.MaxBodyBytes)
	if berr != nil {
		return nil, berr
	}
	req.Body = body
	if m.hasGroup && hr.Method == http.MethodPut && !rt.cfg.StrictResourceGroups && len(req.ID.Types) > 0 {
		req.ensureGroup = func(ctx context.Context, q tokend.Queries) error { return rt.ensureGroup(ctx, q, req) }
	}
	resp, err := m.handler(ctx, req)
	if err == nil && req.ensureGroup != nil && !req.groupEnsured && resp.Status/100 == 2 {
		// A handler that did not create the group itself (a nested
		// resource's parent already implies it) still leaves none missing:
		// one read, and a transaction of its own only when it is missing.
		if gerr := rt.ensureGroupAfter(ctx, req); gerr != nil {
			return nil, gerr
		}
	}
	return rt.groupAfterNotFound(ctx, req, m, resp, err)
}

func (rt *Router) ensureGroupAfter(ctx context.Context, req *Request) error {
	gid := req.ID.GroupID()
	_, err := rt.cfg.Store.GetResource(ctx, gid.Key())
	if !errors.Is(err, tokend.ErrNotFound) {
		if err != nil {
			return fmt.Errorf("check resource group %s: %w", gid, err)
		}
		return nil
	}
	return rt.cfg.Store.InTx(ctx, func(q tokend.Queries) error { return req.EnsureGroup(ctx, q) })
}

// collectionScope maps the ID path of a collection directly below a
// namespace (".../resourceGroups/rg/providers/Microsoft.App" for
// ".../providers/Microsoft.App/containerApps"), which names no resource, to
// its scope: the group or subscription before "/providers". Other paths are
// returned as they are.
func collectionScope(idPath string) string {
	segs := strings.Split(strings.Trim(idPath, "/"), "/")
	if n := len(segs); n >= 2 && strings.EqualFold(segs[n-2], "providers") {
		return "/" + strings.Join(segs[:n-2], "/")
	}
	return idPath
}

// checkScope answers SubscriptionNotFound and, where it must be known before
// the handler runs, ResourceGroupNotFound.
func (rt *Router) checkScope(ctx context.Context, req *Request, m *route) error {
	if err := rt.checkSubscription(ctx, req.Params["subscriptionId"]); err != nil {
		return err
	}
	if rt.groupCheckFirst(req, m) {
		return rt.checkGroup(ctx, req)
	}
	return nil
}

// checkSubscription looks a subscription up once per node: subscriptions are
// never deleted, so a positive answer stays true and costs no further read.
func (rt *Router) checkSubscription(ctx context.Context, sub string) error {
	key := strings.ToLower(sub)
	if _, ok := rt.knownSubs.Load(key); ok {
		return nil
	}
	if _, err := rt.cfg.Store.GetSubscription(ctx, key); err != nil {
		if errors.Is(err, tokend.ErrNotFound) {
			return Errorf(http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+sub+"' could not be found.")
		}
		return fmt.Errorf("check subscription %s: %w", sub, err)
	}
	rt.knownSubs.Store(key, struct{}{})
	return nil
}

// groupCheckFirst says whether the resource group must be checked before the
// handler: for lists directly in a group (an empty list would hide the
// missing group) and for PUTs under --strict-resource-groups. Every other
// call on a resource in a group checks the group only when the handler
// answers 404 (see groupAfterNotFound): a resource cannot outlive its
// group, so the common, successful call pays no extra read. That includes
// lists nested in a resource (a service's authorization servers), whose
// handlers answer 404 for a missing parent (see Provider.Handle).
func (rt *Router) groupCheckFirst(req *Request, m *route) bool {
	if !m.hasGroup || len(req.ID.Types) == 0 && !m.collection {
		return false // operations on the group itself do their own checks
	}
	if m.method == http.MethodPut {
		return rt.cfg.StrictResourceGroups
	}
	return m.collection && len(req.ID.Types) == 0
}

func (rt *Router) checkGroup(ctx context.Context, req *Request) error {
	gid := req.ID.GroupID()
	if _, err := rt.cfg.Store.GetResource(ctx, gid.Key()); err != nil {
		if errors.Is(err, tokend.ErrNotFound) {
			return Errorf(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+gid.ResourceGroup+"' could not be found.")
		}
		return fmt.Errorf("check resource group %s: %w", gid, err)
	}
	return nil
}

// groupAfterNotFound turns a handler's 404 into ResourceGroupNotFound when
// the group itself is missing, as Azure answers.
func (rt *Router) groupAfterNotFound(ctx context.Context, req *Request, m *route, resp *Response, err error) (*Response, error) {
	if !m.hasGroup || len(req.ID.Types) == 0 || m.method == http.MethodPut || req.ID.ResourceGroup == "" {
		return resp, err
	}
	notFound := errors.Is(err, tokend.ErrNotFound)
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		notFound = true
	}
	if resp != nil && resp.Status == http.StatusNotFound {
		notFound = true
	}
	if !notFound {
		return resp, err
	}
	if gerr := rt.checkGroup(ctx, req); gerr != nil {
		return nil, gerr
	}
	return resp, err
}

func (rt *Router) familyFor(segs []string) Family {
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "providers") {
			if p, ok := rt.providers[strings.ToLower(segs[i+1])]; ok {
				return p.Family
			}
		}
	}
	return FamilyARM
}

func (rt *Router) notFound(segs []string, path string) *Error {
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "providers") {
			if _, ok := rt.providers[strings.ToLower(segs[i+1])]; !ok {
				return Errorf(http.StatusNotFound, "InvalidResourceNamespace",
					"The resource namespace '"+segs[i+1]+"' is invalid.")
			}
			return Errorf(http.StatusNotFound, "InvalidResourceType",
				"The resource type or action at '"+path+"' could not be found in namespace '"+segs[i+1]+"'.")
		}
	}
	return Errorf(http.StatusNotFound, "NotFound", "No route matches '"+path+"'.")
}

// writeErr maps an error to the family's envelope. Anything unexpected
// becomes a 500 that carries the request id and no internals.
func (rt *Router) writeErr(ctx context.Context, w http.ResponseWriter, f Family, err error) {
	WriteError(w, f, rt.toAPIError(ctx, err, w))
}

func (rt *Router) toAPIError(ctx context.Context, err error, w http.ResponseWriter) *Error {
	var apiErr *Error
	var authn *tokend.AuthenticationError
	var authz *tokend.AuthorizationError
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &authn):
		if authn.Challenge != "" {
			w.Header().Set("WWW-Authenticate", authn.Challenge)
		}
		return Errorf(http.StatusUnauthorized, authn.Code, authn.Message)
	case errors.As(err, &authz):
		return Errorf(http.StatusForbidden, "AuthorizationFailed", authz.Error())
	case errors.Is(err, tokend.ErrNotFound):
		return Errorf(http.StatusNotFound, "ResourceNotFound", "The resource was not found.")
	case errors.Is(err, tokend.ErrAlreadyExists):
		return Errorf(http.StatusConflict, "Conflict", "The resource already exists.")
	case errors.Is(err, tokend.ErrPreconditionFailed):
		return Errorf(http.StatusPreconditionFailed, "PreconditionFailed", "The resource has changed since the ETag given in If-Match.")
	case errors.Is(err, context.Canceled):
		return Errorf(499, "RequestCanceled", "The client canceled the request.")
	}
	reqID := TraceFrom(ctx).RequestID
	rt.cfg.Logger.ErrorContext(ctx, "request failed", "request_id", reqID, "err", err.Error())
	return InternalError(reqID)
}

// InternalError is the answer to an unexpected failure: the request id to
// quote, and nothing about the internals.
func InternalError(requestID string) *Error {
	return Errorf(http.StatusInternalServerError, "InternalServerError",
		"The server encountered an internal error. Quote request id '"+requestID+"' when reporting it.")
}

// AsError maps any error the way the router does, for packages that serve
// Azure-shaped routes outside the router (the Playwright data plane).
func (rt *Router) AsError(ctx context.Context, err error, w http.ResponseWriter) *Error {
	return rt.toAPIError(ctx, err, w)
}
