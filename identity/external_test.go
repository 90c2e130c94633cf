package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
)

// fakeIssuer is an external OIDC issuer: discovery and a JWKS with one RSA
// key (no alg, as Entra publishes them), and a counter of JWKS fetches.
type fakeIssuer struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	kid     string
	fetches atomic.Int32
}

func newFakeIssuer(t testing.TB) *fakeIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fi := &fakeIssuer{key: key, kid: "ext-key-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": fi.srv.URL, "jwks_uri": fi.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		fi.fetches.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: fi.kid, Use: "sig"}}})
	})
	fi.srv = httptest.NewTLSServer(mux)
	t.Cleanup(fi.srv.Close)
	return fi
}

func (fi *fakeIssuer) token(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	return forge(t, map[string]any{"alg": "RS256", "kid": kid, "typ": "JWT", "x5t": "abc"}, claims, func(in []byte) []byte {
		sk := &signingKey{alg: AlgRS256, signer: fi.key}
		sig, err := sk.sign(in)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	})
}

func TestTrustedExternalIssuer(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testTrustedExternalIssuer)
}

func testTrustedExternalIssuer(t *testing.T, store tokend.Store) {
	fi := newFakeIssuer(t)
	s, _ := testService(t, store, func(c *Config) {
		c.TrustedIssuers = []TrustedIssuer{{Issuer: fi.srv.URL, Audiences: []string{"api://tokend"}}}
		c.HTTPClient = fi.srv.Client()
	})
	ctx := context.Background()
	now := time.Now().Unix()
	claims := func(aud string) map[string]any {
		return map[string]any{"iss": fi.srv.URL, "aud": aud, "sub": "ext-sub", "oid": "EXT-OID", "tid": "ext-tenant",
			"azp": "ext-app", "iat": now, "exp": now + 600}
	}
	p, err := s.Authenticate(ctx, bearerRequest(fi.token(t, fi.kid, claims("api://tokend"))), tokend.AudienceManagement)
	if err != nil {
		t.Fatalf("trusted token refused: %v", err)
	}
	if p.ObjectID != "ext-oid" || p.Issuer != fi.srv.URL || p.ClientID != "ext-app" {
		t.Errorf("principal %+v", p)
	}
	if _, err := s.Authenticate(ctx, bearerRequest(fi.token(t, fi.kid, claims(ResourceManagement))), tokend.AudienceManagement); err != nil {
		t.Errorf("ARM's own audience from a trusted issuer: %v", err)
	}
	var ae *tokend.AuthenticationError
	for name, tok := range map[string]string{
		"configured audience on Playwright": fi.token(t, fi.kid, claims("api://tokend")),
		"unknown audience":                  fi.token(t, fi.kid, claims("api://other")),
	} {
		aud := tokend.AudienceManagement
		if name == "configured audience on Playwright" {
			aud = playwright.SurfaceAudience
		}
		if _, err := s.Authenticate(ctx, bearerRequest(tok), aud); !errors.As(err, &ae) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	// A token claiming the trusted issuer but signed with tokend's key (or
	// naming tokend's kid) is checked against the issuer's keys only.
	ours := s.keys.current(time.Now())
	forged := forge(t, map[string]any{"alg": AlgES256, "kid": ours.id}, claims("api://tokend"), func(in []byte) []byte {
		sig, _ := ours.sign(in)
		return sig
	})
	if _, err := s.Authenticate(ctx, bearerRequest(forged), tokend.AudienceManagement); !errors.As(err, &ae) {
		t.Errorf("issuer/key confusion accepted: %v", err)
	}
	// Unknown kids refetch the JWKS at most once per interval.
	before := fi.fetches.Load()
	for range 5 {
		_, _ = s.Authenticate(ctx, bearerRequest(fi.token(t, "unknown-kid", claims("api://tokend"))), tokend.AudienceManagement)
	}
	if got := fi.fetches.Load() - before; got > 1 {
		t.Errorf("%d JWKS fetches for unknown kids, want at most 1", got)
	}
}
