package e2e

import (
	"context"
	"net/http"
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
	created := tk.CreateClientWith(t, "newcomer")
	groups, err := armresources.NewResourceGroupsClient(tk.Boot.SubscriptionID, tk.CredentialFor(t, created.ClientID, created.ClientSecret), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	canRead := func() bool {
		_, err := groups.NewListPager(nil).NextPage(ctx)
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
	// Without $filter: armauthorization writes $filter into the URL
	// unencoded (spaces and all), which Go's HTTP server refuses as a
	// malformed request line before tokend sees it (docs/identity.md).
	var listed bool
	for lp := assignments.NewListForScopePager(scope, nil); lp.More(); {
		page, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, a := range page.Value {
			listed = listed || *a.Name == name
		}
	}
	if !listed {
		t.Error("the assignment is not listed")
	}
	if _, err := assignments.Delete(ctx, scope, name, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if canRead() {
		t.Error("the deleted assignment still grants Reader")
	}
}
