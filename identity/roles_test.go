package identity

import (
	"sort"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/playwright"
)

func TestMatchAction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, action string
		want            bool
	}{
		{"*", "microsoft.app/containerapps/write", true},
		{"*/read", "microsoft.app/containerapps/read", true},
		{"*/read", "microsoft.app/containerapps/write", false},
		{"*/read", "microsoft.app/containerapps/read/action", false},
		{"microsoft.authorization/*/write", "microsoft.authorization/roleassignments/write", true},
		{"microsoft.authorization/*/write", "microsoft.authorization/policy/assignments/write", true},
		{"microsoft.authorization/*/write", "microsoft.app/containerapps/write", false},
		{"microsoft.authorization/*", "microsoft.authorization/roleassignments/delete", true},
		{"microsoft.app/containerapps/*", "microsoft.app/containerapps/getauthtoken/action", true},
		{"microsoft.app/containerapps/*", "microsoft.app/containerappsx/read", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"", "", true},
		{"", "x", false},
		{"**", "anything", true},
	} {
		if got := matchAction(tc.pattern, tc.action); got != tc.want {
			t.Errorf("matchAction(%q, %q) = %v, want %v", tc.pattern, tc.action, got, tc.want)
		}
	}
}

// The built-in roles and the Playwright provider's, in the catalog the app
// composes.
func TestBuiltinRoles(t *testing.T) {
	t.Parallel()
	roles := playwrightRoles(t)
	for _, tc := range []struct {
		role, action string
		data, want   bool
	}{
		{RoleOwner, "Microsoft.App/containerApps/write", false, true},
		{RoleOwner, "Microsoft.Authorization/roleAssignments/write", false, true},
		{RoleOwner, pwWriteAccessTokens, true, false}, // Owner's "*" does not reach data
		{RoleContributor, "Microsoft.App/containerApps/write", false, true},
		{RoleContributor, "Microsoft.App/containerApps/getAuthtoken/action", false, true},
		{RoleContributor, "Microsoft.Authorization/roleAssignments/write", false, false},
		{RoleContributor, "microsoft.authorization/roleassignments/DELETE", false, false},
		{RoleContributor, "Microsoft.Authorization/elevateAccess/Action", false, false},
		{RoleContributor, "Microsoft.Authorization/roleAssignments/read", false, true},
		{RoleContributor, RevokeAnyTokenAction, false, false},
		{RoleOwner, RevokeAnyTokenAction, false, true},
		{RoleReader, "Microsoft.Resources/subscriptions/resourceGroups/read", false, true},
		{RoleReader, "Microsoft.Resources/subscriptions/resourceGroups/write", false, false},
		{RoleReader, "Microsoft.App/containerApps/getAuthtoken/action", false, false},
		{RoleUserAccessAdministrator, "Microsoft.Authorization/roleAssignments/write", false, true},
		{RoleUserAccessAdministrator, "Microsoft.App/containerApps/write", false, false},
		{playwright.RoleTestingOwner, pwDeleteAccessToken, true, true},
		{playwright.RoleTestingOwner, "Microsoft.AzurePlaywrightService/accounts/anything/action", true, true},
		{playwright.RoleTestingOwner, "Microsoft.AzurePlaywrightService/accounts/write", false, false},
		{playwright.RoleTestingContributor, pwWriteAccessTokens, true, true},
		{playwright.RoleTestingContributor, pwWriteAccount, true, true},
		{playwright.RoleTestingContributor, "Microsoft.AzurePlaywrightService/accounts/delete", true, false},
		{playwright.RoleTestingReader, pwReadAccessTokens, true, true},
		{playwright.RoleTestingReader, pwWriteAccessTokens, true, false},
		{playwright.RoleTestingReader, "Microsoft.AzurePlaywrightService/accounts/read", false, true},
	} {
		r, ok := roles.Lookup(tc.role)
		if !ok {
			t.Fatalf("role %q missing", tc.role)
		}
		got := r.Permits(tc.action)
		if tc.data {
			got = r.PermitsData(tc.action)
		}
		if got != tc.want {
			t.Errorf("%s data=%v %s: got %v, want %v", tc.role, tc.data, tc.action, got, tc.want)
		}
	}
}

