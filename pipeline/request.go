package pipeline

import (
	"context"
	"net/http"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// Request is what a handler sees: the HTTP request with its route matched,
// its api-version resolved, its caller authenticated and authorized, its
// scope resolved and its body read.
type Request struct {
	HTTP *http.Request
	// Route is the matched route.
	Route *Route
	// Params holds the route's path parameters by name, as the client sent them.
	Params map[string]string
	// Segments is the request path split at '/', without the leading one.
	Segments []string
	// APIVersion is the served version (the newest one when an unknown
	// version was accepted under --any-api-version); "" on routes that
	// take none.
	APIVersion string
	Principal  *tokend.Principal
	// Scope is the scope key authorization checked the route's action at.
	Scope string
	// Resolved is what the surface's Scope found for the request (for a
	// data plane, the account it addresses); each surface documents its
	// type and offers a typed accessor.
	Resolved any
	Body     []byte
	// BaseURL is the scheme and authority the client used, for absolute links.
	BaseURL string
	// Failure is the error code answered (for Hooks.Done: why a request
	// failed, without the Go error behind it); "" on success.
	Failure string
	// ResponseHeader is the answer's header map, for hooks that add
	// headers before the handler runs (rate-limit counters).
	ResponseHeader http.Header

	// ensureParent is set by a surface whose PUTs may create the parent
	// scope (ARM's resource groups); parentEnsured records that the
	// handler did.
	ensureParent  func(ctx context.Context, q tokend.Queries) error
	parentEnsured bool
}

// EnsureParent creates the parent scope of the addressed resource when the
// surface creates parents on demand (ARM: a PUT into a missing resource
// group creates the group, unless --strict-resource-groups). A PUT handler
// calls it right before it writes a new top-level resource, inside the
// transaction it writes with, so a PUT refused by validation leaves nothing
// behind; the surface takes the parent's lock, which deleting the parent
// takes too, so nothing outlives its parent. Elsewhere it does nothing.
func (r *Request) EnsureParent(ctx context.Context, q tokend.Queries) error {
	if r.ensureParent == nil {
		return nil
	}
	if err := r.ensureParent(ctx, q); err != nil {
		return err
	}
	r.parentEnsured = true
	return nil
}

// SetEnsureParent is for surfaces: fn creates the request's parent scope.
func (r *Request) SetEnsureParent(fn func(ctx context.Context, q tokend.Queries) error) {
	r.ensureParent = fn
}

// ParentPending reports that the surface offered to create the parent and
// the handler did not: the surface's Finish makes sure of it.
func (r *Request) ParentPending() bool { return r.ensureParent != nil && !r.parentEnsured }

// Param returns a path parameter.
func (r *Request) Param(name string) string { return r.Params[name] }

// Query returns a query parameter.
func (r *Request) Query(name string) string { return r.HTTP.URL.Query().Get(name) }

// Decode decodes the JSON body into v, answering a 400 that names where it broke.
func (r *Request) Decode(v any) error {
	if err := wire.DecodeJSON(r.Body, v); err != nil {
		return err
	}
	return nil
}

// Caller is the principal's object id ("" when anonymous).
func (r *Request) Caller() string {
	if r.Principal == nil {
		return ""
	}
	return r.Principal.ObjectID
}
