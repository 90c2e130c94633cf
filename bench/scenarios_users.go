package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// azureCLIClientID is the Azure CLI's first-party public client, which
// every tenant has.
const azureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// userScope is what MSAL asks for when it refreshes an ARM token: the
// resource and the OpenID scopes it adds to every request, so each
// refresh signs an access token and an ID token and seals the next
// refresh token.
const userScope = armScope + " openid profile offline_access"

// tokenRefresh is the refresh-token grant as MSAL redeems a refresh token:
// each worker holds one sign-in's refresh token and redeems its successor
// every time, so every request rotates its family (one conditional
// UPDATE, group-committed), signs two tokens and seals one.
type tokenRefresh struct {
	url string
	// form is the request's body up to the refresh token's value.
	form string
	// tokens holds each worker's current refresh token; only that
	// worker's goroutine touches its slot.
	tokens []string
}

func (*tokenRefresh) Name() string   { return "token-refresh" }
func (*tokenRefresh) Target() string { return "≥ 5,000 tokens/s" }
func (*tokenRefresh) Bound() Bound   { return BoundSign }

func (s *tokenRefresh) Setup(ctx context.Context, env *Env) error {
	out, err := env.Target.CLI(ctx, "users", "create", "bench-refresh@bench.example", "--role", "Reader", "--scope", "/", "--output", "json")
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
	s.url = env.BaseURL + "/" + env.Target.Boot.TenantID + "/oauth2/v2.0/token"
	s.form = "grant_type=refresh_token&client_id=" + azureCLIClientID + "&scope=" + url.QueryEscape(userScope) + "&refresh_token="
	s.tokens = make([]string, max(env.Workers, 1))
	// One sign-in per worker (each an argon2id hash: the deliberately slow
	// part, not measured here).
	return parallel(ctx, len(s.tokens), 4, func(ctx context.Context, i int) error {
		form := url.Values{"grant_type": {"password"}, "client_id": {azureCLIClientID}, "username": {user.UPN},
			"password": {user.Password}, "scope": {userScope}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, body, _, err := env.send(req)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return &apiError{Method: req.Method, Path: req.URL.Path, Status: status, Body: clip(body)}
		}
		s.Observe(i, body)
		if s.tokens[i] == "" {
			return fmt.Errorf("password sign-in answered no refresh token")
		}
		return nil
	})
}

func (s *tokenRefresh) Next(ctx context.Context, worker int) (*http.Request, error) {
	// The form as url.Values would encode it, without the map, the sort
	// and the copies per request.
	body := s.form + url.QueryEscape(s.tokens[worker])
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// refreshTokenField opens the refresh token's value in a token answer.
var refreshTokenField = []byte(`"refresh_token":"`)

// Observe keeps the successor refresh token for the worker's next request.
// It finds the one field it needs rather than decoding the whole answer
// (two signed tokens besides): encoding/json was 10 % of the load
// generator's CPU. A value with an escape in it, which tokend's refresh
// tokens (base64url) never have, is decoded properly.
func (s *tokenRefresh) Observe(worker int, body []byte) {
	if _, rest, ok := bytes.Cut(body, refreshTokenField); ok {
		if tok, _, ok := bytes.Cut(rest, []byte{'"'}); ok && len(tok) > 0 && bytes.IndexByte(tok, '\\') < 0 {
			s.tokens[worker] = string(tok)
			return
		}
	}
	var resp struct {
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &resp) == nil && resp.RefreshToken != "" {
		s.tokens[worker] = resp.RefreshToken
	}
}
