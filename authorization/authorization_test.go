package authorization_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/authorization"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
)

const (
	tenant      = "7e1d0000-0000-4000-8000-000000000001"
	sub         = "7e1d0000-0000-4000-8000-0000000000aa"
	assignments = "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json"
	definitions = "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleDefinitionsCalls.json"
)

// Role assignments over ARM, with the real issuer's assignments and
// authorizer: who may write them, what they grant, and ARM's answers.
func TestRoleAssignments(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testRoleAssignments)
}

func testRoleAssignments(t *testing.T, store tokend.Store) {
	ctx := t.Context()
	if err := store.CreateTenant(ctx, &tokend.Tenant{ID: tenant, DisplayName: "t", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	testkit.Subscription(t, store, sub, tenant)
	box, _ := seal.New(bytes.Repeat([]byte{9}, 32))
	id, err := identity.New(ctx, identity.Config{Store: store, Box: box, DefaultTenantID: tenant})
	if err != nil {
		t.Fatal(err)
	}
	principal := func(name string) string {
		c, _, err := id.Clients.Create(ctx, tenant, name)
		if err != nil {
			t.Fatal(err)
		}
		return c.ObjectID
	}
	owner, contrib, reader, uaa, target := principal("owner"), principal("contributor"), principal("reader"), principal("uaa"), principal("target")
	subScope, rgScope := "/subscriptions/"+sub, "/subscriptions/"+sub+"/resourcegroups/rg"
	for _, a := range []struct{ who, role, scope string }{
		{owner, identity.RoleOwner, "/"}, {contrib, identity.RoleContributor, subScope},
		{reader, identity.RoleReader, subScope}, {uaa, identity.RoleUserAccessAdministrator, rgScope},
	} {
		if _, err := id.Assignments.Assign(ctx, a.who, a.role, a.scope); err != nil {
			t.Fatal(err)
		}
	}
	binding := &authorization.Binding{}
	binding.Bind(id.Assignments)
	prov, err := authorization.New(authorization.Config{Store: store, Assignments: binding})
	if err != nil {
		t.Fatal(err)
	}
	srv := testkit.Stack{Store: store, Providers: []*pipeline.Provider{prov.Describe()},
		Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{}, Authorizer: id.Authorizer()}}.ServePlain(t)
	do := func(who, method, path, body string) (int, map[string]any, []byte) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		if !strings.Contains(path, "api-version=") {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			path += sep + "api-version=2022-04-01"
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer good-"+who)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m, b
	}
	code := func(m map[string]any) string {
		e, _ := m["error"].(map[string]any)
		c, _ := e["code"].(string)
		return c
	}
	readerID := "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	assign := func(roleID, principalID string) string {
		return `{"properties":{"roleDefinitionId":"/subscriptions/` + sub + `/providers/Microsoft.Authorization/roleDefinitions/` + roleID + `","principalId":"` + principalID + `"}}`
	}
	name := uuid.NewString()
	at := func(scope, n string) string {
		return strings.TrimSuffix(scope, "/") + "/providers/Microsoft.Authorization/roleAssignments/" + n
	}

	// Before: the target reads nothing.
	if status, _, _ := do(target, "GET", subScope+"/resourcegroups?api-version=2021-04-01", ""); status != 403 {
		t.Fatalf("target before the assignment: %d", status)
	}
	status, m, b := do(owner, "PUT", at(subScope, name), assign(readerID, target))
	if status != 201 {
		t.Fatalf("owner assigns Reader: %d %s", status, b)
	}
	azurespec.Validate(t, assignments, "RoleAssignment", b)
	props := m["properties"].(map[string]any)
	if m["name"] != name || props["scope"] != subScope || props["principalId"] != target || !strings.HasSuffix(props["roleDefinitionId"].(string), readerID) {
		t.Errorf("assignment %v", m)
	}
	// It takes effect at once on this node.
	if status, _, _ := do(target, "GET", subScope+"/resourcegroups?api-version=2021-04-01", ""); status != 200 {
		t.Errorf("target after the assignment: %d", status)
	}
	for _, c := range []struct {
		name, who, method, path, body string
		status                        int
		code                          string
	}{
		{"the same again", owner, "PUT", at(subScope, name), assign(readerID, target), 200, ""},
		{"a duplicate under another name", owner, "PUT", at(subScope, uuid.NewString()), assign(readerID, target), 409, "RoleAssignmentExists"},
		{"changing an assignment", owner, "PUT", at(subScope, name), assign("b24988ac-6180-42a0-ab88-20f7382dd24c", target), 409, "RoleAssignmentUpdateNotPermitted"},
		{"a Contributor cannot assign", contrib, "PUT", at(subScope, uuid.NewString()), assign(readerID, target), 403, "AuthorizationFailed"},
		{"a Reader cannot assign", reader, "PUT", at(subScope, uuid.NewString()), assign(readerID, target), 403, "AuthorizationFailed"},
		{"UAA assigns in its group", uaa, "PUT", at(rgScope, uuid.NewString()), assign(readerID, target), 201, ""},
		{"UAA cannot assign outside its group", uaa, "PUT", at(subScope, uuid.NewString()), assign(readerID, target), 403, "AuthorizationFailed"},
		{"a name that is no GUID", owner, "PUT", at(subScope, "not-a-guid"), assign(readerID, target), 400, "InvalidRoleAssignmentId"},
		{"an unknown role", owner, "PUT", at(subScope, uuid.NewString()), assign(uuid.NewString(), target), 400, "RoleDefinitionDoesNotExist"},
		{"an unknown principal", owner, "PUT", at(subScope, uuid.NewString()), assign(readerID, uuid.NewString()), 400, "PrincipalNotFound"},
		{"an unknown subscription", owner, "PUT", at("/subscriptions/7e1d0000-0000-4000-8000-0000000000ff", uuid.NewString()), assign(readerID, target), 404, "SubscriptionNotFound"},
		{"a Reader reads it", reader, "GET", at(subScope, name), "", 200, ""},
		{"a missing assignment", reader, "GET", at(subScope, uuid.NewString()), "", 404, "RoleAssignmentNotFound"},
	} {
		status, m, b := do(c.who, c.method, c.path, c.body)
		if status != c.status || code(m) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, b, c.status, c.code)
		}
	}
	// Lists: at the group, the subscription's assignment applies (above);
	// atScope() keeps what applies there; a principal's filter.
	ids := func(b []byte) map[string]bool {
		azurespec.Validate(t, assignments, "RoleAssignmentListResult", b)
		var l struct{ Value []struct{ Name string } }
		_ = json.Unmarshal(b, &l)
		out := map[string]bool{}
		for _, v := range l.Value {
			out[v.Name] = true
		}
		return out
	}
	_, _, b = do(reader, "GET", rgScope+"/providers/Microsoft.Authorization/roleAssignments", "")
	if got := ids(b); !got[name] || len(got) < 3 {
		t.Errorf("assignments at the group: %v", got)
	}
	_, _, b = do(owner, "GET", "/providers/Microsoft.Authorization/roleAssignments", "")
	if got := ids(b); len(got) < 6 {
		t.Errorf("assignments at the root (everything below it): %v", got)
	}
	_, _, b = do(owner, "GET", "/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()", "")
	if got := ids(b); len(got) != 1 {
		t.Errorf("assignments at the root only: %v", got)
	}
	req := "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments"
	_, _, b = do(owner, "GET", req+"?$filter=principalId%20eq%20'"+target+"'", "")
	if got := ids(b); len(got) != 2 || !got[name] {
		t.Errorf("the target's assignments: %v", got)
	}
	if status, m, _ := do(owner, "GET", req+"?$filter=roleName%20eq%20'x'", ""); status != 400 || code(m) != "InvalidFilter" {
		t.Errorf("a filter not supported: %d %v", status, m)
	}
	// Delete: 200 with the assignment, then 204; the access goes at once.
	if status, _, _ := do(owner, "DELETE", at(subScope, name), ""); status != 200 {
		t.Errorf("delete: %d", status)
	}
	if status, _, _ := do(owner, "DELETE", at(subScope, name), ""); status != 204 {
		t.Errorf("delete again: %d", status)
	}
	if status, _, _ := do(target, "GET", subScope+"/resourcegroups?api-version=2021-04-01", ""); status != 403 {
		t.Errorf("target after the delete: %d", status)
	}
	// `tokend roles` sees the same assignments: one source of truth.
	list, err := id.Assignments.List(ctx, target)
	if err != nil || len(list) != 1 || list[0].Scope != rgScope {
		t.Errorf("assignments of the target in storage: %v %v", list, err)
	}
}

