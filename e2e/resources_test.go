package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/azuretest"
)

const commonTypesV5 = "common-types/resource-management/v5/types.json"

// resourcesValidate checks Microsoft.Resources' answers about generic
// resources against resources.json 2025-04-01 (errors against
// common-types), before the client sees them.
func resourcesValidate(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	path := strings.ToLower(strings.TrimRight(req.URL.Path, "/"))
	switch {
	case req.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusAccepted:
		if len(body) > 0 {
			t.Errorf("%s %s: %d with a body: %s", req.Method, req.URL.Path, resp.StatusCode, body)
		}
	case resp.StatusCode >= 400:
		azurespec.Validate(t, commonTypesV5, "ErrorResponse", body)
	case strings.HasSuffix(path, "/resources"):
		azurespec.Validate(t, azurespec.Resources, "ResourceListResult", body)
	case strings.HasSuffix(path, "/operations"):
		azurespec.Validate(t, commonTypesV5, "OperationListResult", body)
	case req.Method == http.MethodGet && strings.Contains(path, "/resourcegroups/") && strings.Contains(path, "/providers/"):
		azurespec.Validate(t, azurespec.Resources, "GenericResource", body)
	}
}

// Generic resources through the official armresources client over TLS:
// resources of several providers listed by subscription and group (with
// $filter, $expand and $top), checked, read and deleted by id with the
// api-version their provider lists, and what tokend refuses refused in
// ARM's envelope.
func TestGenericResourcesWithOfficialClient(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sub := tk.Boot.SubscriptionID
	opts := tk.ARMOptions()
	opts.Transport = &azuretest.CheckingTransport{Inner: tk.HTTP, Check: func(req *http.Request, resp *http.Response, body []byte) {
		resourcesValidate(t, req, resp, body)
	}}
	cred := tk.Credential(t)
	client, err := armresources.NewClient(sub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	providers, err := armresources.NewProvidersClient(sub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The api-version of a type is one its provider lists for it.
	version := func(namespace, typ string) string {
		p, err := providers.Get(ctx, namespace, nil)
		if err != nil {
			t.Fatalf("get provider %s: %v", namespace, err)
		}
		for _, rt := range p.ResourceTypes {
			if strings.EqualFold(*rt.ResourceType, typ) && len(rt.APIVersions) > 0 {
				return *rt.APIVersions[0]
			}
		}
		t.Fatalf("%s does not list %s", namespace, typ)
		return ""
	}
	pwVersion := version("Microsoft.AzurePlaywrightService", "accounts")
	apimVersion := version("Microsoft.ApiManagement", "service")

	groupPath := "/subscriptions/" + sub + "/resourceGroups/"
	account := func(rg, name string) string {
		return groupPath + rg + "/providers/Microsoft.AzurePlaywrightService/accounts/" + name
	}
	create := func(id, apiVersion string, body armresources.GenericResource) {
		t.Helper()
		poller, err := client.BeginCreateOrUpdateByID(ctx, id, apiVersion, body, nil)
		if err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
		if _, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}); err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
	}
	create(account("rg-generic-a", "pwalpha"), pwVersion, armresources.GenericResource{Location: to.Ptr("eastus"), Tags: map[string]*string{"env": to.Ptr("prod")}})
	create(account("rg-generic-a", "pwbeta"), pwVersion, armresources.GenericResource{Location: to.Ptr("eastus"), Tags: map[string]*string{"env": to.Ptr("dev")}})
	create(account("rg-generic-a", "pwgamma"), pwVersion, armresources.GenericResource{Location: to.Ptr("eastus")})
	apimID := groupPath + "rg-generic-b/providers/Microsoft.ApiManagement/service/apim-generic"
	create(apimID, apimVersion, armresources.GenericResource{Location: to.Ptr("westeurope"),
		SKU:        &armresources.SKU{Name: to.Ptr("Developer"), Capacity: to.Ptr[int32](1)},
		Properties: map[string]any{"publisherEmail": "apim@contoso.com", "publisherName": "Contoso"}})

	names := func(pager *runtime.Pager[armresources.ClientListResponse]) []string {
		t.Helper()
		var out []string
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			for _, r := range page.Value {
				out = append(out, *r.Name)
			}
		}
		return out
	}
	all := names(client.NewListPager(nil))
	for _, want := range []string{"pwalpha", "pwbeta", "pwgamma", "apim-generic"} {
		if !slices.Contains(all, want) {
			t.Errorf("the subscription's list %v lacks %s", all, want)
		}
	}
	if got := names(client.NewListPager(&armresources.ClientListOptions{Filter: to.Ptr("resourceType eq 'microsoft.apimanagement/SERVICE'")})); !slices.Equal(got, []string{"apim-generic"}) {
		t.Errorf("by type: %v", got)
	}
	if got := names(client.NewListPager(&armresources.ClientListOptions{Filter: to.Ptr("substringof('beta', name)")})); !slices.Equal(got, []string{"pwbeta"}) {
		t.Errorf("substringof: %v", got)
	}
	inGroup := client.NewListByResourceGroupPager("rg-generic-a", &armresources.ClientListByResourceGroupOptions{
		Filter: to.Ptr("tagName eq 'env' and tagValue eq 'prod'"), Expand: to.Ptr("createdTime,changedTime,provisioningState")})
	page, err := inGroup.NextPage(ctx)
	if err != nil || len(page.Value) != 1 {
		t.Fatalf("by tag in a group: %v %+v", err, page)
	}
	if r := page.Value[0]; *r.Name != "pwalpha" || *r.Type != "Microsoft.AzurePlaywrightService/accounts" || r.CreatedTime == nil || r.ChangedTime == nil ||
		r.ProvisioningState == nil || *r.ProvisioningState != "Succeeded" || *r.Tags["env"] != "prod" {
		t.Errorf("expanded item %+v", r)
	}
	page2, err := client.NewListByResourceGroupPager("rg-generic-a", &armresources.ClientListByResourceGroupOptions{Top: to.Ptr[int32](2)}).NextPage(ctx)
	if err != nil || len(page2.Value) != 2 || page2.NextLink != nil {
		t.Errorf("$top=2: %v, %d items, nextLink %v", err, len(page2.Value), page2.NextLink)
	}

	// By id, with the api-version the provider lists.
	alpha := account("rg-generic-a", "pwalpha")
	if got, err := client.GetByID(ctx, alpha, pwVersion, nil); err != nil || !strings.EqualFold(*got.ID, alpha) || *got.Name != "pwalpha" {
		t.Errorf("get by id: %v %+v", err, got)
	}
	if exists, err := client.CheckExistenceByID(ctx, alpha, pwVersion, nil); err != nil || !exists.Success {
		t.Errorf("check existence: %v %+v", err, exists)
	}
	if exists, err := client.CheckExistenceByID(ctx, apimID, apimVersion, nil); err != nil || !exists.Success {
		t.Errorf("check existence of the APIM service: %v %+v", err, exists)
	}
	poller, err := client.BeginDeleteByID(ctx, alpha, pwVersion, nil)
	if err != nil {
		t.Fatalf("delete by id: %v", err)
	}
	if _, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}); err != nil {
		t.Fatalf("delete by id: %v", err)
	}
	if exists, err := client.CheckExistenceByID(ctx, alpha, pwVersion, nil); err != nil || exists.Success {
		t.Errorf("check existence after delete: %v %+v", err, exists)
	}
	if _, err := client.GetByID(ctx, groupPath+"rg-generic-a/providers/Microsoft.Nope/things/x", pwVersion, nil); responseError(err) == nil ||
		responseError(err).StatusCode != 404 || responseError(err).ErrorCode != "InvalidResourceNamespace" {
		t.Errorf("unknown namespace: %v", err)
	}
	if _, err := client.GetByID(ctx, groupPath+"rg-generic-a/providers/Microsoft.AzurePlaywrightService/gadgets/x", pwVersion, nil); responseError(err) == nil ||
		responseError(err).StatusCode != 404 || responseError(err).ErrorCode != "InvalidResourceType" {
		t.Errorf("unknown type: %v", err)
	}

	// Refusals, in ARM's envelope naming what is at fault.
	_, err = client.BeginMoveResources(ctx, "rg-generic-a", armresources.MoveInfo{Resources: []*string{to.Ptr(account("rg-generic-a", "pwbeta"))},
		TargetResourceGroup: to.Ptr(groupPath + "rg-generic-b")}, nil)
	if re := responseError(err); re == nil || re.StatusCode != 400 || re.ErrorCode != "MoveResourcesNotSupported" {
		t.Errorf("move: %v", err)
	}
	_, err = client.BeginValidateMoveResources(ctx, "rg-generic-a", armresources.MoveInfo{Resources: []*string{to.Ptr(account("rg-generic-a", "pwbeta"))},
		TargetResourceGroup: to.Ptr(groupPath + "rg-generic-b")}, nil)
	if re := responseError(err); re == nil || re.StatusCode != 400 || re.ErrorCode != "MoveResourcesNotSupported" {
		t.Errorf("validate move: %v", err)
	}
	for _, c := range []struct {
		options *armresources.ClientListOptions
		code    string
	}{
		{&armresources.ClientListOptions{Filter: to.Ptr("location eq 'eastus'")}, "InvalidFilterInQueryString"},
		{&armresources.ClientListOptions{Top: to.Ptr[int32](0)}, "InvalidParameter"},
		{&armresources.ClientListOptions{Top: to.Ptr[int32](5000)}, "InvalidParameter"},
	} {
		_, err := client.NewListPager(c.options).NextPage(ctx)
		if re := responseError(err); re == nil || re.StatusCode != 400 || re.ErrorCode != c.code {
			t.Errorf("list %+v: %v, want 400 %s", c.options, err, c.code)
		}
	}
	token := tk.ARMToken(t)
	resp, b := tk.Do(t, http.MethodGet, "/subscriptions/"+sub+"/resources?"+Query("api-version", "2025-04-01", "$skipToken", "bm9wZQ"), nil, token)
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"InvalidSkipToken"`) || !strings.Contains(string(b), `"$skipToken"`) {
		t.Errorf("bad continuation token: %d %s", resp.StatusCode, b)
	}
	azurespec.Validate(t, commonTypesV5, "ErrorResponse", b)
	other, err := armresources.NewClient("00000000-0000-4000-8000-0000000000ff", cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.NewListPager(nil).NextPage(ctx); responseError(err) == nil || responseError(err).ErrorCode != "SubscriptionNotFound" {
		t.Errorf("another subscription: %v", err)
	}

	// Operations_List of Microsoft.Resources through the client, and of
	// every other namespace served.
	ops, err := armresources.NewOperationsClient(cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for pager := ops.NewListPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("operations: %v", err)
		}
		for _, op := range page.Value {
			actions = append(actions, *op.Name)
		}
	}
	if !slices.Contains(actions, "Microsoft.Resources/subscriptions/resources/read") {
		t.Errorf("Microsoft.Resources operations %v", actions)
	}
	for _, ns := range []string{"Microsoft.App", "Microsoft.ApiManagement", "Microsoft.AzurePlaywrightService", "Microsoft.Authorization"} {
		resp, b := tk.Do(t, http.MethodGet, "/providers/"+ns+"/operations?api-version="+version(ns, firstType(t, ctx, providers, ns)), nil, token)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"`+ns+`/`) {
			t.Errorf("%s operations: %d %s", ns, resp.StatusCode, b)
		}
		azurespec.Validate(t, commonTypesV5, "OperationListResult", b)
	}
}

// firstType is a resource type a provider lists, for its api-versions.
func firstType(t *testing.T, ctx context.Context, providers *armresources.ProvidersClient, namespace string) string {
	t.Helper()
	p, err := providers.Get(ctx, namespace, nil)
	if err != nil || len(p.ResourceTypes) == 0 {
		t.Fatalf("provider %s: %v", namespace, err)
	}
	return *p.ResourceTypes[0].ResourceType
}
