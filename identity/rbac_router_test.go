package identity

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/wire"
)

// RBAC as ARM clients see it: through the real router, in ARM's error
// envelope.
func TestRBACThroughTheRouter(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testRBACThroughTheRouter)
}

func testRBACThroughTheRouter(t *testing.T, store tokend.Store) {
	f := newFixture(t, store, newBox(t))
	subB := "00000000-0000-0000-0000-00000000000b"
	if err := f.store.CreateSubscription(context.Background(), &tokend.Subscription{ID: subB, TenantID: f.tenant, State: "Enabled", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// A stand-in for Microsoft.Authorization, so role-assignment writes go
	// through the same pipeline as any provider's.
	authz := &pipeline.Provider{
		Namespace: "Microsoft.Authorization", Family: wire.FamilyARM, Versions: wire.NewAPIVersions("2022-04-01"),
		Routes: []pipeline.Route{{
			Method:  http.MethodPut,
			Pattern: "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
			Handler: func(context.Context, *pipeline.Request) (*wire.Response, error) {
				return wire.JSON(http.StatusCreated, map[string]string{}), nil
			},
		}},
	}
	ts := startServerOn(t, f, nil, authz)

	subA := "/subscriptions/" + f.sub
	reader, _ := mustClient(t, ts.svc, RoleReader, subA)
	contributor, _ := mustClient(t, ts.svc, RoleContributor, subA)
	owner := ts.boot.Client
	token := func(c *tokend.Client) string { return mustAccessToken(t, ts.svc, c, ResourceManagement) }

	do := func(method, path, tok string) (int, string, string) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(`{"location":"eastus"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(b, &e)
		return resp.StatusCode, e.Error.Code, e.Error.Message
	}
	const v = "?api-version=2021-04-01"
	roleAssignment := subA + "/providers/Microsoft.Authorization/roleAssignments/" + "11111111-2222-3333-4444-555555555555?api-version=2022-04-01"
	for _, tc := range []struct {
		name, method, path string
		who                *tokend.Client
		status             int
		code               string
	}{
		{"reader lists groups", http.MethodGet, subA + "/resourcegroups" + v, reader, 200, ""},
		{"reader cannot create a group", http.MethodPut, subA + "/resourcegroups/rg1" + v, reader, 403, "AuthorizationFailed"},
		{"reader scoped to A is refused on B", http.MethodGet, "/subscriptions/" + subB + "/resourcegroups" + v, reader, 403, "AuthorizationFailed"},
		{"contributor creates a group", http.MethodPut, subA + "/resourcegroups/rg2" + v, contributor, 201, ""},
		{"contributor cannot write role assignments", http.MethodPut, roleAssignment, contributor, 403, "AuthorizationFailed"},
		{"owner writes role assignments", http.MethodPut, roleAssignment, owner, 201, ""},
		{"owner at root reaches B", http.MethodPut, "/subscriptions/" + subB + "/resourcegroups/rg3" + v, owner, 201, ""},
	} {
		status, code, msg := do(tc.method, tc.path, token(tc.who))
		if status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s (%s), want %d %s", tc.name, status, code, msg, tc.status, tc.code)
		}
		if code == "AuthorizationFailed" && (!strings.Contains(msg, tc.who.ObjectID) || !strings.Contains(msg, "' over scope '")) {
			t.Errorf("%s: message %q must name the principal, action and scope", tc.name, msg)
		}
	}
	// A Playwright token is no ARM token.
	pw := mustAccessToken(t, ts.svc, owner, playwright.Audience)
	if status, code, _ := do(http.MethodGet, subA+"/resourcegroups"+v, pw); status != 401 || code != "InvalidAuthenticationTokenAudience" {
		t.Errorf("Playwright token on ARM: %d %s", status, code)
	}
}
