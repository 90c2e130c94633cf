package arm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Config is what the ARM surface needs.
type Config struct {
	Store tokend.Store
	// StrictResourceGroups answers ResourceGroupNotFound to a PUT into a
	// missing group, as Azure does, instead of creating the group.
	StrictResourceGroups bool
	Now                  func() time.Time
}

// Surface is Azure Resource Manager as one configuration of the pipeline:
// the management audience, actions at ARM scopes, subscriptions and
// resource groups checked (and groups created on demand), actions derived
// from route patterns, and 404s that name the namespace or type.
type Surface struct {
	cfg Config
	mu  sync.RWMutex
	// namespaces are the registered providers' error families, by lower-case
	// namespace, for answers no route owns.
	namespaces map[string]wire.Family
	knownSubs  sync.Map // canonical subscription ids seen to exist
}

// NewSurface returns the ARM surface.
func NewSurface(cfg Config) *Surface {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Surface{cfg: cfg, namespaces: map[string]wire.Family{}}
}

// NewRouter returns a pipeline router configured as ARM, and its surface.
func NewRouter(cfg Config, opts *pipeline.Options) (*pipeline.Router, *Surface) {
	s := NewSurface(cfg)
	return pipeline.New(s.Pipeline(), opts), s
}

// Pipeline is the surface's pipeline configuration.
func (s *Surface) Pipeline() pipeline.Surface {
	return pipeline.Surface{
		Audience: tokend.AudienceManagement, Authorization: pipeline.Actions,
		Scope: s, Action: DeriveAction, NotFound: s.notFound, Family: wire.FamilyARM,
		HeadFromGet: true,
	}
}

// Mount registers providers: their ARM routes on rt (the surface's
// router), their namespaces with the surface, and each data plane on a
// router of its own, returned by first path segment together with ARM's
// own segments.
func (s *Surface) Mount(rt *pipeline.Router, opts *pipeline.Options, providers ...*pipeline.Provider) (map[string]http.Handler, error) {
	mounts := map[string]http.Handler{"subscriptions": rt, "providers": rt, "tenants": rt}
	for _, p := range providers {
		s.mu.Lock()
		s.namespaces[strings.ToLower(p.Namespace)] = p.Family
		s.mu.Unlock()
		rt.Add(p.RoutesWithDefaults()...)
		for _, dp := range p.DataPlanes {
			seg := strings.ToLower(dp.Segment)
			if _, taken := mounts[seg]; taken {
				return nil, fmt.Errorf("provider %s: path segment %q is served twice", p.Namespace, dp.Segment)
			}
			dpr := pipeline.New(dp.Surface, opts)
			dpr.Add(dp.Routes...)
			mounts[seg] = dpr
		}
	}
	return mounts, nil
}

// DeriveAction follows Azure's action naming: {namespace}/{types}/read|write|delete,
// and {namespace}/{types}/{action}/action for POST actions.
func DeriveAction(method, pattern string) string {
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
	if method == http.MethodPost && !strings.HasPrefix(last, "{") {
		return ns + "/" + strings.Join(types, "/") + "/action"
	}
	verb := map[string]string{
		http.MethodGet: "read", http.MethodHead: "read",
		http.MethodPut: "write", http.MethodPatch: "write", http.MethodPost: "write",
		http.MethodDelete: "delete",
	}[method]
	return ns + "/" + strings.Join(types, "/") + "/" + verb
}

// requestID is the resource a request addresses (for a collection, the
// scope that holds it), as Resolve found it.
func requestID(r *pipeline.Request) ID {
	id, _ := r.Resolved.(ID)
	return id
}

// Resolve checks the subscription (and, where it must be known first, the
// resource group), offers to create a missing group on PUT, and returns the
// scope the route's action is authorized at.
func (s *Surface) Resolve(ctx context.Context, r *pipeline.Request) (string, error) {
	m := r.Route
	if sp := m.ScopeParam(); sp != "" {
		// An operation at any scope (role assignments): the scope is the
		// authorization scope; a subscription in it must exist.
		scope := strings.ToLower(r.Param(sp))
		if parts := strings.Split(strings.Trim(scope, "/"), "/"); len(parts) >= 2 && parts[0] == "subscriptions" {
			if err := s.checkSubscription(ctx, parts[1]); err != nil {
				return "", err
			}
		} else if scope != "/" && !strings.HasPrefix(scope, "/providers/") {
			return "", wire.BadRequest("InvalidScope", "scope", "The scope '"+wire.Clip(r.Param(sp))+"' is not valid: it must be '/', a subscription, a resource group or a resource.")
		}
		return scope, nil
	}
	if !m.HasParam("subscriptionId") {
		return "/", nil
	}
	idPath := "/" + strings.Join(r.Segments[:m.IDLen()], "/")
	scope := collectionScope(idPath)
	var id ID
	if parsed, err := ParseID(scope); err == nil {
		id = parsed
	}
	r.Resolved = id
	if err := s.checkSubscription(ctx, r.Param("subscriptionId")); err != nil {
		return "", err
	}
	hasGroup := m.HasParam("resourceGroupName")
	if s.groupCheckFirst(m, id, hasGroup) {
		if err := s.checkGroup(ctx, id); err != nil {
			return "", err
		}
	}
	if hasGroup && m.Method == http.MethodPut && !s.cfg.StrictResourceGroups && len(id.Types) > 0 {
		r.SetEnsureParent(func(ctx context.Context, q tokend.Queries) error {
			return EnsureGroup(ctx, q, id.GroupID(), r.Body, r.Caller(), s.cfg.Now())
		})
	}
	return strings.ToLower(scope), nil
}

