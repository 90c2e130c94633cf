package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// No secret and no token ever reaches the server's logs: drive every surface
// with the access log on at debug level, then search everything the process
// wrote, its start-up banner included (stdout is a pipe here, so the
// bootstrap secret is not printed), for each secret and token it handled.
func TestLogsNeverCarrySecrets(t *testing.T) {
	t.Parallel()
	tk := Start(t, "--access-log=true", "--log-level", "debug")
	sub := tk.Boot.SubscriptionID
	arm := tk.ARMToken(t)
	pw := tk.Token(t, "https://playwright.microsoft.com/.default")
	secrets := map[string]string{"client secret": tk.Boot.ClientSecret, "ARM token": arm, "Playwright token": pw}

	call := func(method, path string, body any, token string, want int) []byte {
		t.Helper()
		resp, b := tk.Do(t, method, path, body, token)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	rg := "/subscriptions/" + sub + "/resourceGroups/logs"
	call("PUT", rg+"?api-version=2021-04-01", `{"location":"eastus"}`, arm, http.StatusCreated)

	// A container app with a secret, and a token for it.
	appSecret := "app-secret-value-7f3a9c"
	secrets["container app secret"] = appSecret
	app := rg + "/providers/Microsoft.App/containerApps/logsapp"
	call("PUT", app+"?api-version=2025-01-01", `{"location":"eastus","properties":{"configuration":{"secrets":[{"name":"s1","value":"`+appSecret+`"}]},"template":{"containers":[{"name":"main","image":"nginx"}]}}}`, arm, http.StatusCreated)
	var authTok struct {
		Properties struct{ Token string } `json:"properties"`
	}
	_ = json.Unmarshal(call("POST", app+"/getAuthtoken?api-version=2025-01-01", nil, arm, http.StatusOK), &authTok)
	secrets["container app token"] = authTok.Properties.Token
	call("POST", app+"/listSecrets?api-version=2025-01-01", nil, arm, http.StatusOK)

	// An APIM authorization server with a client secret and a password.
	svc := rg + "/providers/Microsoft.ApiManagement/service/logsvc"
	call("PUT", svc+"?api-version=2024-05-01", `{"location":"eastus","sku":{"name":"Developer","capacity":1},"properties":{"publisherEmail":"a@example.com","publisherName":"x"}}`, arm, http.StatusCreated)
	apimSecret, apimPassword := "apim-client-secret-4b1d", "apim-owner-password-9e2c"
	secrets["APIM client secret"], secrets["APIM password"] = apimSecret, apimPassword
	call("PUT", svc+"/authorizationServers/as1?api-version=2024-05-01", `{"properties":{"displayName":"as1","clientRegistrationEndpoint":"https://r.example.com","authorizationEndpoint":"https://a.example.com","clientId":"c","clientSecret":"`+apimSecret+`","resourceOwnerUsername":"u","resourceOwnerPassword":"`+apimPassword+`","grantTypes":["clientCredentials"]}}`, arm, http.StatusCreated)
	call("POST", svc+"/authorizationServers/as1/listSecrets?api-version=2024-05-01", nil, arm, http.StatusOK)

	// A Playwright account and an access token, used once as a bearer.
	acct := rg + "/providers/Microsoft.AzurePlaywrightService/accounts/logsacct"
	var account struct {
		Properties struct{ DashboardURI string } `json:"properties"`
	}
	_ = json.Unmarshal(call("PUT", acct+"?api-version=2024-12-01", `{"location":"eastus"}`, arm, http.StatusCreated), &account)
	accountID := account.Properties.DashboardURI[strings.LastIndex(account.Properties.DashboardURI, "/")+1:]
	var created struct{ JWTToken string }
	expiry := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	_ = json.Unmarshal(call("PUT", "/playwright/accounts/"+accountID+"/access-tokens/0f8fad5b-d9cb-469f-a165-70867728950e?api-version=2024-12-01", `{"name":"ciToken","expiryAt":"`+expiry+`"}`, pw, http.StatusCreated), &created)
	secrets["Playwright access token"] = created.JWTToken
	call("GET", "/playwright/accounts/"+accountID+"?api-version=2024-12-01", nil, created.JWTToken, http.StatusOK)

	// Refused credentials are logged as refusals, never echoed.
	forged := arm[:len(arm)-10] + "AAAAAAAAAA"
	secrets["forged token"] = forged
	call("GET", rg+"?api-version=2021-04-01", nil, forged, http.StatusUnauthorized)

	time.Sleep(200 * time.Millisecond) // let the last access-log lines land
	logs := tk.Output()
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Fatalf("no access log was written; the test would prove nothing:\n%s", logs)
	}
	for what, s := range secrets {
		if s == "" {
			t.Errorf("%s was not obtained; the flow above is broken", what)
			continue
		}
		if strings.Contains(logs, s) {
			t.Errorf("the %s appears in the server's logs", what)
		}
		// A token's signature alone would leak it too.
		if i := strings.LastIndex(s, "."); i > 0 && len(s)-i > 20 && strings.Contains(logs, s[i+1:]) {
			t.Errorf("the signature of the %s appears in the server's logs", what)
		}
	}
}
