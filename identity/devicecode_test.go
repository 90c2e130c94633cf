package identity

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// deviceBrowser plays a browser against the test server: cookies kept, pages
// fetched, forms posted with their hidden fields.
type deviceBrowser struct {
	t    *testing.T
	base string // the node the browser talks to
	http *http.Client
}

func newDeviceBrowser(t *testing.T, e *userEnv) *deviceBrowser {
	jar, _ := cookiejar.New(nil)
	return &deviceBrowser{t: t, base: e.URL, http: &http.Client{Transport: e.HTTP.Transport, Jar: jar, Timeout: 30 * time.Second}}
}

// devicePage is a fetched HTML page: its status, body, form action and hidden fields.
type devicePage struct {
	status int
	body   string
	action string
	hidden url.Values
}

func (b *deviceBrowser) do(req *http.Request) devicePage {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := devicePage{status: resp.StatusCode, body: string(body), hidden: url.Values{}}
	if f, ok := azuretest.ParseHTMLForm(p.body); ok {
		p.action, p.hidden = f.Action, f.Fields
	}
	return p
}

func (b *deviceBrowser) get(u string) devicePage {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

// submit posts the page's form with its hidden fields and fields.
func (b *deviceBrowser) submit(p devicePage, fields url.Values) devicePage {
	b.t.Helper()
	if p.action == "" {
		b.t.Fatalf("page %d has no form: %s", p.status, p.body)
	}
	form := url.Values{}
	for k, v := range p.hidden {
		form[k] = v
	}
	for k, v := range fields {
		form[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+p.action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// startDeviceCode asks the device authorization endpoint for a code.
func (e *userEnv) startDeviceCode(t *testing.T, form url.Values) map[string]any {
	t.Helper()
	resp, body := e.post(t, "/"+e.tenant+"/oauth2/v2.0/devicecode", form, nil)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("devicecode: %d %s", resp.StatusCode, body)
	}
	return m
}

func (e *userEnv) pollForm(deviceCode string) url.Values {
	return url.Values{"grant_type": {grantTypeDeviceCode}, "client_id": {e.public.ID}, "device_code": {deviceCode},
		"scope": {armScope + " openid offline_access"}, "client_info": {"1"}}
}

// enterCode opens the verification page and enters userCode.
func (b *deviceBrowser) enterCode(uri, userCode string) devicePage {
	b.t.Helper()
	form := b.get(uri)
	if form.status != http.StatusOK || !strings.Contains(form.body, `name="user_code"`) || form.hidden.Get("csrf") == "" {
		b.t.Fatalf("verification page %d: %s", form.status, form.body)
	}
	return b.submit(form, url.Values{"user_code": {userCode}})
}

func TestDeviceCodeFlow(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testDeviceCodeFlow)
}

func testDeviceCodeFlow(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	// Discovery names the endpoint the flow starts at.
	resp, err := e.HTTP.Get(e.URL + "/" + e.tenant + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disco map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&disco); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := disco["device_authorization_endpoint"]; got != e.URL+"/"+e.tenant+"/oauth2/v2.0/devicecode" {
		t.Errorf("device_authorization_endpoint = %v", got)
	}
	dc := e.startDeviceCode(t, url.Values{"client_id": {e.public.ID}, "scope": {armScope + " openid profile offline_access"}})
	userCode, _ := dc["user_code"].(string)
	uri, _ := dc["verification_uri"].(string)
	if !regexp.MustCompile(`^[A-HJKMNP-Z2-9]{9}$`).MatchString(userCode) {
		t.Errorf("user_code %q is not 9 unambiguous upper-case letters and digits", userCode)
	}
	if uri != e.URL+"/"+e.tenant+"/oauth2/deviceauth" || dc["expires_in"] != float64(900) || dc["interval"] != float64(5) {
		t.Errorf("device code answer %v", dc)
	}
	if want := "To sign in, use a web browser to open the page " + uri + " and enter the code " + userCode + " to authenticate."; dc["message"] != want {
		t.Errorf("message %q, want %q", dc["message"], want)
	}
	deviceCode := dc["device_code"].(string)
	if len(deviceCode) < 40 {
		t.Errorf("device_code %q is short", deviceCode)
	}
	// Only a hash of the device code is stored.
	if _, err := store.GetDeviceCode(context.Background(), deviceCode); err == nil {
		t.Error("the device code is stored as is")
	}

	poll := func() (int, map[string]any) {
		status, m, _ := e.token(t, e.pollForm(deviceCode))
		return status, m
	}
	status, m := poll()
	wantOAuthError(t, status, m, http.StatusBadRequest, "authorization_pending", "70016")
	status, m = poll()
	wantOAuthError(t, status, m, http.StatusBadRequest, "slow_down", "70016")
	e.clock.Advance(5 * time.Second)
	status, m = poll()
	wantOAuthError(t, status, m, http.StatusBadRequest, "authorization_pending", "70016")

	// Another client cannot redeem it; a made-up code is not recognized.
	other, _, err := e.svc.Clients.Register(context.Background(), Registration{TenantID: e.tenant, DisplayName: "other", Public: true,
		RedirectURIs: []string{"http://localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	f := e.pollForm(deviceCode)
	f.Set("client_id", other.ID)
	status, m, _ = e.token(t, f)
	wantOAuthError(t, status, m, http.StatusBadRequest, "bad_verification_code", "70018")
	status, m, _ = e.token(t, e.pollForm("not-a-device-code"))
	wantOAuthError(t, status, m, http.StatusBadRequest, "bad_verification_code", "70018")

	// The browser: code, sign-in form, confirmation, done.
	b := newDeviceBrowser(t, e)
	signIn := b.enterCode(uri, strings.ToLower(userCode[:4])+"-"+userCode[4:])
	if signIn.status != http.StatusOK || !strings.Contains(signIn.body, `name="password"`) || !strings.Contains(signIn.body, "cli") {
		t.Fatalf("code entry did not lead to the sign-in form: %d %s", signIn.status, signIn.body)
	}
	wrong := b.submit(signIn, url.Values{"username": {"ada@contoso.example"}, "password": {"wrong password"}})
	if !strings.Contains(wrong.body, "Your account or password is incorrect") {
		t.Fatalf("wrong password: %d %s", wrong.status, wrong.body)
	}
	confirm := b.submit(wrong, url.Values{"username": {"ada@contoso.example"}, "password": {e.pw}})
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, "Are you trying to sign in to cli?") ||
		!strings.Contains(confirm.body, "ada@contoso.example") || !strings.HasSuffix(confirm.action, "/oauth2/deviceauth/confirm") {
		t.Fatalf("confirmation page %d: %s", confirm.status, confirm.body)
	}
	// The confirmation without its CSRF field is refused, and decides nothing.
	noCSRF := devicePage{action: confirm.action, hidden: url.Values{"ctx": {confirm.hidden.Get("ctx")}}}
	if p := b.submit(noCSRF, url.Values{"action": {"continue"}}); p.status != http.StatusForbidden {
		t.Fatalf("confirmation without CSRF: %d", p.status)
	}
	status, m = poll()
	wantOAuthError(t, status, m, http.StatusBadRequest, "slow_down", "70016")
	done := b.submit(confirm, url.Values{"action": {"continue"}})
	if done.status != http.StatusOK || !strings.Contains(done.body, "You may now close this window") {
		t.Fatalf("approval: %d %s", done.status, done.body)
	}
	// Approved: the next poll, however soon, gets the user's tokens, once.
	status, m = poll()
	if status != http.StatusOK {
		t.Fatalf("poll after approval: %d %v", status, m)
	}
	at := azuretest.JWTClaims(t, m["access_token"].(string))
	if at["oid"] != e.user.ObjectID || at["aud"] != ResourceManagement || at["azp"] != e.public.ID || at["idtyp"] != "user" {
		t.Errorf("device code access token %v", at)
	}
	if m["id_token"] == nil || !isRefreshToken(m["refresh_token"].(string)) {
		t.Errorf("device code answer lacks ID or refresh token: %v", m)
	}
	status, m = poll()
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "70000")
	// The code cannot be entered again.
	if p := b.enterCode(uri, userCode); p.status != http.StatusBadRequest || !strings.Contains(p.body, "That code didn") {
		t.Fatalf("a used code entered again: %d %s", p.status, p.body)
	}

	// A second device: the browser is signed in, so the code leads
	// straight to the confirmation; Cancel declines.
	dc2 := e.startDeviceCode(t, url.Values{"client_id": {e.public.ID}, "scope": {armScope}})
	confirm2 := b.enterCode(uri, dc2["user_code"].(string))
	if !strings.Contains(confirm2.body, "Are you trying to sign in to") {
		t.Fatalf("signed-in browser did not skip the sign-in form: %d %s", confirm2.status, confirm2.body)
	}
	if p := b.submit(confirm2, url.Values{"action": {"cancel"}}); p.status != http.StatusOK || !strings.Contains(p.body, "declined") {
		t.Fatalf("cancel: %d %s", p.status, p.body)
	}
	status, m, _ = e.token(t, e.pollForm(dc2["device_code"].(string)))
	wantOAuthError(t, status, m, http.StatusBadRequest, "authorization_declined", "65004")
	// A replayed confirmation decides nothing more.
	if p := b.submit(confirm2, url.Values{"action": {"continue"}}); p.status != http.StatusBadRequest {
		t.Fatalf("replayed confirmation: %d %s", p.status, p.body)
	}
}

func TestDeviceCodeRefusals(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testDeviceCodeRefusals)
}

func testDeviceCodeRefusals(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	dc := e.startDeviceCode(t, url.Values{"client_id": {e.public.ID}, "scope": {armScope}})
	uri := dc["verification_uri"].(string)
	b := newDeviceBrowser(t, e)

	// The code form without its CSRF token (or with another's) is refused.
	form := b.get(uri)
	for name, hidden := range map[string]url.Values{"missing": {}, "wrong": {"csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}} {
		p := b.submit(devicePage{action: form.action, hidden: hidden}, url.Values{"user_code": {dc["user_code"].(string)}})
		if p.status != http.StatusForbidden {
			t.Errorf("code form with CSRF %s: %d", name, p.status)
		}
	}
	// Unknown and malformed user codes.
	for _, code := range []string{"ABCDEFGHJ", "short", strings.Repeat("x", 5000), ""} {
		p := b.submit(form, url.Values{"user_code": {code}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "That code didn") {
			t.Errorf("user code %.10q: %d %s", code, p.status, p.body)
		}
	}
	// A code of another tenant's page is not found here.
	if p := b.submit(devicePage{action: "/organizations/oauth2/deviceauth", hidden: form.hidden}, url.Values{"user_code": {dc["user_code"].(string)}}); p.status != http.StatusOK {
		t.Errorf("code entered through the tenant alias: %d", p.status)
	}

	// Bad requests to the device authorization endpoint.
	for name, tc := range map[string]struct {
		form   url.Values
		status int
		code   string
	}{
		"no client":           {url.Values{"scope": {armScope}}, http.StatusBadRequest, "invalid_request"},
		"no scope":            {url.Values{"client_id": {e.public.ID}}, http.StatusBadRequest, "invalid_request"},
		"unknown client":      {url.Values{"client_id": {"11111111-2222-3333-4444-555555555555"}, "scope": {armScope}}, http.StatusBadRequest, "unauthorized_client"},
		"confidential no key": {url.Values{"client_id": {e.boot.Client.ID}, "scope": {armScope}}, http.StatusUnauthorized, "invalid_client"},
		"unknown resource":    {url.Values{"client_id": {e.public.ID}, "scope": {"https://nope.example/.default"}}, http.StatusBadRequest, "invalid_resource"},
	} {
		resp, body := e.post(t, "/"+e.tenant+"/oauth2/v2.0/devicecode", tc.form, nil)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if resp.StatusCode != tc.status || m["error"] != tc.code {
			t.Errorf("%s: %d %s, want %d %s", name, resp.StatusCode, body, tc.status, tc.code)
		}
	}
	// A confidential client with its secret may use the flow.
	conf := e.startDeviceCode(t, url.Values{"client_id": {e.boot.Client.ID}, "client_secret": {e.boot.Secret}, "scope": {armScope}})
	if _, err := DecideDeviceCode(context.Background(), store, conf["user_code"].(string), e.user, true, e.clock.Now(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	confPoll := url.Values{"grant_type": {grantTypeDeviceCode}, "client_id": {e.boot.Client.ID}, "device_code": {conf["device_code"].(string)}}
	status, m, _ := e.token(t, confPoll)
	if status != http.StatusUnauthorized || m["error"] != "invalid_client" {
		t.Errorf("confidential client polling without its secret: %d %v", status, m)
	}
	confPoll.Set("client_secret", e.boot.Secret)
	status, m, _ = e.token(t, confPoll)
	if status != http.StatusOK || azuretest.JWTClaims(t, m["access_token"].(string))["azpacr"] != "1" {
		t.Errorf("confidential client polling with its secret: %d %v", status, m)
	}

	// The v1 endpoint: resource, ADAL's verification_url, numbers as strings.
	resp, body := e.post(t, "/"+e.tenant+"/oauth2/devicecode", url.Values{"client_id": {e.public.ID}, "resource": {"https://management.core.windows.net/"}}, nil)
	var v1 map[string]any
	if err := json.Unmarshal(body, &v1); err != nil || resp.StatusCode != http.StatusOK || v1["verification_url"] != uri ||
		v1["expires_in"] != "900" || v1["interval"] != "5" {
		t.Errorf("v1 devicecode: %d %s", resp.StatusCode, body)
	}

	// Expiry: the page no longer takes the code, and the device is told.
	e.clock.Advance(deviceCodeLifetime)
	if p := b.submit(form, url.Values{"user_code": {dc["user_code"].(string)}}); p.status != http.StatusBadRequest {
		t.Errorf("expired code entered: %d", p.status)
	}
	status, m, _ = e.token(t, e.pollForm(dc["device_code"].(string)))
	wantOAuthError(t, status, m, http.StatusBadRequest, "expired_token", "70020")
	if _, err := DecideDeviceCode(context.Background(), store, dc["user_code"].(string), e.user, true, e.clock.Now(), e.clock.Now()); err != ErrDeviceCodeNotPending {
		t.Errorf("approving an expired code: %v", err)
	}
}

// Headless approval (tokend device approve) and denial.
func TestDecideDeviceCode(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newUserEnv(t, store)
		ctx := context.Background()
		dc := e.startDeviceCode(t, url.Values{"client_id": {e.public.ID}, "scope": {armScope}})
		got, err := DecideDeviceCode(ctx, store, strings.ToLower(dc["user_code"].(string)), e.user, true, e.clock.Now(), e.clock.Now())
		if err != nil || got.ClientID != e.public.ID || got.UserCode != dc["user_code"] {
			t.Fatalf("approve: %+v %v", got, err)
		}
		if _, err := DecideDeviceCode(ctx, store, dc["user_code"].(string), nil, false, e.clock.Now(), e.clock.Now()); err != ErrDeviceCodeNotPending {
			t.Fatalf("deny after approval: %v", err)
		}
		// Polled on the v1 token endpoint: its answer's fields.
		resp, body := e.post(t, "/"+e.tenant+"/oauth2/token", e.pollForm(dc["device_code"].(string)), nil)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil || resp.StatusCode != http.StatusOK ||
			azuretest.JWTClaims(t, m["access_token"].(string))["oid"] != e.user.ObjectID {
			t.Fatalf("poll after CLI approval: %d %s", resp.StatusCode, body)
		}
		if _, ok := m["expires_on"].(string); !ok || m["resource"] == nil {
			t.Errorf("v1 answer without expires_on or resource: %v", m)
		}
		dc2 := e.startDeviceCode(t, url.Values{"client_id": {e.public.ID}, "scope": {armScope}})
		if _, err := DecideDeviceCode(ctx, store, dc2["user_code"].(string), nil, false, e.clock.Now(), e.clock.Now()); err != nil {
			t.Fatalf("deny: %v", err)
		}
		status, m, _ := e.token(t, e.pollForm(dc2["device_code"].(string)))
		wantOAuthError(t, status, m, http.StatusBadRequest, "authorization_declined", "65004")
	})
}

// The pending sign-in is shared through storage: the device asks node A,
// the user enters the code and signs in on node B (the browser's cookies
// are per host, as behind a load balancer), and the device's poll on node
// A gets the tokens.
func TestDeviceCodeAcrossNodes(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		a := newUserEnv(t, store)
		nodeB := startServerOn(t, a.fixture, func(c *Config) { c.PasswordParams, c.Now = cheapPasswords, a.clock.Now })
		dc := a.startDeviceCode(t, url.Values{"client_id": {a.public.ID}, "scope": {armScope}})
		b := newDeviceBrowser(t, a)
		b.base = nodeB.URL
		uri := strings.Replace(dc["verification_uri"].(string), a.URL, nodeB.URL, 1)
		confirm := b.submit(b.enterCode(uri, dc["user_code"].(string)), url.Values{"username": {"ada@contoso.example"}, "password": {a.pw}})
		if done := b.submit(confirm, url.Values{"action": {"continue"}}); !strings.Contains(done.body, "You may now close this window") {
			t.Fatalf("approval on node B: %d %s", done.status, done.body)
		}
		status, m, _ := a.token(t, a.pollForm(dc["device_code"].(string)))
		if status != http.StatusOK || azuretest.JWTClaims(t, m["access_token"].(string))["oid"] != a.user.ObjectID {
			t.Fatalf("poll on node A after approval on node B: %d %v", status, m)
		}
	})
}
