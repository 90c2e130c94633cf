package identity

import (
	"strings"
	"testing"
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

func TestBuiltinRoles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role, action string
		data, want   bool
	}{
		{RoleOwner, "Microsoft.App/containerApps/write", false, true},
		{RoleOwner, "Microsoft.Authorization/roleAssignments/write", false, true},
		{RoleOwner, PlaywrightWriteAccessTokens, true, false}, // Owner's "*" does not reach data
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
		{RolePlaywrightTestingOwner, PlaywrightDeleteAccessToken, true, true},
		{RolePlaywrightTestingOwner, "Microsoft.AzurePlaywrightService/accounts/anything/action", true, true},
		{RolePlaywrightTestingOwner, "Microsoft.AzurePlaywrightService/accounts/write", false, false},
		{RolePlaywrightTestingContributor, PlaywrightWriteAccessTokens, true, true},
		{RolePlaywrightTestingContributor, PlaywrightWriteAccount, true, true},
		{RolePlaywrightTestingContributor, "Microsoft.AzurePlaywrightService/accounts/delete", true, false},
		{RolePlaywrightTestingReader, PlaywrightReadAccessTokens, true, true},
		{RolePlaywrightTestingReader, PlaywrightWriteAccessTokens, true, false},
		{RolePlaywrightTestingReader, "Microsoft.AzurePlaywrightService/accounts/read", false, true},
	} {
		r, ok := LookupRole(tc.role)
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
	for _, name := range []string{"reader", "READER", " Reader ", "acdd72a7-3385-48ef-bd42-f606fba81ae7"} {
		if r, ok := LookupRole(name); !ok || r.Name != RoleReader {
			t.Errorf("LookupRole(%q) = %v, %v", name, r, ok)
		}
	}
	if _, ok := LookupRole("Superuser"); ok {
		t.Error("unknown role found")
	}
	if n := len(Roles()); n != 7 {
		t.Errorf("Roles() lists %d roles, want 7", n)
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
	for _, r := range Roles() {
		if strings.TrimSpace(r.Description) == "" {
			t.Errorf("role %s has no description", r.Name)
		}
	}
}
