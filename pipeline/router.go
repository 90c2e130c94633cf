package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// Authorization says what a surface checks once the caller is known.
type Authorization int

const (
	// NoAuthorization: an authenticated caller may call every route.
	NoAuthorization Authorization = iota
	// Actions checks the route's action against roles' Actions (ARM).
	Actions
	// DataActions checks it against roles' DataActions only (data planes:
	// as in Azure, Owner's "*" does not reach data).
	DataActions
)

// Scope resolves what a request addresses, for one surface.
type Scope interface {
	// Resolve runs after authentication and before authorization. It
	// checks that what the request addresses exists (answering the
	// surface's own 404s), may attach what it found to r.Resolved, and
	// returns the scope key authorization checks the action at.
	Resolve(ctx context.Context, r *Request) (string, error)
	// Finish runs after the handler with its answer and may replace it
	// (ARM tells a missing resource group from a missing resource there).
	Finish(ctx context.Context, r *Request, resp *wire.Response, err error) (*wire.Response, error)
}

// Surface is what makes a Router one surface rather than another.
type Surface struct {
	// Name labels the surface's routes in traces and metrics ("" for ARM,
	// whose route labels are bare patterns).
	Name string
	// Audience is the bearer-token audience the surface demands; "" serves
	// every route anonymously.
	Audience      tokend.Audience
	Authorization Authorization
	// Scope resolves the request's scope; nil checks every action at "/".
	Scope Scope
	// Action derives a route's action from its method and pattern when
	// the route names none.
	Action func(method, pattern string) string
	// NotFound answers a path no route matches, and names the family of
	// that answer and of a 405; nil answers a plain NotFound in Family.
	NotFound func(path string, segs []string) (wire.Family, *wire.Error)
	// Family is the envelope of answers no route owns, without NotFound.
	Family wire.Family
	// HeadFromGet serves a HEAD that no route takes with the GET route of
	// the same path, answering 204 for its 200 and its errors as they are:
	// ARM's CheckExistence of any resource, whose provider serves GET.
	HeadFromGet bool
	// WriteError, if set, writes the surface's errors instead of
	// wire.WriteError (identity answers in OAuth's shape).
	WriteError func(w http.ResponseWriter, r *http.Request, f wire.Family, e *wire.Error)
}

// Hooks are where cross-cutting policy plugs into every surface at once.
// Each is optional.
type Hooks struct {
	// Admit runs before anything else, for refusals by source (throttling,
	// connection policy).
	Admit func(ctx context.Context, r *http.Request) error
	// Authenticated runs once the caller is known, for limits per
	// principal.
	Authenticated func(ctx context.Context, r *Request) error
	// Done runs after the answer's status is decided and before it is
	// written, for audit events: an error (the event could not be made
	// durable) replaces the answer with a 503, so no response goes out
	// that the audit log does not account for. On routes that write their
	// own answers (Route.Serve) it runs after them and its error is only
	// logged: such routes audit themselves.
	Done func(ctx context.Context, r *Request, status int) error
	// Header sets headers on every answer (security headers).
	Header func(h http.Header)
}

// Options are shared by every surface of one deployment.
type Options struct {
	Authenticator tokend.Authenticator // nil: no authentication (tests of a pipeline only)
	Authorizer    tokend.Authorizer    // nil: every authenticated caller may do anything
	// AnyAPIVersion serves unknown api-versions with the newest behaviour.
	AnyAPIVersion bool
	MaxBodyBytes  int64  // default 1 MiB
	PublicURL     string // base URL for absolute links; default: the request's own
	Logger        *slog.Logger
	Hooks         Hooks
}

// Router is one surface's pipeline: routes, and the steps every request
// takes before and after its handler.
type Router struct {
	surface Surface
	opts    *Options
	routes  []*Route
}

// New returns a router for the surface. opts is shared, not copied: a
// deployment sets its authenticator once (UseAuth) for every surface.
func New(s Surface, opts *Options) *Router {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Router{surface: s, opts: opts}
}

// Options returns the deployment's shared options.
func (rt *Router) Options() *Options { return rt.opts }

