package authorization_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// Custom roles over ARM: written by those who may, never granting more
// than their author holds, enforced with Azure's wildcards within their
// assignable scopes, and kept while assigned.
func TestCustomRoles(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testCustomRoles)
}

func testCustomRoles(t *testing.T, store tokend.Store) {
	f := newFixture(t, store)
	const sub2 = "7e1d0000-0000-4000-8000-0000000000bb"
	testkit.Subscription(t, store, sub2, tenant)
	owner, contrib, uaa, target := f.principal("owner"), f.principal("contributor"), f.principal("uaa"), f.principal("target")
	subScope, rgScope := "/subscriptions/"+sub, "/subscriptions/"+sub+"/resourcegroups/rg"
	f.grant(owner, identity.RoleOwner, "/")
	f.grant(contrib, identity.RoleContributor, subScope)
	f.grant(uaa, identity.RoleUserAccessAdministrator, rgScope)

	defAt := func(scope, id string) string {
		return strings.TrimSuffix(scope, "/") + "/providers/Microsoft.Authorization/roleDefinitions/" + id
	}
	role := func(name, actions, notActions, scopes string) string {
		return `{"properties":{"roleName":"` + name + `","description":"d","type":"CustomRole","permissions":[{"actions":[` + actions +
			`],"notActions":[` + notActions + `],"dataActions":[],"notDataActions":[]}],"assignableScopes":[` + scopes + `]}}`
	}
	assignAt := func(scope, roleID string) (int, map[string]any) {
		status, m, _ := f.do(owner, "PUT", scope+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString(),
			`{"properties":{"roleDefinitionId":"`+defAt(subScope, roleID)+`","principalId":"`+target+`"}}`)
		return status, m
	}
	canReadGroups := func() int {
		status, _, _ := f.do(target, "GET", subScope+"/resourcegroups?api-version=2021-04-01", "")
		return status
	}

	// The owner writes a role that reads everything in Microsoft.Resources.
	opID := uuid.NewString()
	status, m, b := f.do(owner, "PUT", defAt(subScope, opID), role("Group Reader", `"Microsoft.Resources/*/read"`, "", `"`+subScope+`"`))
	if status != 201 {
		t.Fatalf("owner writes a custom role: %d %s", status, b)
	}
	azurespec.Validate(t, definitions, "RoleDefinition", b)
	props := m["properties"].(map[string]any)
	if m["name"] != opID || props["type"] != "CustomRole" || props["roleName"] != "Group Reader" {
		t.Errorf("custom role = %s", b)
	}
	if scopes, _ := props["assignableScopes"].([]any); len(scopes) != 1 || scopes[0] != subScope {
		t.Errorf("assignable scopes = %v", props["assignableScopes"])
	}
	if status, _, b := f.do(contrib, "GET", defAt(subScope, opID), ""); status != 200 {
		t.Errorf("get the custom role: %d %s", status, b)
	}
	ids := func(scope, filter string) []string {
		status, _, b := f.do(owner, "GET", scope+"/providers/Microsoft.Authorization/roleDefinitions"+filter, "")
		if status != 200 {
			t.Fatalf("list role definitions: %d %s", status, b)
		}
		azurespec.Validate(t, definitions, "RoleDefinitionListResult", b)
		var out []string
		for _, v := range decodeList(t, b) {
			out = append(out, v["name"].(string))
		}
		return out
	}
	if got := ids(subScope, "?$filter=type%20eq%20'CustomRole'"); len(got) != 1 || got[0] != opID {
		t.Errorf("custom roles at the subscription: %v", got)
	}
	if got := ids("/subscriptions/"+sub2, "?$filter=type%20eq%20'CustomRole'"); len(got) != 0 {
		t.Errorf("custom roles at another subscription: %v", got)
	}
	if got := ids(subScope, "?$filter=roleName%20eq%20'group%20reader'"); len(got) != 1 {
		t.Errorf("the custom role by name: %v", got)
	}

	// Assigned, it grants what its wildcard matches, at once.
	if got := canReadGroups(); got != 403 {
		t.Fatalf("target before the assignment: %d", got)
	}
	if status, m := assignAt(subScope, opID); status != 201 {
		t.Fatalf("assign the custom role: %d %v", status, m)
	}
	if got := canReadGroups(); got != 200 {
		t.Errorf("target with the custom role: %d", got)
	}
	if status, m := assignAt("/subscriptions/"+sub2, opID); status != 400 || errorCode(m) != "RoleDefinitionNotAssignableAtScope" {
		t.Errorf("an assignment outside the assignable scopes: %d %v", status, m)
	}
	// An update applies at once: a NotAction takes the groups away.
	status, _, b = f.do(owner, "PUT", defAt(subScope, opID), role("Group Reader", `"Microsoft.Resources/*/read"`, `"Microsoft.Resources/subscriptions/resourceGroups/*"`, `"`+subScope+`"`))
	if status != 201 {
		t.Fatalf("update: %d %s", status, b)
	}
	if got := canReadGroups(); got != 403 {
		t.Errorf("target after a NotAction: %d", got)
	}

	other := uuid.NewString()
	for _, c := range []struct {
		name, who, path, body string
		status                int
		code, target          string
	}{
		{"a Contributor cannot write roles", contrib, defAt(subScope, other), role("C", `"*/read"`, "", `"`+subScope+`"`), 403, "AuthorizationFailed", ""},
		{"UAA writes within its group and its own actions", uaa, defAt(rgScope, other), role("U", `"Microsoft.Resources/*/read"`, "", `"`+rgScope+`"`), 201, "", ""},
		{"UAA cannot grant what it lacks", uaa, defAt(rgScope, uuid.NewString()), role("U2", `"Microsoft.App/containerApps/write"`, "", `"`+rgScope+`"`), 403, "RoleDefinitionGrantsMoreThanCaller", ""},
		{"UAA cannot grant a wildcard wider than its own", uaa, defAt(rgScope, uuid.NewString()), role("U3", `"*"`, "", `"`+rgScope+`"`), 403, "RoleDefinitionGrantsMoreThanCaller", ""},
		{"UAA cannot write outside its group", uaa, defAt(rgScope, uuid.NewString()), role("U4", `"*/read"`, "", `"`+subScope+`"`), 403, "AuthorizationFailed", ""},
		{"a name taken by a custom role", owner, defAt(subScope, uuid.NewString()), role("GROUP READER", `"*/read"`, "", `"`+subScope+`"`), 409, "RoleDefinitionWithSameNameExists", ""},
		{"a name taken by a built-in role", owner, defAt(subScope, uuid.NewString()), role("reader", `"*/read"`, "", `"`+subScope+`"`), 409, "RoleDefinitionWithSameNameExists", ""},
		{"a built-in role", owner, defAt(subScope, "acdd72a7-3385-48ef-bd42-f606fba81ae7"), role("Mine", `"*/read"`, "", `"`+subScope+`"`), 403, "BuiltInRoleUpdateNotPermitted", ""},
		{"no name", owner, defAt(subScope, uuid.NewString()), role("", `"*/read"`, "", `"`+subScope+`"`), 400, "InvalidRoleDefinition", "properties.roleName"},
		{"the root as assignable scope", owner, defAt(subScope, uuid.NewString()), role("R", `"*/read"`, "", `"/"`), 400, "InvalidRoleDefinition", "properties.assignableScopes[0]"},
		{"no assignable scope", owner, defAt(subScope, uuid.NewString()), role("R", `"*/read"`, "", ""), 400, "InvalidRoleDefinition", "properties.assignableScopes"},
		{"an action that is not one", owner, defAt(subScope, uuid.NewString()), role("R", `"*/read", "read everything"`, "", `"`+subScope+`"`), 400, "InvalidRoleDefinition", "properties.permissions[0].actions[1]"},
		{"nothing granted", owner, defAt(subScope, uuid.NewString()), role("R", "", "", `"`+subScope+`"`), 400, "InvalidRoleDefinition", "properties.permissions"},
		{"two permission blocks", owner, defAt(subScope, uuid.NewString()), `{"properties":{"roleName":"R","permissions":[{"actions":["*/read"]},{"actions":["*/read"]}],"assignableScopes":["` + subScope + `"]}}`, 400, "InvalidRoleDefinition", "properties.permissions"},
		{"no properties", owner, defAt(subScope, uuid.NewString()), `{}`, 400, "InvalidRequestContent", "properties"},
		{"an id that is no GUID", owner, defAt(subScope, "my-role"), role("R", `"*/read"`, "", `"`+subScope+`"`), 400, "InvalidRoleDefinitionId", "roleDefinitionId"},
		{"narrowing away an assignment", owner, defAt(subScope, opID), role("Group Reader", `"*/read"`, "", `"`+rgScope+`"`), 409, "RoleDefinitionHasAssignments", ""},
		{"deleting an assigned role", owner, defAt(subScope, opID), "", 409, "RoleDefinitionHasAssignments", ""},
	} {
		method := "PUT"
		if c.body == "" {
			method = "DELETE"
		}
		status, m, b := f.do(c.who, method, c.path, c.body)
		e, _ := m["error"].(map[string]any)
		if status != c.status || errorCode(m) != c.code || c.target != "" && e["target"] != c.target {
			t.Errorf("%s: %d %s, want %d %s (target %q)", c.name, status, b, c.status, c.code, c.target)
		}
	}

	// Unassigned, it can go: 200 with the role, then 204.
	list, err := f.id.Assignments.List(t.Context(), target)
	if err != nil || len(list) != 1 {
		t.Fatalf("target's assignments: %v %v", list, err)
	}
	if err := f.id.Assignments.Remove(t.Context(), list[0].ID); err != nil {
		t.Fatal(err)
	}
	status, m, b = f.do(owner, "DELETE", defAt(subScope, opID), "")
	if status != 200 || m["name"] != opID {
		t.Errorf("delete: %d %s", status, b)
	}
	azurespec.Validate(t, definitions, "RoleDefinition", b)
	if status, _, _ := f.do(owner, "DELETE", defAt(subScope, opID), ""); status != 204 {
		t.Errorf("delete again: %d", status)
	}
	if status, _, _ := f.do(owner, "GET", defAt(subScope, opID), ""); status != 404 {
		t.Errorf("get after delete: %d", status)
	}
}