func TestLookupRoleByNameOrID(t *testing.T) {
	t.Parallel()
	roles := playwrightRoles(t)
	for _, name := range []string{"reader", "READER", " Reader ", "acdd72a7-3385-48ef-bd42-f606fba81ae7", "ACDD72A7-3385-48EF-BD42-F606FBA81AE7"} {
		if r, ok := roles.Lookup(name); !ok || r.Name != RoleReader {
			t.Errorf("Lookup(%q) = %v, %v", name, r, ok)
		}
	}
	if r, ok := roles.Lookup("playwright testing owner"); !ok || r.Name != playwright.RoleTestingOwner {
		t.Errorf("a provider's role by name: %v, %v", r, ok)
	}
	if _, ok := roles.Lookup("Superuser"); ok {
		t.Error("unknown role found")
	}
	list := roles.List()
	if n := len(list); n != 7 {
		t.Errorf("List() lists %d roles, want 7", n)
	}
	if !sort.SliceIsSorted(list, func(i, j int) bool { return list[i].Name < list[j].Name }) {
		t.Error("List() is not sorted by name")
	}
}

// Without provider roles a catalog knows the four generic ones; a name or
// GUID declared twice, in any case, is refused.
func TestRoleCatalog(t *testing.T) {
	t.Parallel()
	builtin, err := NewRoleCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(builtin.List()); n != 4 {
		t.Errorf("built-in catalog lists %d roles, want 4", n)
	}
	if _, ok := builtin.Lookup(playwright.RoleTestingOwner); ok {
		t.Error("a provider's role is known without the provider")
	}
	for name, extra := range map[string][]tokend.RoleDefinition{
		"a built-in name":            {{Name: "owner", Actions: []string{"*"}}},
		"a built-in GUID":            {{Name: "Mine", ID: "ACDD72A7-3385-48EF-BD42-F606FBA81AE7"}},
		"one name twice":             {{Name: "Mine"}, {Name: "MINE"}},
		"a name another role's GUID": {{Name: "Mine", ID: "11111111-1111-1111-1111-111111111111"}, {Name: "11111111-1111-1111-1111-111111111111"}},
		"a provider's roles twice":   append(append([]tokend.RoleDefinition(nil), playwright.Roles...), playwright.Roles...),
	} {
		if _, err := NewRoleCatalog(extra...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCanonicalScope(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                  "/",
		"/":                                 "/",
		"/Subscriptions/ABC/":               "/subscriptions/abc",
		"/subscriptions/a/resourceGroups/R": "/subscriptions/a/resourcegroups/r",
	} {
		got, err := CanonicalScope(in)
		if err != nil || got != want {
			t.Errorf("CanonicalScope(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"subscriptions/a", "/subscriptions//a", "/subscriptions/../x", "/a/./b"} {
		if _, err := CanonicalScope(bad); err == nil {
			t.Errorf("CanonicalScope(%q) accepted", bad)
		}
	}
}

func TestScopeCovers(t *testing.T) {
	t.Parallel()
	const sub = "/subscriptions/a"
	for _, tc := range []struct {
		scope, target string
		want          bool
	}{
		{"/", "/", true},
		{"/", sub + "/resourcegroups/rg", true},
		{sub, sub, true},
		{sub, sub + "/resourcegroups/rg/providers/microsoft.app/containerapps/x", true},
		{sub, "/subscriptions/ab", false}, // prefix, but not at a "/" boundary
		{sub, "/subscriptions/b", false},
		{sub + "/resourcegroups/rg", sub, false},
		{sub, "/", false},
	} {
		if got := scopeCovers(tc.scope, tc.target); got != tc.want {
			t.Errorf("scopeCovers(%q, %q) = %v", tc.scope, tc.target, got)
		}
	}
}

func TestRoleDocsListEveryRole(t *testing.T) {
	t.Parallel()
	for _, r := range playwrightRoles(t).List() {
		if strings.TrimSpace(r.Description) == "" {
			t.Errorf("role %s has no description", r.Name)
		}
	}
}
