package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
)

// forge builds a compact JWS from a header and payload, signed by sign.
func forge(t testing.TB, header, payload map[string]any, sign func(input []byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	return input + "." + b64.EncodeToString(sign([]byte(input)))
}

func bearerRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://tokend.test/subscriptions", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func TestForgedAndInvalidTokensAreRefused(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testForgedAndInvalidTokensAreRefused)
}

func testForgedAndInvalidTokensAreRefused(t *testing.T, store tokend.Store) {
	clock := testkit.NewClock(testEpoch)
	s, f := testService(t, store, func(c *Config) { c.Now = clock.Now })
	ctx := context.Background()
	key := s.keys.current(clock.Now())
	ours := func(in []byte) []byte {
		sig, err := key.sign(in)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	theirs := func(in []byte) []byte {
		other := &signingKey{alg: AlgES256, signer: attacker}
		sig, _ := other.sign(in)
		return sig
	}
	attackerJWK, _ := jose.JSONWebKey{Key: attacker.Public(), KeyID: "attacker", Algorithm: AlgES256}.MarshalJSON()
	var attackerJWKMap map[string]any
	_ = json.Unmarshal(attackerJWK, &attackerJWKMap)

	now := clock.Now().Unix()
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{
			"iss": IssuerURL("https://tokend.test", f.tenant), "aud": ResourceManagement,
			"sub": "p", "oid": "p", "tid": f.tenant, "azp": "c", "iat": now, "nbf": now, "exp": now + 3600,
			"jti": newTokenID(), "ver": "2.0",
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	hdr := func(edit func(map[string]any)) map[string]any {
		h := map[string]any{"alg": AlgES256, "kid": key.id, "typ": "JWT"}
		if edit != nil {
			edit(h)
		}
		return h
	}

	valid := forge(t, hdr(nil), claims(nil), ours)
	if _, err := s.Authenticate(ctx, bearerRequest(valid), tokend.AudienceManagement); err != nil {
		t.Fatalf("control token refused: %v", err)
	}

	revoked := claims(nil)
	revokedToken := forge(t, hdr(nil), revoked, ours)
	if err := s.Revoke(ctx, revoked["jti"].(string), time.Unix(now+3600, 0)); err != nil {
		t.Fatal(err)
	}
	tampered := func() string {
		parts := strings.Split(valid, ".")
		p, _ := json.Marshal(claims(func(c map[string]any) { c["oid"] = "admin" }))
		return parts[0] + "." + b64.EncodeToString(p) + "." + parts[2]
	}()
	pubDER, _ := json.Marshal(key.stored.PublicJWK)
	hs256 := forge(t, hdr(func(h map[string]any) { h["alg"] = "HS256" }), claims(nil), func(in []byte) []byte {
		m := hmac.New(sha256.New, pubDER)
		m.Write(in)
		return m.Sum(nil)
	})
	hs256Raw := forge(t, hdr(func(h map[string]any) { h["alg"] = "HS256" }), claims(nil), func(in []byte) []byte {
		m := hmac.New(sha256.New, key.stored.PublicJWK)
		m.Write(in)
		return m.Sum(nil)
	})

	for _, tc := range []struct {
		name  string
		token string
		aud   tokend.Audience
		code  string
	}{
		{"missing header", "", tokend.AudienceManagement, "AuthenticationFailed"},
		{"not a JWT", "abc", tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"two segments", strings.Join(strings.Split(valid, ".")[:2], "."), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"four segments", valid + ".x", tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"alg none", forge(t, hdr(func(h map[string]any) { h["alg"] = "none" }), claims(nil), func([]byte) []byte { return nil }), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"alg none with signature", forge(t, hdr(func(h map[string]any) { h["alg"] = "none" }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"HS256 keyed with the public JWK JSON", hs256Raw, tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"HS256 keyed with the encoded public key", hs256, tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"RS256 header on an ES256 key", forge(t, hdr(func(h map[string]any) { h["alg"] = "RS256" }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"unknown kid", forge(t, hdr(func(h map[string]any) { h["kid"] = "unknownkid" }), claims(nil), theirs), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"no kid", forge(t, hdr(func(h map[string]any) { delete(h, "kid") }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"kid path traversal", forge(t, hdr(func(h map[string]any) { h["kid"] = "../../etc/passwd" }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"kid SQL injection", forge(t, hdr(func(h map[string]any) { h["kid"] = "' OR 1=1--" }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"kid not a string", forge(t, hdr(func(h map[string]any) { h["kid"] = 7 }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"embedded jwk", forge(t, hdr(func(h map[string]any) { h["kid"] = "attacker"; h["jwk"] = attackerJWKMap }), claims(nil), theirs), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"embedded jwk, our kid", forge(t, hdr(func(h map[string]any) { h["jwk"] = attackerJWKMap }), claims(nil), theirs), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"jku header", forge(t, hdr(func(h map[string]any) { h["jku"] = "https://evil.example/keys" }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"x5u header", forge(t, hdr(func(h map[string]any) { h["x5u"] = "https://evil.example/cert" }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"x5c header", forge(t, hdr(func(h map[string]any) { h["x5c"] = []string{"MIIB"} }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"crit header", forge(t, hdr(func(h map[string]any) { h["crit"] = []string{"exp"} }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"nested JWT type", forge(t, hdr(func(h map[string]any) { h["typ"] = "JOSE+JSON" }), claims(nil), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"signature by another key with our kid", forge(t, hdr(nil), claims(nil), theirs), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"tampered payload", tampered, tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"empty signature", strings.TrimRight(valid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"wrong issuer host and path", forge(t, hdr(nil), claims(func(c map[string]any) { c["iss"] = "https://evil.example/" + f.tenant + "/x/v2.0" }), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"issuer of an unknown tenant", forge(t, hdr(nil), claims(func(c map[string]any) {
			c["iss"] = IssuerURL("https://tokend.test", "00000000-0000-0000-0000-0000000000ff")
		}), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"issuer via common", forge(t, hdr(nil), claims(func(c map[string]any) { c["iss"] = IssuerURL("https://tokend.test", "common") }), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"stray query in issuer", forge(t, hdr(nil), claims(func(c map[string]any) { c["iss"] = "https://login.microsoftonline.com/" + f.tenant + "/v2.0" + "?" }), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"Playwright audience on ARM", forge(t, hdr(nil), claims(func(c map[string]any) { c["aud"] = playwright.Audience }), ours), tokend.AudienceManagement, "InvalidAuthenticationTokenAudience"},
		{"ARM audience on Playwright", valid, playwright.SurfaceAudience, "InvalidAuthenticationTokenAudience"},
		{"container-app audience on ARM", forge(t, hdr(nil), claims(func(c map[string]any) {
			c["aud"] = "/subscriptions/x/resourcegroups/rg/providers/microsoft.app/containerapps/a"
		}), ours), tokend.AudienceManagement, "InvalidAuthenticationTokenAudience"},
		{"expired", forge(t, hdr(nil), claims(func(c map[string]any) { c["exp"] = now - 61 }), ours), tokend.AudienceManagement, "ExpiredAuthenticationToken"},
		{"no exp", forge(t, hdr(nil), claims(func(c map[string]any) { delete(c, "exp") }), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"exp not a number", forge(t, hdr(nil), claims(func(c map[string]any) { c["exp"] = "tomorrow" }), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"nbf in the future", forge(t, hdr(nil), claims(func(c map[string]any) { c["nbf"] = now + 300 }), ours), tokend.AudienceManagement, "InvalidAuthenticationToken"},
		{"revoked", revokedToken, tokend.AudienceManagement, "InvalidAuthenticationToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Authenticate(ctx, bearerRequest(tc.token), tc.aud)
			var ae *tokend.AuthenticationError
			if !errors.As(err, &ae) {
				t.Fatalf("accepted (principal %+v) or wrong error %v", p, err)
			}
			if ae.Code != tc.code {
				t.Errorf("code %s (%s), want %s", ae.Code, ae.Message, tc.code)
			}
			if !strings.HasPrefix(ae.Challenge, `Bearer authorization_uri="https://tokend.test/`+f.tenant+`/oauth2/authorize", error="invalid_token", error_description="`) {
				t.Errorf("challenge %q", ae.Challenge)
			}
		})
	}

	// Within the 60s skew, times are tolerated.
	for name, edit := range map[string]func(map[string]any){
		"exp 59s ago":     func(c map[string]any) { c["exp"] = now - 59 },
		"nbf in 59s":      func(c map[string]any) { c["nbf"] = now + 59 },
		"array audience":  func(c map[string]any) { c["aud"] = []string{"other", "https://management.azure.com"} },
		"azure.com slash": func(c map[string]any) { c["aud"] = "https://management.azure.com/" },
	} {
		if _, err := s.Authenticate(ctx, bearerRequest(forge(t, hdr(nil), claims(edit), ours)), tokend.AudienceManagement); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	// A provider's surface takes the audiences it declared, with and
	// without the trailing slash.
	for _, aud := range []string{playwright.Audience, playwright.Audience + "/"} {
		tok := forge(t, hdr(nil), claims(func(c map[string]any) { c["aud"] = aud }), ours)
		if _, err := s.Authenticate(ctx, bearerRequest(tok), playwright.SurfaceAudience); err != nil {
			t.Errorf("aud %s on Playwright: refused: %v", aud, err)
		}
	}
}

func TestMissingHeaderMessage(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testMissingHeaderMessage)
}

func testMissingHeaderMessage(t *testing.T, store tokend.Store) {
	s, _ := testService(t, store, nil)
	_, err := s.Authenticate(context.Background(), bearerRequest(""), tokend.AudienceManagement)
	var ae *tokend.AuthenticationError
	if !errors.As(err, &ae) || ae.Message != "Authentication failed. The 'Authorization' header is missing." {
		t.Fatalf("got %v", err)
	}
	r := bearerRequest("")
	r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	if _, err := s.Authenticate(context.Background(), r, tokend.AudienceManagement); !errors.As(err, &ae) || ae.Code != "AuthenticationFailed" {
		t.Fatalf("Basic credentials: got %v", err)
	}
}

// Validators run on cache hits too, so a provider's token dies with its
// resource even while the verified token is cached.
func TestValidatorsRunOnEveryCheck(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testValidatorsRunOnEveryCheck)
}

func testValidatorsRunOnEveryCheck(t *testing.T, store tokend.Store) {
	s, _ := testService(t, store, nil)
	ctx := context.Background()
	tok := mustAccessToken(t, s, mustClientNoRole(t, s), ResourceManagement)
	gone := false
	s.AddValidator(func(_ context.Context, c *Claims) error {
		if gone {
			return errors.New("the resource was deleted")
		}
		return nil
	})
	for range 2 { // miss, then hit
		if _, err := s.Authenticate(ctx, bearerRequest(tok), tokend.AudienceManagement); err != nil {
			t.Fatal(err)
		}
	}
	gone = true
	_, err := s.Authenticate(ctx, bearerRequest(tok), tokend.AudienceManagement)
	var ae *tokend.AuthenticationError
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "the resource was deleted") {
		t.Fatalf("got %v", err)
	}
}

// A revocation made on another node applies here after the next sync.
func TestRevocationReachesOtherNodes(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testRevocationReachesOtherNodes)
}

func testRevocationReachesOtherNodes(t *testing.T, store tokend.Store) {
	s1, f := testService(t, store, nil)
	s2 := f.newService(t, nil)
	ctx := context.Background()
	tok := mustAccessToken(t, s1, mustClientNoRole(t, s1), ResourceManagement)
	c, err := s2.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Revoke(ctx, c.ID, c.Expiry()); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Verify(ctx, tok); err == nil {
		t.Fatal("revoking node still accepts")
	}
	if err := s2.deny.sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Verify(ctx, tok); err == nil {
		t.Fatal("other node still accepts after sync")
	}
}
