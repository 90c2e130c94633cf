package testkit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// Issuer stands in for the identity package where a test is about a
// provider, not the issuer: it signs HS256 JWTs over any claims (the
// providers' Signer), and authenticates "Bearer good-<oid>" (an Entra
// token for any surface) and its own JWTs, checking expiry against its
// clock, the audience a surface demands (Audiences) and the registered
// validators, as the issuer does on every authentication.
type Issuer struct {
	Key    []byte
	Clock  *Clock
	Tenant string
	// Audiences maps a surface to the aud its JWTs must carry; a surface
	// not listed takes any.
	Audiences map[tokend.Audience]string

	mu         sync.Mutex
	validators []tokend.TokenValidator
}

// NewIssuer returns an issuer for tenant on clock (nil: the wall clock).
func NewIssuer(tenant string, clock *Clock) *Issuer {
	if clock == nil {
		clock = NewClock(time.Now())
	}
	return &Issuer{Key: []byte("testkit signing key"), Clock: clock, Tenant: tenant, Audiences: map[tokend.Audience]string{}}
}

// AddValidator registers a provider's token validator.
func (i *Issuer) AddValidator(v tokend.TokenValidator) {
	i.mu.Lock()
	i.validators = append(i.validators, v)
	i.mu.Unlock()
}

// Sign signs claims, adding iss.
func (i *Issuer) Sign(_ context.Context, claims map[string]any) (string, error) {
	c := map[string]any{"iss": "https://tokend.test/" + i.Tenant + "/v2.0"}
	for k, v := range claims {
		c[k] = v
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	return input + "." + enc.EncodeToString(i.mac(input)), nil
}

func (i *Issuer) mac(input string) []byte {
	m := hmac.New(sha256.New, i.Key)
	m.Write([]byte(input))
	return m.Sum(nil)
}

// Unauthenticated is the 401 the issuer answers.
func (i *Issuer) Unauthenticated(msg string) error {
	return &tokend.AuthenticationError{Code: "InvalidAuthenticationToken", Message: msg,
		Challenge: `Bearer authorization_uri="https://tokend.test/` + i.Tenant + `", error="invalid_token"`}
}

// Authenticate checks the request's bearer token for surface aud.
func (i *Issuer) Authenticate(ctx context.Context, r *http.Request, aud tokend.Audience) (*tokend.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, &tokend.AuthenticationError{Code: "AuthenticationFailed", Message: "Authentication failed. The 'Authorization' header is missing.",
			Challenge: `Bearer authorization_uri="https://tokend.test/` + i.Tenant + `"`}
	}
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, i.Unauthenticated("not a bearer token")
	}
	if oid, ok := strings.CutPrefix(raw, "good-"); ok {
		return &tokend.Principal{ObjectID: oid, TenantID: i.Tenant, ClientID: "client-" + oid}, nil
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, i.Unauthenticated("malformed token")
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !hmac.Equal(sig, i.mac(parts[0]+"."+parts[1])) {
		return nil, i.Unauthenticated("bad signature")
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Oid string `json:"oid"`
		Tid string `json:"tid"`
		Jti string `json:"jti"`
		Res string `json:"xms_tkd_res"` // tokend.ClaimResource
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, i.Unauthenticated("bad payload")
	}
	if want, ok := i.Audiences[aud]; ok && c.Aud != want {
		return nil, i.Unauthenticated("wrong audience " + c.Aud)
	}
	if i.Clock.Now().Unix() >= c.Exp {
		return nil, i.Unauthenticated("expired")
	}
	i.mu.Lock()
	validators := append([]tokend.TokenValidator(nil), i.validators...)
	i.mu.Unlock()
	for _, v := range validators {
		if err := v(ctx, payload); err != nil {
			return nil, i.Unauthenticated("refused: " + err.Error())
		}
	}
	return &tokend.Principal{ObjectID: c.Oid, TenantID: c.Tid, TokenID: c.Jti, Resource: c.Res}, nil
}
