package e2e

import (
	"context"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// Resource providers through the official armresources client, as tools
// check registration at startup: every namespace tokend serves is listed
// with its resource types, gettable, and registers at once.
func TestProvidersWithOfficialClient(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	ctx := context.Background()
	providers, err := armresources.NewProvidersClient(tk.Boot.SubscriptionID, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	var namespaces []string
	pager := providers.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, p := range page.Value {
			namespaces = append(namespaces, *p.Namespace)
		}
	}
	for _, want := range []string{"Microsoft.App", "Microsoft.ApiManagement", "Microsoft.AzurePlaywrightService", "Microsoft.Resources"} {
		if !slices.Contains(namespaces, want) {
			t.Errorf("%s is not listed: %v", want, namespaces)
		}
	}
	app, err := providers.Get(ctx, "microsoft.app", nil)
	if err != nil || *app.Namespace != "Microsoft.App" || *app.RegistrationState != "Registered" {
		t.Fatalf("get: %v %+v", err, app)
	}
	var types []string
	for _, rt := range app.ResourceTypes {
		types = append(types, *rt.ResourceType)
		if len(rt.APIVersions) == 0 || len(rt.Locations) == 0 {
			t.Errorf("%s lacks api-versions or locations", *rt.ResourceType)
		}
	}
	if !slices.Contains(types, "containerApps") {
		t.Errorf("Microsoft.App's resource types %v lack containerApps", types)
	}
	if _, err := providers.Unregister(ctx, "Microsoft.App", nil); err != nil {
		t.Fatalf("unregister: %v", err)
	}
	registered, err := providers.Register(ctx, "Microsoft.App", nil)
	if err != nil || *registered.RegistrationState != "Registered" {
		t.Fatalf("register: %v %+v", err, registered)
	}
	if _, err := providers.Get(ctx, "Microsoft.Nope", nil); responseError(err) == nil || responseError(err).StatusCode != 404 {
		t.Errorf("unknown namespace: %v", err)
	}
}
