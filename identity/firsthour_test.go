package identity_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/tokendtest"
)

// Errors a new user meets say what to do: an unknown scope lists the
// resources tokend issues for, and a token for another audience is quoted
// whole, with the scope that works.
func TestErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	srv := tokendtest.Start(t)
	tokenURL := srv.URL + "/" + srv.TenantID + "/oauth2/v2.0/token"
	post := func(scope string) (*http.Response, []byte) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.ClientID},
			"client_secret": {srv.ClientSecret}, "scope": {scope}}
		req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return azuretest.Send(t, srv.HTTPClient(), req)
	}
	resp, body := post("https://vault.azure.net/.default")
	if resp.StatusCode != 400 || !strings.Contains(string(body), "https://management.core.windows.net/") ||
		!strings.Contains(string(body), "https://playwright.microsoft.com") {
		t.Errorf("unknown scope: %d %s", resp.StatusCode, body)
	}

	// A token for another application (its aud is the application's id),
	// presented to ARM.
	const uri = "api://a-rather-long-application-id-uri-for-the-orders-service-of-the-contoso-platform/v2"
	c := srv.CreateClient(t, "orders")
	srv.SetIdentifierURIs(t, c.ID, uri)
	resp, body = post(uri + "/.default")
	if resp.StatusCode != 200 {
		t.Fatalf("token for %s: %d %s", uri, resp.StatusCode, body)
	}
	tok := strings.Split(strings.Split(string(body), `"access_token":"`)[1], `"`)[0]
	req := azuretest.NewRequest(t, http.MethodGet, srv.URL+"/subscriptions?api-version=2022-12-01", nil, tok)
	resp, body = azuretest.Send(t, srv.HTTPClient(), req)
	if resp.StatusCode != 401 || !strings.Contains(string(body), "'"+c.ID+"'") || !strings.Contains(string(body), "/.default") {
		t.Errorf("app token on ARM: %d %s", resp.StatusCode, body)
	}
}
