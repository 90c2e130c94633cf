package testkit

import (
	"context"
	"net/http"
	"strings"
	"sync"

	tokend "github.com/tokend-dev/tokend"
)

// Authorizer is a fake authorizer whose rule a test states as a function;
// like identity's, it confines a resource-bound principal to its resource
// before the rule is asked.
type Authorizer struct {
	// Rule decides; nil allows everything.
	Rule func(p *tokend.Principal, action, scope string, data bool) bool
}

func (a *Authorizer) check(p *tokend.Principal, action, scope string, data bool) error {
	deny := &tokend.AuthorizationError{PrincipalID: p.ObjectID, Action: action, Scope: scope}
	if p.Resource != "" && scope != p.Resource && !strings.HasPrefix(scope, p.Resource+"/") {
		return deny
	}
	if a.Rule != nil && !a.Rule(p, action, scope, data) {
		return deny
	}
	return nil
}

// Authorize checks a control-plane action.
func (a *Authorizer) Authorize(_ context.Context, p *tokend.Principal, action, scope string) error {
	return a.check(p, action, scope, false)
}

// AuthorizeData checks a data action.
func (a *Authorizer) AuthorizeData(_ context.Context, p *tokend.Principal, action, scope string) error {
	return a.check(p, action, scope, true)
}

// HeaderAuth authenticates "Bearer good-<oid>" as principal <oid>, or, with
// no Authorization header, the principal named by X-Test-Principal
// ("tester" by default), and denies the actions a test lists.
type HeaderAuth struct {
	mu     sync.Mutex
	denied map[string]bool
}

// Deny refuses action (compared without regard to case) from now on.
func (h *HeaderAuth) Deny(action string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.denied == nil {
		h.denied = map[string]bool{}
	}
	h.denied[strings.ToLower(action)] = true
}

// Authenticate implements tokend.Authenticator.
func (h *HeaderAuth) Authenticate(_ context.Context, r *http.Request, _ tokend.Audience) (*tokend.Principal, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		oid := r.Header.Get("X-Test-Principal")
		if oid == "" {
			oid = "tester"
		}
		return &tokend.Principal{ObjectID: oid, TenantID: "t"}, nil
	}
	oid, ok := strings.CutPrefix(auth, "Bearer good-")
	if !ok {
		return nil, &tokend.AuthenticationError{Code: "InvalidAuthenticationToken", Message: "bad token",
			Challenge: `Bearer authorization_uri="x", error="invalid_token"`}
	}
	return &tokend.Principal{ObjectID: oid, TenantID: "t"}, nil
}

// Authorize implements tokend.Authorizer.
func (h *HeaderAuth) Authorize(_ context.Context, p *tokend.Principal, action, scope string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.denied[strings.ToLower(action)] {
		return &tokend.AuthorizationError{PrincipalID: p.ObjectID, Action: action, Scope: scope}
	}
	return nil
}

// AuthorizeData implements tokend.Authorizer.
func (h *HeaderAuth) AuthorizeData(ctx context.Context, p *tokend.Principal, action, scope string) error {
	return h.Authorize(ctx, p, action, scope)
}
