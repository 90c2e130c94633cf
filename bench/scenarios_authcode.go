package bench

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
)

// tokenCode is the authorization-code exchange as MSAL's interactive and
// web-app sign-ins make it: a public client redeems a code with its PKCE
// verifier for an access token, an ID token and a refresh token (scope
// openid profile offline_access and ARM). Per request the server opens
// the sealed code, checks the verifier, spends the code by starting its
// refresh family (a row of a batched insert) and signs two tokens. The codes are obtained before the run, through the
// real authorization endpoint with a browser session (the argon2id
// sign-in happens once); obtaining them is not timed.
type tokenCode struct {
	url, clientID, verifier string
	codes                   []string
	next                    atomic.Int64
	// fetch gets a code past the end of those made ahead.
	fetch func(ctx context.Context) (string, error)
}

// codeAheadRate is the exchange rate the codes made ahead are sized for,
// above what this scenario reaches on a small machine.
const codeAheadRate = 6000

const benchRedirect = "http://localhost:8400/"

func (*tokenCode) Name() string   { return "token-code" }
func (*tokenCode) Target() string { return "≥ 3,000 exchanges/s" }
func (*tokenCode) Bound() Bound   { return BoundSign }

func (s *tokenCode) Setup(ctx context.Context, env *Env) error {
	out, err := env.Target.CLI(ctx, "users", "create", "bench-user@contoso.example", "--output", "json")
	if err != nil {
		return err
	}
	var user struct {
		UPN      string `json:"userPrincipalName"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal(out, &user); err != nil || user.Password == "" {
		return fmt.Errorf("users create: %s", out)
	}
	if out, err = env.Target.CLI(ctx, "clients", "create", "--name", "bench-public", "--public", "--redirect-uri", "http://localhost", "--output", "json"); err != nil {
		return err
	}
	var app struct {
		ClientID string `json:"clientId"`
	}
	if err := json.Unmarshal(out, &app); err != nil || app.ClientID == "" {
		return fmt.Errorf("clients create --public: %s", out)
	}
	s.clientID = app.ClientID
	tenant := env.BaseURL + "/" + env.Target.Boot.TenantID
	s.url = tenant + "/oauth2/v2.0/token"
	s.verifier = strings.Repeat("tokend-bench-verifier-", 3)
	sum := sha256.Sum256([]byte(s.verifier))
	authorize := tenant + "/oauth2/v2.0/authorize?" + url.Values{
		"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {benchRedirect},
		"scope": {armScope + " openid profile offline_access"}, "code_challenge_method": {"S256"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
	}.Encode()

	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	browser := &http.Client{Transport: env.Client.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := benchSignIn(ctx, browser, env.BaseURL, authorize, user.UPN, user.Password); err != nil {
		return err
	}
	s.fetch = func(ctx context.Context) (string, error) { return benchCode(ctx, browser, authorize) }
	if err := checkOnce(ctx, env, s); err != nil {
		return err
	}
	n := int(env.Window.Seconds() * codeAheadRate)
	codes := make([]string, n)
	if err := parallel(ctx, n, env.Workers, func(ctx context.Context, i int) error {
		c, err := s.fetch(ctx)
		codes[i] = c
		return err
	}); err != nil {
		return fmt.Errorf("authorization codes ahead: %w", err)
	}
	s.codes = codes
	return nil
}

func (s *tokenCode) Next(ctx context.Context, _ int) (*http.Request, error) {
	var code string
	if i := s.next.Add(1) - 1; i < int64(len(s.codes)) {
		code, s.codes[i] = s.codes[i], "" // used once; let it go
	} else {
		var err error
		if code, err = s.fetch(ctx); err != nil {
			return nil, err
		}
	}
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {s.clientID}, "code": {code},
		"redirect_uri": {benchRedirect}, "code_verifier": {s.verifier}, "client_info": {"1"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

var (
	benchFormAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	benchHidden     = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// benchSignIn signs the browser in through the sign-in form once, so
// that later authorization requests are answered from its session.
func benchSignIn(ctx context.Context, c *http.Client, base, authorize, upn, password string) error {
	status, _, page, err := benchGet(ctx, c, authorize)
	if err != nil {
		return err
	}
	m := benchFormAction.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil {
		return fmt.Errorf("authorize: %d, no sign-in form: %s", status, clip([]byte(page)))
	}
	form := url.Values{"username": {upn}, "password": {password}}
	for _, in := range benchHidden.FindAllStringSubmatch(page, -1) {
		form.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+html.UnescapeString(m[1]), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("sign-in: %d %s", resp.StatusCode, clip(body))
	}
	return nil
}

// benchCode gets one code from the authorization endpoint, answered from
// the browser's session.
func benchCode(ctx context.Context, c *http.Client, authorize string) (string, error) {
	status, location, page, err := benchGet(ctx, c, authorize)
	if err != nil {
		return "", err
	}
	u, perr := url.Parse(location)
	if status != http.StatusFound || perr != nil || u.Query().Get("code") == "" {
		return "", fmt.Errorf("authorize: %d %s %s", status, location, clip([]byte(page)))
	}
	return u.Query().Get("code"), nil
}

func benchGet(ctx context.Context, c *http.Client, target string) (int, string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, "", "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body), nil
}
