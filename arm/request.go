package arm

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	tokend "github.com/tokend-dev/tokend"
)

// Request is what a provider handler sees: the HTTP request with its route
// already matched, its api-version resolved, its caller authenticated and
// authorized, and its body read.
type Request struct {
	HTTP *http.Request
	// Params holds the route's path parameters by name, as the client sent them.
	Params map[string]string
	// ID is the resource the route addresses (for a collection, the scope
	// that holds it).
	ID ID
	// APIVersion is the served version (the newest one when an unknown
	// version was accepted under --any-api-version).
	APIVersion string
	Principal  *tokend.Principal
	Body       []byte
	// BaseURL is the scheme and authority the client used, for absolute links.
	BaseURL string

	// ensureGroup is set on PUTs that may create a missing resource group;
	// groupEnsured records that the provider did.
	ensureGroup  func(ctx context.Context, q tokend.Queries) error
	groupEnsured bool
}

// EnsureGroup creates the request's resource group if it is missing, when
// tokend creates groups on demand (the default; --strict-resource-groups
// answers ResourceGroupNotFound instead, before the handler runs). A PUT
// handler calls it right before it writes a new top-level resource, inside
// the transaction it writes with, so a PUT refused by validation leaves
// nothing behind. It takes the group's lock, which deleting the group takes
// too, so the resource is written either before the delete (and goes with
// it) or after it (into the group created again): none outlives its group.
// Elsewhere it does nothing.
func (r *Request) EnsureGroup(ctx context.Context, q tokend.Queries) error {
	if r.ensureGroup == nil {
		return nil
	}
	if err := r.ensureGroup(ctx, q); err != nil {
		return err
	}
	r.groupEnsured = true
	return nil
}

// Param returns a path parameter.
func (r *Request) Param(name string) string { return r.Params[name] }

// Query returns a query parameter.
func (r *Request) Query(name string) string { return r.HTTP.URL.Query().Get(name) }

// Decode decodes the JSON body into v, answering a 400 that names where it broke.
func (r *Request) Decode(v any) error {
	if err := DecodeJSON(r.Body, v); err != nil {
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

// Response is a handler's answer.
type Response struct {
	Status int
	Header http.Header
	// Body is marshalled as JSON; nil writes no body.
	Body any
}

// JSON is a response with a JSON body.
func JSON(status int, body any) *Response { return &Response{Status: status, Body: body} }

// Empty is a response without a body.
func Empty(status int) *Response { return &Response{Status: status} }

// WithHeader sets a response header and returns r.
func (r *Response) WithHeader(name, value string) *Response {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set(name, value)
	return r
}

// Handler serves one route.
type Handler func(ctx context.Context, r *Request) (*Response, error)

func writeResponse(w http.ResponseWriter, method string, resp *Response) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	if resp.Body == nil || method == http.MethodHead {
		w.WriteHeader(resp.Status)
		return
	}
	var b []byte
	switch body := resp.Body.(type) {
	case json.RawMessage:
		b = body // stored documents are already JSON: no second encoding
	default:
		var err error
		if b, err = json.Marshal(body); err != nil {
			panic("arm: response body does not marshal: " + err.Error())
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// As Azure does: the length is known, so the body goes out in one
	// piece instead of chunked (a list page is tens of kilobytes).
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(b)
}
