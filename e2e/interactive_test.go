package e2e

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"golang.org/x/oauth2"
)

// fakeBrowser puts an xdg-open first on PATH that hands the URL it is
// asked to open to the test: MSAL Go opens the sign-in page with
// github.com/pkg/browser, which runs xdg-open on Linux. The channel
// yields each URL opened.
func fakeBrowser(t *testing.T) <-chan string {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "opened")
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '" + fifo + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	urls := make(chan string, 4)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		seen := 0
		for ctx.Err() == nil {
			if f, err := os.Open(fifo); err == nil {
				sc := bufio.NewScanner(f)
				sc.Buffer(nil, 1<<20)
				n := 0
				for sc.Scan() {
					if n++; n > seen {
						seen = n
						urls <- sc.Text()
					}
				}
				_ = f.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return urls
}

// TestInteractiveBrowserCredential signs a user in with azidentity's
// InteractiveBrowserCredential, unchanged, with its default client (the
// Azure CLI's first-party id): MSAL opens the authorization URL (the fake
// xdg-open hands it to the test), the test plays the browser through the
// sign-in form, tokend redirects to MSAL's localhost listener, and MSAL
// redeems the code with its PKCE verifier. Not parallel: it sets PATH.
func TestInteractiveBrowserCredential(t *testing.T) {
	urls := fakeBrowser(t)
	tk := Start(t)
	user := tk.CreateUser(t, "ada@contoso.example", "--display-name", "Ada Lovelace")
	tk.CLI(t, "roles", "assign", "--principal", "ada@contoso.example", "--role", "Reader",
		"--scope", "/subscriptions/"+tk.Boot.SubscriptionID)

	cred, err := azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
		ClientOptions: tk.ClientOptions(), TenantID: tk.Boot.TenantID, DisableInstanceDiscovery: true,
		LoginHint: "ada@contoso.example",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	type result struct {
		tok azcore.AccessToken
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope}})
		done <- result{tok, err}
	}()
	var authURL string
	select {
	case authURL = <-urls:
	case r := <-done:
		t.Fatalf("GetToken returned without opening a browser: %v", r.err)
	case <-ctx.Done():
		t.Fatal("MSAL opened no browser")
	}
	if !strings.HasPrefix(authURL, tk.URL+"/"+tk.Boot.TenantID+"/oauth2/v2.0/authorize?") {
		t.Fatalf("MSAL opened %s", authURL)
	}
	ans := tk.NewSignInPlayer(t).SignIn(t, authURL, user.UserPrincipalName, user.Password)
	if !strings.HasPrefix(ans.RedirectURI, "http://localhost:") || ans.Params.Get("code") == "" {
		t.Fatalf("answer %+v", ans)
	}
	// The browser lands on MSAL's listener (MSAL asks for form_post), which
	// takes the code.
	if !ans.FormPost {
		t.Errorf("MSAL asked for form_post; the answer came as a redirect")
	}
	ans.Deliver(t)
	r := <-done
	if r.err != nil {
		t.Fatalf("GetToken: %v", r.err)
	}
	claims := azuretest.JWTClaims(t, r.tok.Token)
	if claims["oid"] != user.ObjectID || claims["idtyp"] != "user" || claims["appid"] != azureCLIClientID {
		t.Fatalf("access token claims %v", claims)
	}
	// The token works at ARM, as the user (Reader on the subscription).
	got, body := tk.Do(t, http.MethodGet, "/subscriptions/"+tk.Boot.SubscriptionID+"/resourcegroups?api-version=2021-04-01", nil, r.tok.Token)
	if got.StatusCode != http.StatusOK {
		t.Fatalf("ARM with the user's token: %d %s", got.StatusCode, body)
	}
	// MSAL now holds a refresh token: another resource without a browser.
	pw, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://playwright.microsoft.com/.default"}})
	if err != nil {
		t.Fatalf("silent GetToken: %v", err)
	}
	if c := azuretest.JWTClaims(t, pw.Token); c["aud"] != "https://playwright.microsoft.com" || c["oid"] != user.ObjectID {
		t.Fatalf("silent token claims %v", c)
	}
	select {
	case u := <-urls:
		t.Fatalf("the silent request opened a browser: %s", u)
	default:
	}
}