// Add registers routes.
func (rt *Router) Add(routes ...Route) {
	for _, r := range routes {
		r := r
		r.compile()
		if r.Action == "" && rt.surface.Action != nil {
			r.Action = rt.surface.Action(r.Method, r.Pattern)
		}
		if r.Label == "" {
			// Built once here rather than per request.
			r.Label = rt.label(r.Method + " " + r.Pattern)
		}
		rt.routes = append(rt.routes, &r)
	}
}

// Routes lists the registered routes.
func (rt *Router) Routes() []*Route { return rt.routes }

// label is the bounded name of a route in traces and metrics.
func (rt *Router) label(s string) string {
	if rt.surface.Name == "" {
		return s
	}
	return rt.surface.Name + ":" + s
}

// ServeHTTP runs the pipeline.
func (rt *Router) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	ctx := hr.Context()
	trace := wire.TraceFrom(ctx)
	if h := rt.opts.Hooks.Header; h != nil {
		h(w.Header())
	}
	segs := strings.Split(strings.Trim(hr.URL.Path, "/"), "/")

	var matched, get *Route
	var allowed []string
	for _, r := range rt.routes {
		if !r.matchPath(segs) || r.When != nil && !r.When(hr) {
			continue
		}
		if r.Method != hr.Method {
			if !slices.Contains(allowed, r.Method) {
				allowed = append(allowed, r.Method)
			}
			if r.Method == http.MethodGet && get == nil {
				get = r
			}
			continue
		}
		matched = r
		break
	}
	headAsGet := matched == nil && get != nil && hr.Method == http.MethodHead && rt.surface.HeadFromGet
	if headAsGet {
		matched = get
	}
	if matched == nil {
		rt.unmatched(w, hr, segs, allowed)
		return
	}
	trace.Route = matched.Label
	trace.Family = matched.Family
	if matched.Streaming {
		liftDeadlines(w)
	}

	req := &Request{HTTP: hr, Route: matched, Params: matched.params(segs), Segments: segs,
		BaseURL: wire.BaseURL(rt.opts.PublicURL, hr), ResponseHeader: w.Header()}
	if err := rt.prepare(ctx, w, req); err != nil {
		rt.fail(ctx, w, req, err)
		return
	}
	if matched.Serve != nil {
		if done := rt.opts.Hooks.Done; done != nil {
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			matched.Serve(sw, req)
			if err := done(ctx, req, sw.status); err != nil {
				rt.opts.Logger.ErrorContext(ctx, "done hook after a self-answering route", "request_id", trace.RequestID, "err", err.Error())
			}
			return
		}
		matched.Serve(w, req)
		return
	}
	resp, err := matched.Handler(ctx, req)
	if s := rt.surface.Scope; s != nil && !matched.Anonymous {
		resp, err = s.Finish(ctx, req, resp, err)
	}
	if err != nil {
		rt.fail(ctx, w, req, err)
		return
	}
	if headAsGet && resp.Status == http.StatusOK {
		resp = wire.Empty(http.StatusNoContent)
	}
	if done := rt.opts.Hooks.Done; done != nil {
		if err := done(ctx, req, resp.Status); err != nil {
			rt.writeError(w, hr, matched.Family, rt.unavailable(ctx, w, err))
			return
		}
	}
	wire.WriteResponse(w, hr.Method, resp)
}

