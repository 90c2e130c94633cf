package pipeline

import (
	"context"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// Handler serves one route and returns its answer or an error, which the
// pipeline maps with wire.FromError into the route's error family.
type Handler func(ctx context.Context, r *Request) (*wire.Response, error)

// Route is one operation of a surface.
type Route struct {
	Method string
	// Pattern is the full path with {param} segments, e.g.
	// "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}".
	// Literal segments match case-insensitively.
	Pattern string
	// Action is the RBAC action checked at the request's scope; "" lets
	// the surface derive it (ARM: from the pattern and method).
	Action string
	// Handler answers the request; Serve, when set instead, writes the
	// answer itself (HTML pages, OAuth endpoints, protocol upgrades).
	Handler Handler
	Serve   func(w http.ResponseWriter, r *Request)
	// Versions are the api-versions served; nil requires none.
	Versions *wire.APIVersions
	// Family is the error envelope of the route's answers.
	Family wire.Family
	// Anonymous routes skip authentication, scope resolution and
	// authorization.
	Anonymous bool
	// AuthorizesItself routes are authenticated but check no action: the
	// handler answers with what the caller may see (lists by access, such
	// as ARM's subscriptions).
	AuthorizesItself bool
	// When, if set, must accept the request for the route to match: a
	// route can share its path with another and take only some requests
	// (a browser's GET of a dashboard link, say).
	When func(*http.Request) bool
	// Label names the route in traces and metrics; default: the
	// surface's name, the method and the pattern.
	Label string
	// Guard runs after scope resolution and before authorization, for
	// refusals the route states in its own words.
	Guard func(r *Request) error
	// Streaming routes (WebSocket, long poll) hold their connection open
	// on purpose: the server's body-read and response-write deadlines are
	// lifted for them, and they bound their own connections.
	Streaming bool

	segs []segment
	// idLen is how many segments address the entity (the rest is a
	// collection type or an action name).
	idLen      int
	collection bool
	// scopeParam names the pattern's opening scope parameter, if any;
	// segs are then the fixed suffix.
	scopeParam string
}

type segment struct {
	literal string // lower case; empty for a parameter
	param   string
}

// A pattern may open with a scope parameter, "{name*}", that takes zero
// or more segments: "/{scope*}/providers/Microsoft.Authorization/
// roleAssignments/{roleAssignmentName}" serves the root ("/"), a
// subscription, a group and any resource alike. Its value is the scope
// with a leading slash ("/" when empty).

func (r *Route) compile() {
	r.segs = r.segs[:0]
	r.scopeParam = ""
	for i, s := range strings.Split(strings.Trim(r.Pattern, "/"), "/") {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "*}") {
			if i != 0 {
				panic("pipeline: a scope parameter must open the pattern: " + r.Pattern)
			}
			r.scopeParam = s[1 : len(s)-2]
			continue
		}
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			r.segs = append(r.segs, segment{param: s[1 : len(s)-1]})
			continue
		}
		r.segs = append(r.segs, segment{literal: strings.ToLower(s)})
	}
	r.idLen = len(r.segs)
	if last := r.segs[len(r.segs)-1]; last.param == "" {
		r.idLen--
		r.collection = r.Method != http.MethodPost
	}
}

// IDLen is how many leading path segments address the entity the route
// acts on; the rest names a collection or an action.
func (r *Route) IDLen() int { return r.idLen }

// Collection reports a list route (its path ends in a collection type).
func (r *Route) Collection() bool { return r.collection }

// ScopeParam names the pattern's opening scope parameter ("" for none).
func (r *Route) ScopeParam() string { return r.scopeParam }

// HasParam reports whether the pattern has the parameter.
func (r *Route) HasParam(name string) bool {
	for _, s := range r.segs {
		if s.param == name {
			return true
		}
	}
	return false
}

// matchPath reports whether segs fit the pattern, checking every segment
// before allocating: most routes a request is compared with fail.
func (r *Route) matchPath(segs []string) bool {
	if r.scopeParam != "" {
		if len(segs) < len(r.segs) {
			return false
		}
		segs = segs[len(segs)-len(r.segs):]
	} else if len(segs) != len(r.segs) {
		return false
	}
	for i, s := range r.segs {
		if s.param == "" && !strings.EqualFold(segs[i], s.literal) || s.param != "" && segs[i] == "" {
			return false
		}
	}
	return true
}

func (r *Route) params(segs []string) map[string]string {
	params := make(map[string]string, 4)
	if r.scopeParam != "" {
		n := len(segs) - len(r.segs)
		params[r.scopeParam] = "/" + strings.Join(segs[:n], "/")
		segs = segs[n:]
	}
	for i, s := range r.segs {
		if s.param != "" {
			params[s.param] = segs[i]
		}
	}
	return params
}

// Op is a route with its handler and nothing else set: the common case of
// an ARM operation, whose action the surface derives and whose family and
// versions are its provider's.
func Op(method, pattern string, h Handler) Route {
	return Route{Method: method, Pattern: pattern, Handler: h}
}
