package e2e

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// Resource groups through the official armresources client: every
// operation of the ResourceGroups group that tokend serves, plus subscription
// and group scoping of what a delete removes.
func TestResourceGroupsWithOfficialClient(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	ctx := context.Background()
	groups, err := armresources.NewResourceGroupsClient(tk.Boot.SubscriptionID, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}

	created, err := groups.CreateOrUpdate(ctx, "Team-RG", armresources.ResourceGroup{
		Location: to.Ptr("westeurope"), Tags: map[string]*string{"team": to.Ptr("qa")}}, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if *created.Name != "Team-RG" || *created.Location != "westeurope" || *created.Properties.ProvisioningState != "Succeeded" {
		t.Errorf("create returned %+v", created.ResourceGroup)
	}
	// ARM ids are case-insensitive; the casing of creation is kept.
	got, err := groups.Get(ctx, "team-rg", nil)
	if err != nil || *got.ID != "/subscriptions/"+tk.Boot.SubscriptionID+"/resourceGroups/Team-RG" {
		t.Fatalf("get: %v %+v", err, got)
	}
	exists, err := groups.CheckExistence(ctx, "Team-RG", nil)
	if err != nil || !exists.Success {
		t.Errorf("check existence: %v %+v", err, exists)
	}
	missing, err := groups.CheckExistence(ctx, "no-such-group", nil)
	if err != nil || missing.Success {
		t.Errorf("check existence of a missing group: %v %+v", err, missing)
	}
	updated, err := groups.Update(ctx, "Team-RG", armresources.ResourceGroupPatchable{Tags: map[string]*string{"team": to.Ptr("dev")}}, nil)
	if err != nil || *updated.Tags["team"] != "dev" {
		t.Errorf("update: %v %+v", err, updated)
	}
	for i := 0; i < 3; i++ {
		if _, err := groups.CreateOrUpdate(ctx, "extra-"+string(rune('a'+i)), armresources.ResourceGroup{Location: to.Ptr("eastus")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for pager := groups.NewListPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		n += len(page.Value)
	}
	if n != 4 {
		t.Errorf("listed %d groups, want 4", n)
	}
	top := int32(2)
	page, err := groups.NewListPager(&armresources.ResourceGroupsClientListOptions{Top: &top}).NextPage(ctx)
	if err != nil || len(page.Value) != 2 || page.NextLink != nil {
		t.Errorf("$top=2: %v, %d items, nextLink %v", err, len(page.Value), page.NextLink)
	}

	poller, err := groups.BeginDelete(ctx, "Team-RG", nil)
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := poller.PollUntilDone(ctx, nil); err != nil {
		t.Fatalf("delete poll: %v", err)
	}
	if _, err := groups.Get(ctx, "Team-RG", nil); responseError(err) == nil || responseError(err).ErrorCode != "ResourceGroupNotFound" {
		t.Errorf("get after delete: %v", err)
	}

	other, err := armresources.NewResourceGroupsClient("11111111-2222-3333-4444-555555555555", tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Get(ctx, "x", nil); responseError(err) == nil || responseError(err).ErrorCode != "SubscriptionNotFound" {
		t.Errorf("unknown subscription: %v", err)
	}
}
