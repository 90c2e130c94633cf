package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	apimv2 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v2"
	apimv3 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3"
	"github.com/tokend-dev/tokend/internal/azuretest"
)

func apimPtr[T any](v T) *T { return &v }

func apimStatus(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// TestAPIMAuthorizationServers runs the API Management service and its
// authorization servers through the real binary over TLS, signed in with
// the official azidentity credential and driven by the unchanged
// armapimanagement v3 (2024-05-01) and v2 (2022-08-01) clients.
func TestAPIMAuthorizationServers(t *testing.T) {
	tk := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cred := tk.Credential(t)
	sub := tk.Boot.SubscriptionID
	const rg, svc = "rg-apim-e2e", "apim-e2e"

	f3, err := apimv3.NewClientFactory(sub, cred, tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	services := f3.NewServiceClient()
	poller, err := services.BeginCreateOrUpdate(ctx, rg, svc, apimv3.ServiceResource{
		Location: apimPtr("westeurope"),
		SKU:      &apimv3.ServiceSKUProperties{Name: apimPtr(apimv3.SKUTypeDeveloper), Capacity: apimPtr[int32](1)},
		Properties: &apimv3.ServiceProperties{
			PublisherEmail: apimPtr("apim@contoso.com"), PublisherName: apimPtr("Contoso"),
		},
	}, nil)
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	created, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	if created.Properties == nil || *created.Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("service not provisioned: %+v", created.Properties)
	}

	servers := f3.NewAuthorizationServerClient()
	contract := func(id string) apimv3.AuthorizationServerContract {
		return apimv3.AuthorizationServerContract{Properties: &apimv3.AuthorizationServerContractProperties{
			AuthorizationEndpoint:      apimPtr("https://login.example.com/oauth2/authorize"),
			AuthorizationMethods:       []*apimv3.AuthorizationMethod{apimPtr(apimv3.AuthorizationMethodGET)},
			BearerTokenSendingMethods:  []*apimv3.BearerTokenSendingMethod{apimPtr(apimv3.BearerTokenSendingMethodAuthorizationHeader)},
			ClientAuthenticationMethod: []*apimv3.ClientAuthenticationMethod{apimPtr(apimv3.ClientAuthenticationMethodBasic)},
			ClientID:                   apimPtr("client-" + id),
			ClientRegistrationEndpoint: apimPtr("https://registration.example.com/register"),
			ClientSecret:               apimPtr("secret-" + id),
			DefaultScope:               apimPtr("read write"),
			DisplayName:                apimPtr("E2E " + id),
			GrantTypes:                 []*apimv3.GrantType{apimPtr(apimv3.GrantTypeAuthorizationCode), apimPtr(apimv3.GrantTypeClientCredentials)},
			SupportState:               apimPtr(true),
			TokenEndpoint:              apimPtr("https://login.example.com/oauth2/token"),
		}}
	}
	put, err := servers.CreateOrUpdate(ctx, rg, svc, "as1", contract("as1"), nil)
	if err != nil {
		t.Fatalf("create server: %v", err)
	}
	if put.ETag == nil || put.Properties.ClientSecret != nil {
		t.Fatalf("create: etag %v, clientSecret returned: %v", put.ETag, put.Properties.ClientSecret != nil)
	}
	get, err := servers.Get(ctx, rg, svc, "as1", nil)
	if err != nil || *get.ETag != *put.ETag || get.Properties.ClientSecret != nil {
		t.Fatalf("get: %v", err)
	}
	head, err := servers.GetEntityTag(ctx, rg, svc, "as1", nil)
	if err != nil || *head.ETag != *put.ETag {
		t.Fatalf("head: %v", err)
	}
	if _, err := servers.GetEntityTag(ctx, rg, svc, "missing", nil); apimStatus(err) != http.StatusNotFound {
		t.Errorf("head of a missing server: %v", err)
	}
	upd, err := servers.Update(ctx, rg, svc, "as1", *put.ETag, apimv3.AuthorizationServerUpdateContract{
		Properties: &apimv3.AuthorizationServerUpdateContractProperties{Description: apimPtr("updated")},
	}, nil)
	if err != nil || *upd.ETag == *put.ETag {
		t.Fatalf("update with If-Match: %v", err)
	}
	if _, err := servers.Update(ctx, rg, svc, "as1", *put.ETag, apimv3.AuthorizationServerUpdateContract{
		Properties: &apimv3.AuthorizationServerUpdateContractProperties{Description: apimPtr("must not apply")},
	}, nil); apimStatus(err) != http.StatusPreconditionFailed {
		t.Fatalf("update with a stale If-Match: %v", err)
	}
	for _, id := range []string{"as2", "as3", "zz"} {
		if _, err := servers.CreateOrUpdate(ctx, rg, svc, id, contract(id), nil); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	for pager := servers.NewListByServicePager(rg, svc, &apimv3.AuthorizationServerClientListByServiceOptions{
		Filter: apimPtr("startswith(name,'as')"), Top: apimPtr[int32](2),
	}); pager.More(); pages++ {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if page.Count == nil || *page.Count != 3 {
			t.Errorf("count %v, want 3", page.Count)
		}
		for _, v := range page.Value {
			names = append(names, *v.Name)
		}
	}
	if pages != 2 || strings.Join(names, ",") != "as1,as2,as3" {
		t.Errorf("list with $filter and $top=2: %v in %d pages", names, pages)
	}
	secrets, err := servers.ListSecrets(ctx, rg, svc, "as1", nil)
	if err != nil || *secrets.ClientSecret != "secret-as1" {
		t.Fatalf("listSecrets: %v", err)
	}

	// A Reader (default scope: the subscription) reads servers, but
	// listSecrets is an action Reader's */read does not grant: 403, as in
	// Azure. createClient is the CLI helper of containerapps_test.go.
	readerID, readerSecret := tk.CreateClient(t, "apim-reader", "Reader")
	reader, err := apimv3.NewAuthorizationServerClient(sub, tk.CredentialFor(t, readerID, readerSecret), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Get(ctx, rg, svc, "as1", nil); err != nil {
		t.Errorf("Reader get: %v", err)
	}
	var denied *azcore.ResponseError
	if _, err := reader.ListSecrets(ctx, rg, svc, "as1", nil); !errors.As(err, &denied) || denied.StatusCode != http.StatusForbidden || denied.ErrorCode != "AuthorizationFailed" {
		t.Errorf("Reader listSecrets: %v, want 403 AuthorizationFailed", err)
	}

	// Raw HTTP: the envelope and header rules the SDK does not show.
	token := tk.ARMToken(t)
	base := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ApiManagement/service/" + svc + "/authorizationServers/"
	resp, body := tk.Do(t, http.MethodPatch, base+"as1?api-version=2024-05-01", `{"properties":{}}`, token)
	if e := azuretest.DecodeError(t, body); resp.StatusCode != http.StatusBadRequest || len(e.Error.Details) != 1 || e.Error.Details[0].Target != "If-Match" {
		t.Errorf("PATCH without If-Match: %d %s", resp.StatusCode, body)
	}
	resp, body = tk.Do(t, http.MethodGet, base+"as1?api-version=2024-05-01", nil, token)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "secret-as1") || resp.Header.Get("ETag") == "" {
		t.Errorf("GET: %d %s", resp.StatusCode, body)
	}
	resp, body = tk.Do(t, http.MethodGet, base+"as1?api-version=2024-05-01", nil, "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET without a token: %d %s", resp.StatusCode, body)
	}

	head, _ = servers.GetEntityTag(ctx, rg, svc, "as1", nil)
	if _, err := servers.Delete(ctx, rg, svc, "as1", *put.ETag, nil); apimStatus(err) != http.StatusPreconditionFailed {
		t.Errorf("delete with a stale If-Match: %v", err)
	}
	if _, err := servers.Delete(ctx, rg, svc, "as1", *head.ETag, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := servers.Get(ctx, rg, svc, "as1", nil); apimStatus(err) != http.StatusNotFound {
		t.Errorf("get after delete: %v", err)
	}

	// The v2 client (api-version 2022-08-01).
	f2, err := apimv2.NewClientFactory(sub, cred, tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	old := f2.NewAuthorizationServerClient()
	c2, err := old.CreateOrUpdate(ctx, rg, svc, "v2", apimv2.AuthorizationServerContract{Properties: &apimv2.AuthorizationServerContractProperties{
		AuthorizationEndpoint: apimPtr("https://login.example.com/authorize"), ClientID: apimPtr("v2"),
		ClientRegistrationEndpoint: apimPtr("https://login.example.com/register"), DisplayName: apimPtr("v2 server"),
		GrantTypes: []*apimv2.GrantType{apimPtr(apimv2.GrantTypeImplicit)}, ClientSecret: apimPtr("v2-secret"),
	}}, nil)
	if err != nil {
		t.Fatalf("v2 create: %v", err)
	}
	if _, err := old.Get(ctx, rg, svc, "v2", nil); err != nil {
		t.Fatalf("v2 get: %v", err)
	}
	if s, err := old.ListSecrets(ctx, rg, svc, "v2", nil); err != nil || *s.ClientSecret != "v2-secret" {
		t.Fatalf("v2 listSecrets: %v", err)
	}
	if _, err := old.Delete(ctx, rg, svc, "v2", *c2.ETag, nil); err != nil {
		t.Fatalf("v2 delete: %v", err)
	}

	del, err := services.BeginDelete(ctx, rg, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}); err != nil {
		t.Fatalf("delete service: %v", err)
	}
	if _, err := servers.Get(ctx, rg, svc, "as2", nil); apimStatus(err) != http.StatusNotFound {
		t.Errorf("server outlived its service: %v", err)
	}
	resp, body = tk.Do(t, http.MethodGet, base+"as2?api-version=2024-05-01", nil, token)
	var envelope map[string]map[string]json.RawMessage
	if err := json.Unmarshal(body, &envelope); err != nil || resp.StatusCode != http.StatusNotFound || envelope["error"]["target"] != nil {
		t.Errorf("404 under a deleted service is not APIM's envelope: %d %s", resp.StatusCode, body)
	}
}
