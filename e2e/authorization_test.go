package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/google/uuid"
)

// Role assignments through the official armauthorization client: a
// principal gains access by an assignment made over ARM, and loses it when
// the assignment is deleted; role definitions are listed with Azure's ids.
func TestRoleAssignmentsWithOfficialClient(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	ctx := context.Background()
	scope := "/subscriptions/" + tk.Boot.SubscriptionID
	definitions, err := armauthorization.NewRoleDefinitionsClient(tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	var readerID string
	pager := definitions.NewListPager(scope, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list role definitions: %v", err)
		}
		for _, d := range page.Value {
			if *d.Properties.RoleName == "Reader" {
				readerID = *d.ID
			}
		}
	}
	if readerID != scope+"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7" {
		t.Fatalf("Reader's id: %q", readerID)
	}

	// A client with no role: it reads nothing until assigned Reader.
	created, canRead := newcomer(t, tk, "newcomer")
	assignments, err := armauthorization.NewRoleAssignmentsClient(tk.Boot.SubscriptionID, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	name := uuid.NewString()
	ra, err := assignments.Create(ctx, scope, name, armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			RoleDefinitionID: to.Ptr(readerID), PrincipalID: to.Ptr(created.ObjectID),
			PrincipalType: to.Ptr(armauthorization.PrincipalTypeServicePrincipal),
		},
	}, nil)
	if err != nil || *ra.Name != name || *ra.Properties.Scope != scope {
		t.Fatalf("create: %v %+v", err, ra)
	}
	if !canRead() {
		t.Error("the assignment did not grant Reader")
	}
	if _, err := assignments.Create(ctx, scope, uuid.NewString(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{RoleDefinitionID: to.Ptr(readerID), PrincipalID: to.Ptr(created.ObjectID)},
	}, nil); responseError(err) == nil || responseError(err).StatusCode != http.StatusConflict {
		t.Errorf("a duplicate: %v", err)
	}
	// armauthorization writes $filter into the URL unencoded, spaces and
	// all (x-ms-skip-url-encoding); tokend's server repairs the request
	// line that Go's HTTP server would refuse (server/requestline.go).
	listed := func(filter string) (names []string) {
		t.Helper()
		opts := &armauthorization.RoleAssignmentsClientListForScopeOptions{}
		if filter != "" {
			opts.Filter = to.Ptr(filter)
		}
		for lp := assignments.NewListForScopePager(scope, opts); lp.More(); {
			page, err := lp.NextPage(ctx)
			if err != nil {
				t.Fatalf("list (filter %q): %v", filter, err)
			}
			for _, a := range page.Value {
				names = append(names, *a.Name)
			}
		}
		return names
	}
	if names := listed(""); !slices.Contains(names, name) {
		t.Errorf("the assignment is not listed: %v", names)
	}
	if names := listed("principalId eq '" + created.ObjectID + "'"); len(names) != 1 || names[0] != name {
		t.Errorf("$filter=principalId eq '…' listed %v, want [%s]", names, name)
	}
	if names := listed("principalId eq '" + uuid.NewString() + "'"); len(names) != 0 {
		t.Errorf("$filter for another principal listed %v", names)
	}
	if _, err := assignments.Delete(ctx, scope, name, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if canRead() {
		t.Error("the deleted assignment still grants Reader")
	}
}

// newcomer creates a client without a role and a check of whether it can
// list the subscription's resource groups (armresources), which fails the
// test on anything but a 403; it cannot yet.
func newcomer(t *testing.T, tk *Tokend, name string) (ClientInfo, func() bool) {
	c := tk.CreateClientWith(t, name)
	groups, err := armresources.NewResourceGroupsClient(tk.Boot.SubscriptionID, tk.CredentialFor(t, c.ClientID, c.ClientSecret), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	canRead := func() bool {
		_, err := groups.NewListPager(nil).NextPage(context.Background())
		if err == nil {
			return true
		}
		if re := responseError(err); re == nil || re.StatusCode != http.StatusForbidden {
			t.Fatalf("list groups: %v", err)
		}
		return false
	}
	if canRead() {
		t.Fatal("a client without a role reads resource groups")
	}
	return c, canRead
}

// A custom role through the official client: written, assigned, granting
// what its wildcard matches, and deleted once unassigned.
func TestCustomRoleWithOfficialClient(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	ctx := context.Background()
	scope := "/subscriptions/" + tk.Boot.SubscriptionID
	definitions, err := armauthorization.NewRoleDefinitionsClient(tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	roleID := uuid.NewString()
	def, err := definitions.CreateOrUpdate(ctx, scope, roleID, armauthorization.RoleDefinition{
		Properties: &armauthorization.RoleDefinitionProperties{
			RoleName: to.Ptr("Group Lister"), Description: to.Ptr("Lists resource groups."), RoleType: to.Ptr("CustomRole"),
			Permissions:      []*armauthorization.Permission{{Actions: []*string{to.Ptr("Microsoft.Resources/subscriptions/resourceGroups/*")}}},
			AssignableScopes: []*string{to.Ptr(scope)},
		},
	}, nil)
	if err != nil || *def.Name != roleID || *def.Properties.RoleType != "CustomRole" {
		t.Fatalf("create the role: %v %+v", err, def)
	}
	got, err := definitions.Get(ctx, scope, roleID, nil)
	if err != nil || *got.Properties.RoleName != "Group Lister" || *got.Properties.Permissions[0].Actions[0] != "Microsoft.Resources/subscriptions/resourceGroups/*" {
		t.Fatalf("get the role: %v %+v", err, got)
	}

	created, canRead := newcomer(t, tk, "lister")
	assignments, err := armauthorization.NewRoleAssignmentsClient(tk.Boot.SubscriptionID, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	name := uuid.NewString()
	if _, err := assignments.Create(ctx, scope, name, armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{RoleDefinitionID: def.ID, PrincipalID: to.Ptr(created.ObjectID)},
	}, nil); err != nil {
		t.Fatalf("assign the custom role: %v", err)
	}
	if !canRead() {
		t.Error("the custom role did not grant listing resource groups")
	}
	if _, err := definitions.Delete(ctx, scope, roleID, nil); responseError(err) == nil || responseError(err).StatusCode != http.StatusConflict {
		t.Errorf("deleting an assigned role: %v", err)
	}
	if _, err := assignments.Delete(ctx, scope, name, nil); err != nil {
		t.Fatal(err)
	}
	if canRead() {
		t.Error("the deleted assignment still grants")
	}
	if _, err := definitions.Delete(ctx, scope, roleID, nil); err != nil {
		t.Errorf("delete the role: %v", err)
	}
}
