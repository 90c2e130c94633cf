package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// tokenIssue is client-credentials issuance: POST /{tenant}/oauth2/v2.0/token
// as azidentity's ClientSecretCredential sends it. Every request signs a new
// token.
type tokenIssue struct {
	url  string
	form string
}

func (*tokenIssue) Name() string   { return "token" }
func (*tokenIssue) Target() string { return "≥ 5,000 tokens/s (ES256)" }
func (*tokenIssue) Bound() Bound   { return BoundSign }

func (s *tokenIssue) Setup(ctx context.Context, env *Env) error {
	b := env.Target.Boot
	s.url = env.BaseURL + "/" + b.TenantID + "/oauth2/v2.0/token"
	s.form = url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {b.ClientID},
		"client_secret": {b.ClientSecret},
		"scope":         {armScope},
	}.Encode()
	// One request through the same path, so a broken endpoint fails here
	// with its answer rather than as a wall of errors.
	_, err := env.Token(ctx, armScope)
	return err
}

func (s *tokenIssue) Next(ctx context.Context, _ int) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(s.form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// tokenAlg reads the signing algorithm from a JWT's header (the issuer's
// current key), "" when it cannot.
func tokenAlg(token string) string {
	h, _, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return ""
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &hdr) != nil {
		return ""
	}
	return hdr.Alg
}

// issuerAlg is the algorithm the target signs with, from an ARM token.
func issuerAlg(ctx context.Context, env *Env) (string, error) {
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return "", err
	}
	alg := tokenAlg(tok)
	if alg == "" {
		return "", fmt.Errorf("the access token is not a JWS")
	}
	return alg, nil
}
