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
	"github.com/tokend-dev/tokend/wire"
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

// Resource providers are listed from the descriptors: their resource types
// and api-versions are what the routes serve; registering is immediate and
// idempotent, and needs more than Reader.
func TestProviders(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testProviders)
}

func testProviders(t *testing.T, store tokend.Store) {
	testkit.Subscription(t, store, subA, tenantA)
	widgets := &pipeline.Provider{
		Namespace: "Microsoft.Test", Family: wire.FamilyARM, Versions: wire.NewAPIVersions("2024-01-01", "2025-01-01"),
		Routes: []pipeline.Route{
			pipeline.Op(http.MethodGet, "/subscriptions/{subscriptionId}/providers/Microsoft.Test/widgets", nil),
			pipeline.Op(http.MethodPut, "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Test/widgets/{widgetName}", nil),
			pipeline.Op(http.MethodPost, "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Test/widgets/{widgetName}/listSecrets", nil),
			pipeline.Op(http.MethodGet, "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Test/widgets/{widgetName}/parts/{partName}", nil),
			pipeline.Op(http.MethodPost, "/subscriptions/{subscriptionId}/providers/Microsoft.Test/checkNameAvailability", nil),
		},
	}
	auth := &testkit.HeaderAuth{}
	reader := &testkit.Authorizer{Rule: func(p *tokend.Principal, action, _ string, _ bool) bool {
		return p.ObjectID != "reader" || strings.HasSuffix(strings.ToLower(action), "/read")
	}}
	srv := testkit.Stack{Store: store, Providers: []*pipeline.Provider{widgets},
		Options: pipeline.Options{Authenticator: auth, Authorizer: reader}}.ServePlain(t)
	do := func(who, method, path string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path+"?api-version=2021-04-01", nil)
		req.Header.Set("Authorization", "Bearer good-"+who)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if resp.StatusCode == 200 {
			def := "Provider"
			if _, list := m["value"]; list {
				def = "ProviderListResult"
			}
			azurespec.Validate(t, azurespec.Resources, def, b)
		}
		return resp.StatusCode, m
	}
	status, m := do("reader", "GET", "/subscriptions/"+subA+"/providers/microsoft.test")
	if status != 200 || m["namespace"] != "Microsoft.Test" || m["registrationState"] != "Registered" {
		t.Fatalf("GET provider: %d %v", status, m)
	}
	var types []string
	for _, rt := range m["resourceTypes"].([]any) {
		r := rt.(map[string]any)
		types = append(types, r["resourceType"].(string))
		if v := r["apiVersions"].([]any); len(v) != 2 || v[0] != "2025-01-01" {
			t.Errorf("%s api-versions %v, want newest first", r["resourceType"], v)
		}
	}
	if got := strings.Join(types, ","); got != "checkNameAvailability,widgets,widgets/parts" {
		t.Errorf("resource types %s", got)
	}
	for _, path := range []string{"/providers", "/subscriptions/" + subA + "/providers"} {
		status, m := do("reader", "GET", path)
		var names []string
		for _, p := range m["value"].([]any) {
			names = append(names, p.(map[string]any)["namespace"].(string))
		}
		if status != 200 || strings.Join(names, ",") != "Microsoft.Test,Microsoft.Resources" {
			t.Errorf("%s: %d %v", path, status, names)
		}
	}
	if status, m := do("reader", "GET", "/providers/Microsoft.Nope"); status != 404 || m["error"].(map[string]any)["code"] != "InvalidResourceNamespace" {
		t.Errorf("unknown namespace: %d %v", status, m)
	}
	if status, _ := do("reader", "POST", "/subscriptions/"+subA+"/providers/Microsoft.Test/unregister"); status != 403 {
		t.Errorf("a Reader unregistered a provider: %d", status)
	}
	for _, step := range []struct{ action, state string }{{"unregister", "Unregistered"}, {"unregister", "Unregistered"}, {"register", "Registered"}} {
		if status, m := do("owner", "POST", "/subscriptions/"+subA+"/providers/Microsoft.Test/"+step.action); status != 200 || m["registrationState"] != step.state {
			t.Errorf("%s: %d %v", step.action, status, m)
		}
		if _, m := do("owner", "GET", "/subscriptions/"+subA+"/providers/Microsoft.Test"); m["registrationState"] != step.state {
			t.Errorf("after %s: %v", step.action, m["registrationState"])
		}
	}
}
