package identity

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/coreos/go-oidc/v3/oidc"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func (ts *testServer) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: ts.URL + "/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Audience: "https://management.core.windows.net/", Endpoint: ts.URL},
			},
		},
		Transport: ts.HTTP,
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
}

func (ts *testServer) credential(t testing.TB, clientID, secret string) azcore.TokenCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(ts.tenant, clientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: ts.clientOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// The official azidentity signs in to tokend and the token works on ARM
// through azcore's bearer-token policy.
func TestAzidentityEndToEnd(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAzidentityEndToEnd)
}

func testAzidentityEndToEnd(t *testing.T, store tokend.Store) {
	ts := startServer(t, store, nil)
	ctx := context.Background()
	cred := ts.credential(t, ts.boot.Client.ID, ts.boot.Secret)

	client, err := azarm.NewClient("tokend-test", "v0.0.1", cred, &azarm.ClientOptions{ClientOptions: ts.clientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, client.Endpoint()+"/subscriptions/"+ts.sub+"/resourcegroups?api-version=2021-04-01")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Pipeline().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET resourcegroups: %s", resp.Status)
	}

	// The generated armresources client too: create a group, list it.
	groups, err := armresources.NewResourceGroupsClient(ts.sub, cred, &azarm.ClientOptions{ClientOptions: ts.clientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	loc := "eastus"
	if _, err := groups.CreateOrUpdate(ctx, "rg-e2e", armresources.ResourceGroup{Location: &loc}, nil); err != nil {
		t.Fatalf("create group: %v", err)
	}
	pager := groups.NewListPager(nil)
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 1 {
		t.Fatalf("listed %d groups, want 1", n)
	}

	// The Playwright scope works with the same credential.
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://playwright.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ts.svc.Verify(ctx, tok.Token)
	if err != nil || !c.Audience.Contains(playwright.Audience) {
		t.Fatalf("playwright token: %+v %v", c, err)
	}
}

func TestAzidentityWrongSecret(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAzidentityWrongSecret)
}

func testAzidentityWrongSecret(t *testing.T, store tokend.Store) {
	ts := startServer(t, store, nil)
	for name, secret := range map[string]string{
		"well-formed but wrong": NewSecret(),
		"malformed":             "not-a-secret",
	} {
		cred := ts.credential(t, ts.boot.Client.ID, secret)
		_, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
		var afe *azidentity.AuthenticationFailedError
		if !errors.As(err, &afe) || afe.RawResponse == nil || afe.RawResponse.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: got %v, want AuthenticationFailedError with 401", name, err)
		}
	}
	// A token-less ARM call gets the challenge.
	resp, err := ts.HTTP.Get(ts.URL + "/subscriptions/" + ts.sub + "/resourcegroups?api-version=2021-04-01")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %s, challenge %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
}

// golang.org/x/oauth2 gets a token (both client authentication styles) and
// go-oidc verifies it through discovery and the JWKS.
func TestOAuth2AndOIDCInterop(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testOAuth2AndOIDCInterop)
}

func testOAuth2AndOIDCInterop(t *testing.T, store tokend.Store) {
	ts := startServer(t, store, nil)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, ts.HTTP)
	ctx = oidc.ClientContext(ctx, ts.HTTP)

	provider, err := oidc.NewProvider(ctx, ts.URL+"/"+ts.tenant+"/v2.0")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "https://management.azure.com/"})
	for name, style := range map[string]oauth2.AuthStyle{"basic": oauth2.AuthStyleInHeader, "post": oauth2.AuthStyleInParams} {
		cc := clientcredentials.Config{
			ClientID: ts.boot.Client.ID, ClientSecret: ts.boot.Secret,
			TokenURL: provider.Endpoint().TokenURL, AuthStyle: style,
			Scopes: []string{"https://management.azure.com/.default"},
		}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("%s: token: %v", name, err)
		}
		if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
			t.Fatalf("%s: token %+v", name, tok)
		}
		idt, err := verifier.Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatalf("%s: go-oidc refused the token: %v", name, err)
		}
		if idt.Subject != ts.boot.Client.ObjectID {
			t.Errorf("%s: sub %q, want the object id", name, idt.Subject)
		}
		var claims struct {
			Appid, Azp, Oid, Tid, Ver, Idtyp, Jti string
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims.Azp != ts.boot.Client.ID || claims.Appid != ts.boot.Client.ID || claims.Tid != ts.tenant ||
			claims.Ver != "2.0" || claims.Idtyp != "app" || claims.Jti == "" {
			t.Errorf("%s: claims %+v", name, claims)
		}
	}
	// Wrong credentials through x/oauth2 surface as a retrieve error.
	bad := clientcredentials.Config{ClientID: ts.boot.Client.ID, ClientSecret: NewSecret(), TokenURL: provider.Endpoint().TokenURL,
		Scopes: []string{"https://management.azure.com/.default"}, AuthStyle: oauth2.AuthStyleInHeader}
	_, err = bad.Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %v", err)
	}
}