// TestOAuth2CodePKCE is a generic OAuth 2.0 / OIDC client against
// tokend: golang.org/x/oauth2 for the code with PKCE, its exchange and
// refresh; go-oidc to verify the ID token; and the refusals a client
// meets (a replayed code revokes the tokens it gave).
func TestOAuth2CodePKCE(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	user := tk.CreateUser(t, "grace@contoso.example", "--display-name", "Grace Hopper")
	app := tk.CreatePublicClient(t, "oauth2-app", "http://127.0.0.1/callback")
	tenant := tk.Boot.TenantID
	ctx := oidc.ClientContext(context.Background(), tk.HTTP)

	provider, err := oidc.NewProvider(ctx, tk.URL+"/"+tenant+"/v2.0")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := &oauth2.Config{
		ClientID: app.ClientID, Endpoint: provider.Endpoint(), RedirectURL: "http://127.0.0.1:53682/callback",
		Scopes: []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess, ARMScope},
	}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier, nonce, state := oauth2.GenerateVerifier(), uuid.NewString(), uuid.NewString()
	player := tk.NewSignInPlayer(t)
	ans := player.SignIn(t, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)),
		user.UserPrincipalName, user.Password)
	if ans.RedirectURI != conf.RedirectURL || ans.Params.Get("state") != state {
		t.Fatalf("answer %+v", ans)
	}
	code := ans.Params.Get("code")

	// A wrong verifier is refused (and does not spend the code).
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantRetrieveError(t, err, "invalid_grant", "AADSTS50148")

	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: app.ClientID, SupportedSigningAlgs: []string{oidc.ES256, oidc.RS256, oidc.EdDSA}}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("go-oidc verification of the ID token: %v", err)
	}
	var claims struct {
		Oid, Tid, Name    string
		PreferredUsername string `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != nonce || claims.Oid != user.ObjectID || claims.Tid != tenant || claims.Name != "Grace Hopper" ||
		claims.PreferredUsername != "grace@contoso.example" {
		t.Fatalf("ID token nonce %q claims %+v", idt.Nonce, claims)
	}
	if !tk.Introspect(t, tok.AccessToken) {
		t.Fatal("the code's access token is not active")
	}

	// Refresh through the library: a new access token and a rotated refresh token.
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh answered the same tokens")
	}

	// A replayed code is refused and revokes what its first redemption gave.
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	wantRetrieveError(t, err, "invalid_grant", "AADSTS54005")
	if tk.Introspect(t, tok.AccessToken) {
		t.Fatal("the access token of a replayed code is still active")
	}
	again := *fresh
	again.Expiry = time.Now().Add(-time.Minute)
	_, err = conf.TokenSource(ctx, &again).Token()
	wantRetrieveError(t, err, "invalid_grant", "AADSTS50173")

	// The browser is signed in: a second authorization needs no password;
	// after sign-out, prompt=none reports login_required to the app.
	verifier2 := oauth2.GenerateVerifier()
	ans = player.SignIn(t, conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier2)), "", "")
	if ans.Params.Get("code") == "" {
		t.Fatalf("session sign-in: %+v", ans)
	}
	logout := tk.URL + "/" + tenant + "/oauth2/v2.0/logout?" + url.Values{"client_id": {app.ClientID},
		"post_logout_redirect_uri": {"http://127.0.0.1:53682/callback"}}.Encode()
	if status, location, _ := player.do(t, http.MethodGet, logout, nil); status != http.StatusFound || location != "http://127.0.0.1:53682/callback" {
		t.Fatalf("logout: %d %s", status, location)
	}
	ans = player.SignIn(t, conf.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier2), oauth2.SetAuthURLParam("prompt", "none")), "", "")
	if ans.Params.Get("error") != "login_required" || ans.Params.Get("state") != "s3" {
		t.Fatalf("prompt=none after logout: %+v", ans)
	}
}

func wantRetrieveError(t *testing.T, err error, code, aadsts string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != code || !strings.HasPrefix(re.ErrorDescription, aadsts+":") {
		t.Fatalf("want %s %s, got %v", code, aadsts, err)
	}
}