// Role definitions: every role the authorizer enforces, with Azure's ids.
func TestRoleDefinitions(t *testing.T) {
	t.Parallel()
	store := testkit.Engines()[0].Open(t)
	testkit.Subscription(t, store, sub, tenant)
	roles, err := identity.NewRoleCatalog(tokend.RoleDefinition{Name: "Data Owner", DataActions: []string{"Example/things/*"}})
	if err != nil {
		t.Fatal(err)
	}
	binding := &authorization.Binding{}
	binding.Bind(identity.NewAssignments(store, roles, nil))
	prov, _ := authorization.New(authorization.Config{Store: store, Assignments: binding})
	srv := testkit.Stack{Store: store, Providers: []*pipeline.Provider{prov.Describe()},
		Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{}}}.ServePlain(t)
	get := func(path string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer good-x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	base := "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions"
	status, b := get(base + "?api-version=2022-04-01")
	if status != 200 {
		t.Fatalf("list: %d %s", status, b)
	}
	azurespec.Validate(t, definitions, "RoleDefinitionListResult", b)
	var l struct {
		Value []struct {
			Name       string
			Properties struct{ RoleName string }
		}
	}
	_ = json.Unmarshal(b, &l)
	if len(l.Value) != 5 {
		t.Errorf("%d roles, want the 4 built-in ones and Data Owner", len(l.Value))
	}
	status, b = get(base + "?api-version=2022-04-01&$filter=roleName%20eq%20'Reader'")
	_ = json.Unmarshal(b, &l)
	if status != 200 || len(l.Value) != 1 || l.Value[0].Name != "acdd72a7-3385-48ef-bd42-f606fba81ae7" {
		t.Errorf("filter by name: %d %s", status, b)
	}
	status, b = get(base + "/acdd72a7-3385-48ef-bd42-f606fba81ae7?api-version=2022-04-01")
	if status != 200 {
		t.Errorf("get: %d %s", status, b)
	}
	azurespec.Validate(t, definitions, "RoleDefinition", b)
	if status, _ = get(base + "/" + uuid.NewString() + "?api-version=2022-04-01"); status != 404 {
		t.Errorf("an unknown role definition: %d", status)
	}
	// A role without an Azure GUID gets a stable derived one.
	dataOwner, _ := roles.Lookup("Data Owner")
	if _, err := uuid.Parse(dataOwner.ID); err != nil {
		t.Errorf("derived role id %q", dataOwner.ID)
	}
	again, _ := identity.NewRoleCatalog(tokend.RoleDefinition{Name: "Data Owner"})
	if r, _ := again.Lookup("data owner"); r.ID != dataOwner.ID {
		t.Error("the derived role id is not stable")
	}
}
