package resources_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/resources"
)

const (
	tenantA = "aaaaaaaa-0000-4000-8000-000000000001"
	tenantB = "bbbbbbbb-0000-4000-8000-000000000002"
	subA    = "00000000-0000-4000-8000-00000000000a"
	subB    = "00000000-0000-4000-8000-00000000000b"
)

// Subscriptions, their locations and tenants are listed by access, as ARM
// lists them: a role at, below or above a subscription shows it; nothing
// else does, and an invisible subscription answers as a missing one.
func TestListsByAccess(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testListsByAccess)
}

func testListsByAccess(t *testing.T, store tokend.Store) {
	ctx := t.Context()
	for _, tn := range []string{tenantA, tenantB} {
		if err := store.CreateTenant(ctx, &tokend.Tenant{ID: tn, DisplayName: "tenant " + tn[:1]}); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Subscription(t, store, subA, tenantA)
	testkit.Subscription(t, store, subB, tenantB)
	scopes := map[string][]string{
		"root":      {"/"},
		"sub-a":     {"/subscriptions/" + subA},
		"group-b":   {"/subscriptions/" + subB + "/resourcegroups/rg"},
		"both":      {"/subscriptions/" + subA + "/resourcegroups/x/providers/microsoft.app/containerapps/y", "/subscriptions/" + subB},
		"no-access": nil,
	}
	access := func(_ context.Context, p *tokend.Principal) ([]string, error) { return scopes[p.ObjectID], nil }
	auth := &testkit.HeaderAuth{}
	auth.Deny("Microsoft.Resources/subscriptions/read") // the lists must not rely on an action
	srv := testkit.Stack{
		Store:     store,
		Options:   pipeline.Options{Authenticator: auth, Authorizer: auth},
		Resources: &resources.Config{Access: access, Locations: resources.ParseLocations([]string{"eastus=East US", "westeurope"})},
	}.ServePlain(t)
	get := func(who, path string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer good-"+who)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	ids := func(b []byte, field string) string {
		var list struct{ Value []map[string]any }
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var out []string
		for _, v := range list.Value {
			out = append(out, v[field].(string))
		}
		return strings.Join(out, ",")
	}
	const v = "?api-version=2022-12-01"
	for _, c := range []struct{ who, subs, tenants string }{
		{"root", subA + "," + subB, tenantA + "," + tenantB},
		{"sub-a", subA, tenantA},
		{"group-b", subB, tenantB + ",t"},
		{"both", subA + "," + subB, tenantA + "," + tenantB},
		{"no-access", "", "t"},
	} {
		status, b := get(c.who, "/subscriptions"+v)
		if status != 200 || ids(b, "subscriptionId") != c.subs {
			t.Errorf("%s: GET /subscriptions: %d %s, want %s", c.who, status, b, c.subs)
		}
		azurespec.Validate(t, azurespec.Subscriptions, "SubscriptionListResult", b)
		_, b = get(c.who, "/tenants"+v)
		azurespec.Validate(t, azurespec.Subscriptions, "TenantListResult", b)
		// HeaderAuth's principals are of tenant "t", which has no row.
		want := strings.TrimSuffix(strings.TrimSuffix(c.tenants, ",t"), "t")
		if got := ids(b, "tenantId"); got != want {
			t.Errorf("%s: GET /tenants: %s, want %s", c.who, got, want)
		}
		for _, sub := range []string{subA, subB} {
			status, b := get(c.who, "/subscriptions/"+sub+v)
			visible := strings.Contains(c.subs, sub)
			switch {
			case visible && status == 200:
				azurespec.Validate(t, azurespec.Subscriptions, "Subscription", b)
			case !visible && status == 404 && strings.Contains(string(b), "SubscriptionNotFound"):
			default:
				t.Errorf("%s: GET /subscriptions/%s: %d %s (visible %v)", c.who, sub, status, b, visible)
			}
			status, b = get(c.who, "/subscriptions/"+sub+"/locations"+v)
			if visible {
				if status != 200 || ids(b, "name") != "eastus,westeurope" {
					t.Errorf("%s: locations of %s: %d %s", c.who, sub, status, b)
				}
				azurespec.Validate(t, azurespec.Subscriptions, "LocationListResult", b)
			} else if status != 404 {
				t.Errorf("%s: locations of invisible %s: %d", c.who, sub, status)
			}
		}
	}
	// A missing subscription answers the same as an invisible one.
	if status, b := get("root", "/subscriptions/00000000-0000-4000-8000-0000000000ff"+v); status != 404 || !strings.Contains(string(b), "SubscriptionNotFound") {
		t.Errorf("missing subscription: %d %s", status, b)
	}
	// Resource groups stay authorized by action, not by visibility.
	if status, _ := get("sub-a", "/subscriptions/"+subA+"/resourcegroups"+v); status != 200 {
		t.Errorf("resource groups of a visible subscription: %d", status)
	}
}

func TestDefaultLocations(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, l := range resources.DefaultLocations {
		if l.Name == "" || l.DisplayName == "" || seen[l.Name] || strings.ToLower(strings.ReplaceAll(l.DisplayName, " ", "")) != l.Name {
			t.Errorf("location %+v: empty, repeated, or its name is not its display name's short form", l)
		}
		seen[l.Name] = true
	}
	for _, want := range []string{"eastus", "westus2", "westeurope"} {
		if !seen[want] {
			t.Errorf("%s is not listed", want)
		}
	}
}