// Finish makes sure a successful PUT left no resource without its group,
// and turns a handler's 404 into ResourceGroupNotFound when the group
// itself is missing, as Azure answers.
func (s *Surface) Finish(ctx context.Context, r *pipeline.Request, resp *wire.Response, err error) (*wire.Response, error) {
	if err == nil && r.ParentPending() && resp.Status/100 == 2 {
		// A handler that did not create the group itself (a nested
		// resource's parent already implies it) still leaves none missing:
		// one read, and a transaction of its own only when it is missing.
		if gerr := s.ensureGroupAfter(ctx, r); gerr != nil {
			return nil, gerr
		}
	}
	return s.groupAfterNotFound(ctx, r, resp, err)
}

func (s *Surface) ensureGroupAfter(ctx context.Context, r *pipeline.Request) error {
	gid := requestID(r).GroupID()
	_, err := s.cfg.Store.GetResource(ctx, gid.Key())
	if !errors.Is(err, tokend.ErrNotFound) {
		if err != nil {
			return fmt.Errorf("check resource group %s: %w", gid, err)
		}
		return nil
	}
	return s.cfg.Store.InTx(ctx, func(q tokend.Queries) error { return r.EnsureParent(ctx, q) })
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

// checkSubscription looks a subscription up once per node: subscriptions are
// never deleted, so a positive answer stays true and costs no further read.
func (s *Surface) checkSubscription(ctx context.Context, sub string) error {
	key := strings.ToLower(sub)
	if _, ok := s.knownSubs.Load(key); ok {
		return nil
	}
	if _, err := s.cfg.Store.GetSubscription(ctx, key); err != nil {
		if errors.Is(err, tokend.ErrNotFound) {
			return wire.Errorf(http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+sub+"' could not be found.")
		}
		return fmt.Errorf("check subscription %s: %w", sub, err)
	}
	s.knownSubs.Store(key, struct{}{})
	return nil
}

// groupCheckFirst says whether the resource group must be checked before the
// handler: for lists directly in a group (an empty list would hide the
// missing group) and for PUTs under --strict-resource-groups. Every other
// call on a resource in a group checks the group only when the handler
// answers 404 (see groupAfterNotFound): a resource cannot outlive its
// group, so the common, successful call pays no extra read. That includes
// lists nested in a resource (a service's authorization servers), whose
// handlers must answer 404 for a missing parent.
func (s *Surface) groupCheckFirst(m *pipeline.Route, id ID, hasGroup bool) bool {
	if !hasGroup || len(id.Types) == 0 && !m.Collection() {
		return false // operations on the group itself do their own checks
	}
	if m.Method == http.MethodPut {
		return s.cfg.StrictResourceGroups
	}
	return m.Collection() && len(id.Types) == 0
}

func (s *Surface) checkGroup(ctx context.Context, id ID) error {
	gid := id.GroupID()
	if _, err := s.cfg.Store.GetResource(ctx, gid.Key()); err != nil {
		if errors.Is(err, tokend.ErrNotFound) {
			return GroupNotFound(gid.ResourceGroup)
		}
		return fmt.Errorf("check resource group %s: %w", gid, err)
	}
	return nil
}

// GroupNotFound is ARM's answer for a missing resource group.
func GroupNotFound(name string) *wire.Error {
	return wire.Errorf(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+name+"' could not be found.")
}

func (s *Surface) groupAfterNotFound(ctx context.Context, r *pipeline.Request, resp *wire.Response, err error) (*wire.Response, error) {
	id := requestID(r)
	if !r.Route.HasParam("resourceGroupName") || len(id.Types) == 0 || r.Route.Method == http.MethodPut || id.ResourceGroup == "" {
		return resp, err
	}
	notFound := errors.Is(err, tokend.ErrNotFound)
	var apiErr *wire.Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		notFound = true
	}
	if resp != nil && resp.Status == http.StatusNotFound {
		notFound = true
	}
	if !notFound {
		return resp, err
	}
	if gerr := s.checkGroup(ctx, id); gerr != nil {
		return nil, gerr
	}
	return resp, err
}

// notFound names the namespace or the type that is missing, in the family
// of the namespace when tokend serves it.
func (s *Surface) notFound(path string, segs []string) (wire.Family, *wire.Error) {
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "providers") {
			s.mu.RLock()
			f, ok := s.namespaces[strings.ToLower(segs[i+1])]
			s.mu.RUnlock()
			if !ok {
				return wire.FamilyARM, wire.Errorf(http.StatusNotFound, "InvalidResourceNamespace",
					"The resource namespace '"+wire.Clip(segs[i+1])+"' is invalid.")
			}
			return f, wire.Errorf(http.StatusNotFound, "InvalidResourceType",
				"The resource type or action at '"+wire.Clip(path)+"' could not be found in namespace '"+segs[i+1]+"'.")
		}
	}
	return wire.FamilyARM, wire.Errorf(http.StatusNotFound, "NotFound", "No route matches '"+wire.Clip(path)+"'.")
}
