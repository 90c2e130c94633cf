package playwright_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/pwclient"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// TestAccountTokensPassThePackagesCheck: an account's access token carries
// aid and pwid equal to the account id, and exp, so both npm packages'
// own validation (run as they run it) accepts it with the account's
// browsers URL, and refuses it with another account's.
func TestAccountTokensPassThePackagesCheck(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		acct := e.createAccount(t, "rg", "claimsAccount")
		other := e.createAccount(t, "rg", "otherAccount")
		created, err := e.client("good-"+owner).CreateOrReplace(context.Background(), acct, "00000000-0000-0000-0000-0000000000c1",
			pwclient.AccessToken{Name: ptr("claims"), ExpiryAt: ptr(e.clock.Now().Add(24 * time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
		host := strings.TrimPrefix(e.srv.URL, "https://")
		for _, claim := range []string{"aid", "pwid"} {
			if err := azuretest.PlaywrightPATCheck("wss://"+host+"/accounts/"+acct+"/browsers", *created.JWTToken, claim, e.clock.Now()); err != nil {
				t.Errorf("%s: %v", claim, err)
			}
			if err := azuretest.PlaywrightPATCheck("wss://"+host+"/accounts/"+other+"/browsers", *created.JWTToken, claim, e.clock.Now()); err == nil {
				t.Errorf("%s: another account's URL accepted", claim)
			}
			if err := azuretest.PlaywrightPATCheck("wss://"+host+"/accounts/"+acct+"/browsers", *created.JWTToken, claim, e.clock.Now().Add(25*time.Hour)); err == nil {
				t.Errorf("%s: an expired token accepted", claim)
			}
		}
	})
}

// TestAccountGetBrowsers is Accounts_GetBrowsers: 302 to the account's
// browsers endpoint at the root; a Reader opens none.
func TestAccountGetBrowsers(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		acct := e.createAccount(t, "rg", "browsersAccount")
		client := *e.srv.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		send := func(query, token string) (*http.Response, []byte) {
			return azuretest.Send(t, validating(t, &client), azuretest.NewRequest(t, http.MethodGet,
				e.srv.URL+"/playwright/accounts/"+acct+"/browsers?api-version=2024-12-01"+query, nil, token))
		}
		resp, body := send("&os=linux&runId=run-1", "good-"+owner)
		u, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || u.Scheme != "wss" || u.Host != strings.TrimPrefix(e.srv.URL, "https://") ||
			u.Path != "/accounts/"+acct+"/browsers" || u.Query().Get("os") != "linux" || u.Query().Get("runId") != "run-1" {
			t.Errorf("GetBrowsers: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if resp, body := send("&os=mac", "good-"+owner); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("os=mac: %d %s", resp.StatusCode, body)
		}
		if resp, body := send("", "good-"+reader); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a Reader: %d %s", resp.StatusCode, body)
		}
	})
}
