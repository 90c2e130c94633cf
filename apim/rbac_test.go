package apim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
)

// TestListSecretsNeedsMoreThanReader: with tokend's RBAC, a Reader reads
// authorization servers but gets 403 from listSecrets, as in Azure; a
// Contributor gets the secrets.
func TestListSecretsNeedsMoreThanReader(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		// HeaderAuth authenticates the principal X-Test-Principal names;
		// the real authorizer decides by role assignments.
		e := newEnvOn(t, store, testSub, "rg1", pipeline.Options{
			Authenticator: &testkit.HeaderAuth{},
			Authorizer:    identity.NewAuthorizer(store, nil, nil, nil),
		})
		ctx := t.Context()
		sub := "/subscriptions/" + e.sub
		for _, a := range []struct{ who, role string }{{"owner", identity.RoleOwner}, {"reader", identity.RoleReader}, {"contributor", identity.RoleContributor}} {
			err := store.CreateRoleAssignment(ctx, &tokend.RoleAssignment{ID: uuid.NewString(), PrincipalID: a.who, Role: a.role, Scope: sub, CreatedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
		}
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
	})
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
