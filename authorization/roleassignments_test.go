package authorization_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/testkit"
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
	f := newFixture(t, store)
	id, do, code := f.id, f.do, errorCode
	owner, contrib, reader, uaa, target := f.principal("owner"), f.principal("contributor"), f.principal("reader"), f.principal("uaa"), f.principal("target")
	subScope, rgScope := "/subscriptions/"+sub, "/subscriptions/"+sub+"/resourcegroups/rg"
	f.grant(owner, identity.RoleOwner, "/")
	f.grant(contrib, identity.RoleContributor, subScope)
	f.grant(reader, identity.RoleReader, subScope)
	f.grant(uaa, identity.RoleUserAccessAdministrator, rgScope)
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
	// A user is a principal too, and says so: principalType User, where an
	// application's service principal says ServicePrincipal.
	user := &tokend.User{ObjectID: uuid.NewString(), TenantID: tenant, UserPrincipalName: "ada@contoso.example",
		DisplayName: "Ada", PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}
	if err := store.CreateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	userAssignment := uuid.NewString()
	for _, c := range []struct{ method, path, body, principal, want string }{
		{"PUT", at(rgScope, userAssignment), assign(readerID, user.ObjectID), user.ObjectID, "User"},
		{"GET", at(rgScope, userAssignment), "", user.ObjectID, "User"},
		{"GET", at(subScope, name), "", target, "ServicePrincipal"},
	} {
		status, m, b := do(owner, c.method, c.path, c.body)
		if status/100 != 2 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, status, b)
		}
		if got := m["properties"].(map[string]any)["principalType"]; got != c.want {
			t.Errorf("%s %s: principalType %v, want %s", c.method, c.path, got, c.want)
		}
	}
	_, _, b = do(owner, "GET", rgScope+"/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()", "")
	var listed struct {
		Value []struct {
			Name       string
			Properties struct{ PrincipalType string }
		}
	}
	_ = json.Unmarshal(b, &listed)
	types := map[string]string{}
	for _, v := range listed.Value {
		types[v.Name] = v.Properties.PrincipalType
	}
	if types[userAssignment] != "User" || types[name] != "ServicePrincipal" {
		t.Errorf("principal types in a list: %v", types)
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