// prepare runs every step before the handler.
func (rt *Router) prepare(ctx context.Context, w http.ResponseWriter, req *Request) error {
	hr, m := req.HTTP, req.Route
	if admit := rt.opts.Hooks.Admit; admit != nil {
		if err := admit(ctx, hr); err != nil {
			return err
		}
	}
	if m.Versions != nil {
		version, verr := m.Versions.Resolve(hr.URL.Query().Get("api-version"), rt.opts.AnyAPIVersion)
		if verr != nil {
			return verr
		}
		req.APIVersion = version
	}
	authenticate := rt.surface.Audience != "" && !m.Anonymous && rt.opts.Authenticator != nil
	if authenticate {
		p, err := rt.opts.Authenticator.Authenticate(ctx, hr, rt.surface.Audience)
		if err != nil {
			return err
		}
		req.Principal = p
		wire.TraceFrom(ctx).Caller = p.ObjectID
		if h := rt.opts.Hooks.Authenticated; h != nil {
			if err := h(ctx, req); err != nil {
				return err
			}
		}
	}
	req.Scope = "/"
	if s := rt.surface.Scope; s != nil && !m.Anonymous {
		scope, err := s.Resolve(ctx, req)
		if err != nil {
			return err
		}
		req.Scope = scope
	}
	if m.Guard != nil {
		if err := m.Guard(req); err != nil {
			return err
		}
	}
	if authz := rt.opts.Authorizer; authz != nil && req.Principal != nil && !m.Anonymous && !m.AuthorizesItself {
		var err error
		switch rt.surface.Authorization {
		case Actions:
			err = authz.Authorize(ctx, req.Principal, m.Action, req.Scope)
		case DataActions:
			err = authz.AuthorizeData(ctx, req.Principal, m.Action, req.Scope)
		}
		if err != nil {
			return err
		}
	}
	if m.Serve == nil {
		body, berr := wire.ReadBody(hr, w, rt.opts.MaxBodyBytes)
		if berr != nil {
			return berr
		}
		req.Body = body
	}
	return nil
}

// fail answers err in the route's family.
func (rt *Router) fail(ctx context.Context, w http.ResponseWriter, req *Request, err error) {
	e := wire.FromError(ctx, err, w, rt.opts.Logger)
	req.Failure = e.Code
	if done := rt.opts.Hooks.Done; done != nil {
		if err := done(ctx, req, e.Status); err != nil {
			e = rt.unavailable(ctx, w, err)
		}
	}
	rt.writeError(w, req.HTTP, req.Route.Family, e)
}

// unavailable is the 503 answered when the Done hook failed: the cause is
// logged, never sent.
func (rt *Router) unavailable(ctx context.Context, w http.ResponseWriter, err error) *wire.Error {
	w.Header().Set("Retry-After", "1")
	rt.opts.Logger.ErrorContext(ctx, "done hook failed; answering 503", "request_id", wire.TraceFrom(ctx).RequestID, "err", err.Error())
	return wire.Errorf(http.StatusServiceUnavailable, "ServiceUnavailable",
		"The request could not be recorded in the audit log; retry later.")
}

func (rt *Router) writeError(w http.ResponseWriter, r *http.Request, f wire.Family, e *wire.Error) {
	wire.TraceFrom(r.Context()).ErrorCode = e.Code
	if rt.surface.WriteError != nil {
		rt.surface.WriteError(w, r, f, e)
		return
	}
	wire.WriteError(w, f, e)
}

// unmatched answers 405 with Allow when the path matches under other
// methods, else the surface's 404.
func (rt *Router) unmatched(w http.ResponseWriter, hr *http.Request, segs []string, allowed []string) {
	trace := wire.TraceFrom(hr.Context())
	family, notFound := rt.surface.Family, (*wire.Error)(nil)
	if rt.surface.NotFound != nil {
		family, notFound = rt.surface.NotFound(hr.URL.Path, segs)
	}
	trace.Family = family
	name := rt.surface.Name
	if name == "" {
		name = "arm"
	}
	if len(allowed) > 0 {
		sort.Strings(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		trace.Route = name + ":method-not-allowed"
		rt.writeError(w, hr, family, wire.Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("The HTTP method '%s' is not supported for this resource. Supported methods: %s.", hr.Method, strings.Join(allowed, ", "))))
		return
	}
	trace.Route = name + ":not-found"
	if notFound == nil {
		notFound = wire.Errorf(http.StatusNotFound, "NotFound", "No route matches '"+wire.Clip(hr.URL.Path)+"'.")
	}
	rt.writeError(w, hr, family, notFound)
}

// liftDeadlines clears the connection's read and write deadlines (the
// server sets them per request) for a streaming route. A writer that
// cannot reach its connection (a test recorder) has none to lift.
func liftDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

// statusWriter records the status a Serve route wrote, for Hooks.Done.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines, protocol upgrades).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
