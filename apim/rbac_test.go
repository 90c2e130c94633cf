package apim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
)

// fixedPrincipal authenticates every request as the principal named by the
// X-Test-Principal header (default "tester"): the pipeline's authentication
// without tokens.
type fixedPrincipal struct{}

func (fixedPrincipal) Authenticate(_ context.Context, r *http.Request, _ tokend.Audience) (*tokend.Principal, error) {
	oid := r.Header.Get("X-Test-Principal")
	if oid == "" {
		oid = "tester"
	}
	return &tokend.Principal{ObjectID: oid, TenantID: "t"}, nil
}

type authzFunc func(action, scope string) error

func (f authzFunc) Authorize(_ context.Context, _ *tokend.Principal, action, scope string) error {
	return f(action, scope)
}

func (f authzFunc) AuthorizeData(_ context.Context, _ *tokend.Principal, action, scope string) error {
	return f(action, scope)
}

// TestListSecretsNeedsMoreThanReader: with tokend's RBAC, a Reader reads
// authorization servers but gets 403 from listSecrets, as in Azure; a
// Contributor gets the secrets.
func TestListSecretsNeedsMoreThanReader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	sub := "/subscriptions/" + e.sub
	for _, a := range []struct{ who, role string }{{"owner", identity.RoleOwner}, {"reader", identity.RoleReader}, {"contributor", identity.RoleContributor}} {
		err := e.store.CreateRoleAssignment(ctx, &tokend.RoleAssignment{ID: uuid.NewString(), PrincipalID: a.who, Role: a.role, Scope: sub, CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
	}
	e.rt.UseAuth(fixedPrincipal{}, identity.NewAuthorizer(e.store, nil, nil))
	as := func(who string) []string { return []string{"X-Test-Principal", who} }

	e.expect(e.do(http.MethodPut, e.servicePath("apim1"), serviceBody(), as("owner")...), http.StatusCreated, defService)
	r := e.do(http.MethodPut, e.serverPath("apim1", "as1"), serverBody("One"), as("owner")...)
	e.expect(r, http.StatusCreated, defContract)

	e.expect(e.do(http.MethodGet, e.serverPath("apim1", "as1"), nil, as("reader")...), http.StatusOK, defContract)
	e.expect(e.do(http.MethodGet, e.servicePath("apim1")+"/authorizationServers", nil, as("reader")...), http.StatusOK, defCollection)
	ae := e.expectError(e.do(http.MethodPost, e.serverPath("apim1", "as1")+"/listSecrets", nil, as("reader")...), http.StatusForbidden, "AuthorizationFailed")
	if want := "Microsoft.ApiManagement/service/authorizationServers/listSecrets/action"; !contains(ae.Error.Message, want) {
		t.Errorf("403 does not name the action %s: %s", want, ae.Error.Message)
	}
	e.expectError(e.do(http.MethodPatch, e.serverPath("apim1", "as1"), `{"properties":{}}`, append(as("reader"), "If-Match", "*")...), http.StatusForbidden, "AuthorizationFailed")
	e.expectError(e.do(http.MethodGet, e.serverPath("apim1", "as1"), nil, as("stranger")...), http.StatusForbidden, "AuthorizationFailed")
	e.expect(e.do(http.MethodPost, e.serverPath("apim1", "as1")+"/listSecrets", nil, as("contributor")...), http.StatusOK, defSecrets)
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
