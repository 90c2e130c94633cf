package apim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	v2 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v2"
	v3 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
)

// staticCredential hands the SDK a fixed bearer token, which the
// in-process server's authenticator (testkit.HeaderAuth) accepts as the
// principal "sdk".
type staticCredential struct{}

func (staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "good-sdk", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// startHTTPS serves tokend's handler tree over store (request ids,
// metrics, recovery, ARM and the APIM provider) over TLS, authenticating
// bearer tokens, and returns its env and the official clients' options.
func startHTTPS(t testing.TB, store tokend.Store) (*env, *azarm.ClientOptions) {
	t.Helper()
	e := newEnvOn(t, store, testSub, "rg1", pipeline.Options{Authenticator: &testkit.HeaderAuth{}})
	ts := httptest.NewTLSServer(e.h)
	t.Cleanup(ts.Close)
	client := ts.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	return e, &azarm.ClientOptions{ClientOptions: azcore.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Audience: "https://management.core.windows.net/", Endpoint: ts.URL},
		}},
		Transport: client,
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}}
}

func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// TestOfficialClients drives the service and its authorization servers with
// the unchanged armapimanagement v3 (2024-05-01) and v2 (2022-08-01)
// clients over HTTPS.
func TestOfficialClients(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e, opts := startHTTPS(t, store)
		ctx := t.Context()
		const rg, svc = "rg-sdk", "apim-sdk"

		f3, err := v3.NewClientFactory(e.sub, staticCredential{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		services := f3.NewServiceClient()
		poller, err := services.BeginCreateOrUpdate(ctx, rg, svc, v3.ServiceResource{
			Location: to("westeurope"),
			SKU:      &v3.ServiceSKUProperties{Name: to(v3.SKUTypeDeveloper), Capacity: to[int32](1)},
			Properties: &v3.ServiceProperties{
				PublisherEmail: to("apim@contoso.com"), PublisherName: to("Contoso"),
			},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !poller.Done() {
			t.Fatal("service PUT did not complete at once")
		}
		created, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if p := created.Properties; p == nil || *p.ProvisioningState != "Succeeded" || p.GatewayURL == nil || created.Etag == nil {
			t.Fatalf("created service %+v", created)
		}
		got, err := services.Get(ctx, rg, svc, nil)
		if err != nil || *got.Name != svc {
			t.Fatalf("get service: %v", err)
		}
		n := 0
		for pager := services.NewListByResourceGroupPager(rg, nil); pager.More(); {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(page.Value)
		}
		for pager := services.NewListPager(nil); pager.More(); {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(page.Value)
		}
		if n != 2 {
			t.Errorf("the service was listed %d times by group and subscription, want 2", n)
		}

		servers := f3.NewAuthorizationServerClient()
		contract := func(i string) v3.AuthorizationServerContract {
			return v3.AuthorizationServerContract{Properties: &v3.AuthorizationServerContractProperties{
				AuthorizationEndpoint:      to("https://login.example.com/oauth2/authorize"),
				AuthorizationMethods:       []*v3.AuthorizationMethod{to(v3.AuthorizationMethodGET)},
				BearerTokenSendingMethods:  []*v3.BearerTokenSendingMethod{to(v3.BearerTokenSendingMethodAuthorizationHeader)},
				ClientAuthenticationMethod: []*v3.ClientAuthenticationMethod{to(v3.ClientAuthenticationMethodBasic)},
				ClientID:                   to("client-" + i),
				ClientRegistrationEndpoint: to("https://registration.example.com/register"),
				ClientSecret:               to("secret-" + i),
				DefaultScope:               to("read write"),
				Description:                to("created by the SDK test"),
				DisplayName:                to("SDK " + i),
				GrantTypes:                 []*v3.GrantType{to(v3.GrantTypeAuthorizationCode), to(v3.GrantTypeClientCredentials)},
				SupportState:               to(true),
				TokenEndpoint:              to("https://login.example.com/oauth2/token"),
			}}
		}
		put, err := servers.CreateOrUpdate(ctx, rg, svc, "as1", contract("as1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if put.ETag == nil || put.Properties.ClientSecret != nil || *put.Type != "Microsoft.ApiManagement/service/authorizationServers" {
			t.Fatalf("create: etag %v, secret %v", put.ETag, put.Properties.ClientSecret)
		}
		get, err := servers.Get(ctx, rg, svc, "as1", nil)
		if err != nil || *get.ETag != *put.ETag || get.Properties.ClientSecret != nil || *get.Properties.DisplayName != "SDK as1" {
			t.Fatalf("get: %v %+v", err, get)
		}
		head, err := servers.GetEntityTag(ctx, rg, svc, "as1", nil)
		if err != nil || !head.Success || *head.ETag != *put.ETag {
			t.Fatalf("head: %v %+v", err, head)
		}
		if _, err := servers.GetEntityTag(ctx, rg, svc, "missing", nil); statusOf(err) != http.StatusNotFound {
			t.Errorf("head of a missing server: %v", err)
		}
		upd, err := servers.Update(ctx, rg, svc, "as1", *put.ETag, v3.AuthorizationServerUpdateContract{
			Properties: &v3.AuthorizationServerUpdateContractProperties{Description: to("updated by the SDK test")},
		}, nil)
		if err != nil || *upd.ETag == *put.ETag || *upd.Properties.Description != "updated by the SDK test" {
			t.Fatalf("update: %v", err)
		}
		_, err = servers.Update(ctx, rg, svc, "as1", *put.ETag, v3.AuthorizationServerUpdateContract{
			Properties: &v3.AuthorizationServerUpdateContractProperties{Description: to("must not apply")},
		}, nil)
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusPreconditionFailed || re.ErrorCode != "PreconditionFailed" {
			t.Fatalf("stale update: %v", err)
		}
		if _, err := servers.Update(ctx, rg, svc, "as1", "*", v3.AuthorizationServerUpdateContract{
			Properties: &v3.AuthorizationServerUpdateContractProperties{DefaultScope: to("read")},
		}, nil); err != nil {
			t.Fatalf("update with *: %v", err)
		}
		for _, i := range []string{"as2", "as3", "other"} {
			if _, err := servers.CreateOrUpdate(ctx, rg, svc, i, contract(i), nil); err != nil {
				t.Fatal(err)
			}
		}
		var names []string
		pages := 0
		for pager := servers.NewListByServicePager(rg, svc, &v3.AuthorizationServerClientListByServiceOptions{
			Filter: to("startswith(name,'as')"), Top: to[int32](2),
		}); pager.More(); pages++ {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if *page.Count != 3 {
				t.Errorf("count %d, want 3", *page.Count)
			}
			for _, v := range page.Value {
				names = append(names, *v.Name)
				if v.Properties.ClientSecret != nil {
					t.Error("list reveals clientSecret")
				}
			}
		}
		if pages != 2 || len(names) != 3 || names[0] != "as1" || names[2] != "as3" {
			t.Errorf("paged list %v in %d pages", names, pages)
		}
		secrets, err := servers.ListSecrets(ctx, rg, svc, "as1", nil)
		if err != nil || *secrets.ClientSecret != "secret-as1" || secrets.ETag == nil {
			t.Fatalf("listSecrets: %v", err)
		}
		if _, err := servers.ListSecrets(ctx, rg, svc, "missing", nil); statusOf(err) != http.StatusNotFound {
			t.Errorf("listSecrets of a missing server: %v", err)
		}
		if _, err := servers.Delete(ctx, rg, svc, "as1", *put.ETag, nil); statusOf(err) != http.StatusPreconditionFailed {
			t.Errorf("delete with a stale If-Match: %v", err)
		}
		head, _ = servers.GetEntityTag(ctx, rg, svc, "as1", nil)
		if _, err := servers.Delete(ctx, rg, svc, "as1", *head.ETag, nil); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := servers.Get(ctx, rg, svc, "as1", nil); statusOf(err) != http.StatusNotFound {
			t.Errorf("get after delete: %v", err)
		}
		if _, err := servers.Delete(ctx, rg, svc, "as2", "*", nil); err != nil {
			t.Fatalf("delete *: %v", err)
		}

		// The v2 client (2022-08-01) against the same server.
		f2, err := v2.NewClientFactory(e.sub, staticCredential{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		old := f2.NewAuthorizationServerClient()
		c2, err := old.CreateOrUpdate(ctx, rg, svc, "v2", v2.AuthorizationServerContract{Properties: &v2.AuthorizationServerContractProperties{
			AuthorizationEndpoint: to("https://login.example.com/authorize"), ClientID: to("v2"),
			ClientRegistrationEndpoint: to("https://login.example.com/register"), DisplayName: to("v2 server"),
			GrantTypes: []*v2.GrantType{to(v2.GrantTypeImplicit)}, ClientSecret: to("v2-secret"),
		}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		g2, err := old.Get(ctx, rg, svc, "v2", nil)
		if err != nil || *g2.ETag != *c2.ETag || *g2.Properties.UseInTestConsole != true {
			t.Fatalf("v2 get: %v", err)
		}
		s2, err := old.ListSecrets(ctx, rg, svc, "v2", nil)
		if err != nil || *s2.ClientSecret != "v2-secret" {
			t.Fatalf("v2 listSecrets: %v", err)
		}
		count := 0
		for pager := old.NewListByServicePager(rg, svc, &v2.AuthorizationServerClientListByServiceOptions{Filter: to("displayName eq 'v2 server'")}); pager.More(); {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			count += len(page.Value)
		}
		if count != 1 {
			t.Errorf("v2 filtered list: %d", count)
		}
		if _, err := old.Delete(ctx, rg, svc, "v2", *g2.ETag, nil); err != nil {
			t.Fatal(err)
		}

		// Deleting the service completes at once and takes its servers along.
		del, err := services.BeginDelete(ctx, rg, svc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := del.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		if _, err := servers.Get(ctx, rg, svc, "as3", nil); statusOf(err) != http.StatusNotFound {
			t.Errorf("server after its service was deleted: %v", err)
		}
		if _, err := services.Get(ctx, rg, svc, nil); statusOf(err) != http.StatusNotFound {
			t.Errorf("service after delete: %v", err)
		}
	})
}

func to[T any](v T) *T { return &v }
