package tokendtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/appcontainers/armappcontainers/v3"
	"github.com/tokend-dev/tokend/tokendtest"
)

// A container app and a token for it, with the official SDK, as a test
// of your own would do with srv := tokendtest.Start(t).
func Example_containerAppAuthToken() {
	ctx := context.Background()
	srv, err := tokendtest.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	apps, err := armappcontainers.NewContainerAppsClient(srv.SubscriptionID, srv.Credential(), srv.ARMClientOptions())
	if err != nil {
		log.Fatal(err)
	}
	poller, err := apps.BeginCreateOrUpdate(ctx, "demo", "web", armappcontainers.ContainerApp{
		Location: to.Ptr("eastus"),
		Properties: &armappcontainers.ContainerAppProperties{
			Template: &armappcontainers.Template{Containers: []*armappcontainers.Container{
				{Name: to.Ptr("main"), Image: to.Ptr("nginx")},
			}},
		},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := poller.PollUntilDone(ctx, nil); err != nil {
		log.Fatal(err)
	}
	tok, err := apps.GetAuthToken(ctx, "demo", "web", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token issued:", *tok.Properties.Token != "", "expires after now:", tok.Properties.Expires.After(*tok.SystemData.CreatedAt))
	// Output: token issued: true expires after now: true
}

// A Playwright Testing account on ARM and an access token from its data
// plane (there is no Go client for that data plane: plain HTTP with a
// bearer token for https://playwright.microsoft.com/.default).
func Example_playwrightAccessToken() {
	ctx := context.Background()
	srv, err := tokendtest.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	call := func(method, u, scope string, body any, into any) {
		tok, err := srv.Credential().GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			log.Fatal(err)
		}
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			msg, _ := io.ReadAll(resp.Body)
			log.Fatalf("%s %s: %s %s", method, u, resp.Status, msg)
		}
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			log.Fatal(err)
		}
	}

	var account struct {
		Properties struct{ DashboardURI string }
	}
	armURL := srv.URL + "/subscriptions/" + srv.SubscriptionID +
		"/resourceGroups/demo/providers/Microsoft.AzurePlaywrightService/accounts/e2e?api-version=2024-12-01"
	call(http.MethodPut, armURL, "https://management.core.windows.net//.default", map[string]any{"location": "eastus"}, &account)

	// The dashboard URI is {PlaywrightEndpoint}/accounts/{accountId}: the
	// data-plane account id is its last segment.
	accountID := path.Base(account.Properties.DashboardURI)
	var created struct {
		Name, JWTToken string
	}
	tokenURL := srv.PlaywrightEndpoint() + "/accounts/" + url.PathEscape(accountID) +
		"/access-tokens/00000000-0000-0000-0000-000000000001?api-version=2024-12-01"
	call(http.MethodPut, tokenURL, "https://playwright.microsoft.com/.default",
		map[string]any{"name": "ciRunner", "expiryAt": time.Now().Add(24 * time.Hour).Format(time.RFC3339)}, &created)
	fmt.Println("data plane:", strings.HasPrefix(account.Properties.DashboardURI, srv.PlaywrightEndpoint()+"/accounts/"), "access token:", created.Name, created.JWTToken != "")
	// Output: data plane: true access token: ciRunner true
}
