package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// testCert is a self-signed certificate and its key, as a client would
// register it.
type testCert struct {
	key  crypto.Signer
	der  []byte
	pem  []byte
	x5t  string // base64url SHA-1
	x5tS string // base64url SHA-256
}

func newTestCert(t testing.TB, key crypto.Signer, notBefore, notAfter time.Time) *testCert {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "test client"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	s1, s256 := sha1.Sum(der), sha256.Sum256(der)
	return &testCert{key: key, der: der, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		x5t: base64.RawURLEncoding.EncodeToString(s1[:]), x5tS: base64.RawURLEncoding.EncodeToString(s256[:])}
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signJWT signs header and claims with key under alg (RS256, PS256, ES256).
func signJWT(t testing.TB, key crypto.Signer, alg string, header, claims map[string]any) string {
	t.Helper()
	header["alg"] = alg
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch alg {
	case "RS256":
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, digest[:])
	case "PS256":
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, digest[:], nil)
	case "ES256":
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), digest[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// tokenError is an Entra error answer.
type oauthErr struct {
	Error      string `json:"error"`
	ErrorCodes []int  `json:"error_codes"`
}

func TestParseAssertionRefusals(t *testing.T) {
	t.Parallel()
	key := rsaKey(t)
	good := signJWT(t, key, "RS256", map[string]any{"x5t": strings.Repeat("A", 27)}, map[string]any{"iss": "x"})
	if _, err := parseAssertion(good); err != nil {
		t.Fatalf("good assertion refused: %v", err)
	}
	hdr := func(extra map[string]any) string {
		return signJWT(t, key, "RS256", extra, map[string]any{"iss": "x"})
	}
	for name, tok := range map[string]string{
		"too long":       good + strings.Repeat("A", maxAssertionLen),
		"two parts":      "a.b",
		"four parts":     good + ".x",
		"bad base64":     "!!." + strings.SplitN(good, ".", 2)[1],
		"jwk header":     hdr(map[string]any{"jwk": map[string]any{"kty": "RSA"}}),
		"jku header":     hdr(map[string]any{"jku": "https://evil"}),
		"crit header":    hdr(map[string]any{"crit": []string{"exp"}}),
		"nested (cty)":   hdr(map[string]any{"cty": "JWT"}),
		"typ":            hdr(map[string]any{"typ": "JWE"}),
		"short x5t":      hdr(map[string]any{"x5t": "AAAA"}),
		"bad kid":        hdr(map[string]any{"kid": "../../etc"}),
		"alg none":       strings.Replace(good, strings.SplitN(good, ".", 2)[0], base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)), 1),
		"alg HS256":      strings.Replace(good, strings.SplitN(good, ".", 2)[0], base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)), 1),
		"claims not obj": strings.SplitN(good, ".", 2)[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`[1]`)) + ".AAAA",
		"empty sig":      strings.TrimRight(good[:strings.LastIndexByte(good, '.')+1], ""),
	} {
		var ae *assertionError
		if _, err := parseAssertion(tok); !errors.As(err, &ae) || ae.aadsts != 50027 {
			t.Errorf("%s: %v, want an AADSTS50027 refusal", name, err)
		}
	}
}

func FuzzParseAssertion(f *testing.F) {
	key := rsaKey(f)
	f.Add(signJWT(f, key, "RS256", map[string]any{"x5t": strings.Repeat("A", 27)}, map[string]any{"iss": "x", "aud": []string{"a", "b"}, "exp": 1}))
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.AA")
	f.Fuzz(func(t *testing.T, tok string) {
		a, err := parseAssertion(tok)
		if err != nil {
			var ae *assertionError
			if !errors.As(err, &ae) || ae.aadsts == 0 || ae.message == "" {
				t.Fatalf("refusal without a code: %v", err)
			}
			return
		}
		switch a.alg {
		case AlgRS256, "PS256", AlgES256, "ES384", AlgEdDSA:
		default:
			t.Fatalf("accepted alg %q", a.alg)
		}
		if len(a.signature) == 0 || len(tok) > maxAssertionLen {
			t.Fatalf("accepted %q", tok)
		}
	})
}

// assertionEnv is a test server with a client that has a certificate.
type assertionEnv struct {
	ts     *testServer
	client *tokend.Client
	cert   *testCert
	now    time.Time
}

func newAssertionEnv(t *testing.T, store tokend.Store) *assertionEnv {
	t.Helper()
	ts := startServer(t, store, nil)
	c, _ := mustClient(t, ts.svc, RoleReader, "/")
	now := time.Now()
	cert := newTestCert(t, rsaKey(t), now.Add(-time.Hour), now.Add(24*time.Hour))
	if _, err := ts.svc.Clients.AddCertificate(t.Context(), c.ID, cert.pem); err != nil {
		t.Fatal(err)
	}
	return &assertionEnv{ts: ts, client: c, cert: cert, now: now}
}

func (e *assertionEnv) claims(edit func(map[string]any)) map[string]any {
	c := map[string]any{"iss": e.client.ID, "sub": e.client.ID, "aud": e.ts.URL + "/" + e.ts.tenant + "/oauth2/v2.0/token",
		"exp": e.now.Add(10 * time.Minute).Unix(), "nbf": e.now.Unix(), "iat": e.now.Unix(), "jti": uuid.NewString()}
	if edit != nil {
		edit(c)
	}
	return c
}

func (e *assertionEnv) exchange(t *testing.T, assertion string, edit func(url.Values)) (int, oauthErr, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.client.ID},
		"client_assertion_type": {ClientAssertionType}, "client_assertion": {assertion},
		"scope": {ResourceManagement + ".default"}}
	if edit != nil {
		edit(form)
	}
	resp, b := e.ts.post(t, "/"+e.ts.tenant+"/oauth2/v2.0/token", form, nil)
	var oe oauthErr
	var ok map[string]any
	_ = json.Unmarshal(b, &oe)
	_ = json.Unmarshal(b, &ok)
	return resp.StatusCode, oe, ok
}

func TestCertificateAssertions(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testCertificateAssertions)
}

func testCertificateAssertions(t *testing.T, store tokend.Store) {
	e := newAssertionEnv(t, store)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecCert := newTestCert(t, ec, e.now.Add(-time.Hour), e.now.Add(time.Hour))
	if _, err := e.ts.svc.Clients.AddCertificate(t.Context(), e.client.ID, ecCert.pem); err != nil {
		t.Fatal(err)
	}
	other := newTestCert(t, rsaKey(t), e.now.Add(-time.Hour), e.now.Add(time.Hour))
	thumbHex, _ := Thumbprints(e.cert.der)
	replayed := signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(nil))
	cases := []struct {
		name   string
		token  string
		form   func(url.Values)
		status int
		code   int
	}{
		{"RS256 by x5t", replayed, nil, 200, 0},
		{"PS256 by x5t#S256", signJWT(t, e.cert.key, "PS256", map[string]any{"x5t#S256": e.cert.x5tS}, e.claims(nil)), nil, 200, 0},
		{"RS256 by kid thumbprint", signJWT(t, e.cert.key, "RS256", map[string]any{"kid": thumbHex}, e.claims(nil)), nil, 200, 0},
		{"ES256", signJWT(t, ec, "ES256", map[string]any{"x5t": ecCert.x5t}, e.claims(nil)), nil, 200, 0},
		{"v1 endpoint audience", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(func(c map[string]any) {
			c["aud"] = e.ts.URL + "/organizations/oauth2/token"
		})), nil, 200, 0},
		{"without client_id", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(nil)), func(v url.Values) { v.Del("client_id") }, 200, 0},
		{"x5c sent along is not trusted, only the registered certificate", signJWT(t, e.cert.key, "RS256",
			map[string]any{"x5t": e.cert.x5t, "x5c": []string{base64.StdEncoding.EncodeToString(other.der)}}, e.claims(nil)), nil, 200, 0},
		{"x5c alone names no registered certificate", signJWT(t, other.key, "RS256",
			map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(other.der)}}, e.claims(nil)), nil, 401, 700027},
		{"replayed", replayed, nil, 401, 50013},
		{"unregistered certificate", signJWT(t, other.key, "RS256", map[string]any{"x5t": other.x5t}, e.claims(nil)), nil, 401, 700027},
		{"signed by another key", signJWT(t, other.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(nil)), nil, 401, 700027},
		{"no thumbprint", signJWT(t, e.cert.key, "RS256", map[string]any{}, e.claims(nil)), nil, 401, 700027},
		{"expired", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(func(c map[string]any) {
			c["exp"] = e.now.Add(-10 * time.Minute).Unix()
		})), nil, 401, 700024},
		{"not yet valid", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(func(c map[string]any) {
			c["nbf"] = e.now.Add(10 * time.Minute).Unix()
		})), nil, 401, 700024},
		{"valid for days", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(func(c map[string]any) {
			c["exp"] = e.now.Add(72 * time.Hour).Unix()
		})), nil, 401, 700024},
		{"wrong audience", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(func(c map[string]any) {
			c["aud"] = "https://login.microsoftonline.com/" + e.ts.tenant + "/oauth2/v2.0/token"
		})), nil, 401, 700023},
		{"other tenant in audience", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(func(c map[string]any) {
			c["aud"] = e.ts.URL + "/" + uuid.NewString() + "/oauth2/v2.0/token"
		})), nil, 401, 700023},
		{"sub is not the client", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(func(c map[string]any) {
			c["sub"] = uuid.NewString()
		})), nil, 401, 700021},
		{"no jti", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(func(c map[string]any) { delete(c, "jti") })), nil, 401, 50027},
		{"wrong assertion type", replayed, func(v url.Values) { v.Set("client_assertion_type", "urn:x") }, 400, 700010},
		{"assertion and secret", replayed, func(v url.Values) { v.Set("client_secret", "x") }, 400, 90023},
		{"unknown client", signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(nil)), func(v url.Values) { v.Set("client_id", uuid.NewString()) }, 400, 700016},
		{"malformed", "not-a-jwt", nil, 401, 50027},
	}
	for _, c := range cases {
		status, oe, ok := e.exchange(t, c.token, c.form)
		if status != c.status {
			t.Errorf("%s: status %d, want %d (%+v)", c.name, status, c.status, oe)
			continue
		}
		if c.code != 0 && (len(oe.ErrorCodes) != 1 || oe.ErrorCodes[0] != c.code) {
			t.Errorf("%s: error codes %v (%s), want %d", c.name, oe.ErrorCodes, oe.Error, c.code)
		}
		if c.status == 200 {
			tok, _ := ok["access_token"].(string)
			claims, err := e.ts.svc.Verify(t.Context(), tok)
			if err != nil {
				t.Errorf("%s: issued token does not verify: %v", c.name, err)
				continue
			}
			var raw map[string]any
			_ = json.Unmarshal(claims.Raw, &raw)
			if raw["appidacr"] != "2" || raw["azpacr"] != "2" || raw["appid"] != e.client.ID || raw["uti"] == nil || raw["uti"] != raw["jti"] {
				t.Errorf("%s: claims %v", c.name, raw)
			}
		}
	}
	if status, oe, _ := e.exchange(t, replayed, nil); status != 401 || len(oe.ErrorCodes) != 1 || oe.ErrorCodes[0] != 50013 {
		t.Errorf("a replay was accepted later: %d %+v", status, oe)
	}
	// Certificates that cannot sign in are refused at registration.
	for name, pemBytes := range map[string][]byte{
		"expired":       newTestCert(t, rsaKey(t), e.now.Add(-48*time.Hour), e.now.Add(-time.Hour)).pem,
		"not yet valid": newTestCert(t, rsaKey(t), e.now.Add(time.Hour), e.now.Add(48*time.Hour)).pem,
		"not PEM":       []byte("hello"),
	} {
		if _, err := e.ts.svc.Clients.AddCertificate(t.Context(), e.client.ID, pemBytes); !errors.Is(err, ErrInvalidCredential) {
			t.Errorf("%s certificate: %v", name, err)
		}
	}
	// A removed certificate signs nothing in.
	if err := e.ts.svc.Clients.RemoveCertificate(t.Context(), e.client.ID, strings.ToLower(thumbHex)); err != nil {
		t.Fatal(err)
	}
	if status, oe, _ := e.exchange(t, signJWT(t, e.cert.key, "RS256", map[string]any{"x5t": e.cert.x5t}, e.claims(nil)), nil); status != 401 || oe.ErrorCodes[0] != 700027 {
		t.Errorf("removed certificate: %d %+v", status, oe)
	}
}

// testIssuer is an OIDC issuer of the test's own on loopback HTTP.
type testIssuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	kid string
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	ti := &testIssuer{key: rsaKey(t), kid: "test-key-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": ti.srv.URL, "jwks_uri": ti.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		n := base64.RawURLEncoding.EncodeToString(ti.key.N.Bytes())
		e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(ti.key.E)).Bytes())
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": ti.kid, "use": "sig", "alg": "RS256", "n": n, "e": e}}})
	})
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	return ti
}

func (ti *testIssuer) token(t testing.TB, sub, aud string, exp time.Time) string {
	return signJWT(t, ti.key, "RS256", map[string]any{"kid": ti.kid, "typ": "JWT"},
		map[string]any{"iss": ti.srv.URL, "sub": sub, "aud": aud, "exp": exp.Unix(), "iat": time.Now().Unix(), "nbf": time.Now().Unix()})
}

func TestFederatedCredentials(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testFederatedCredentials)
}

func testFederatedCredentials(t *testing.T, store tokend.Store) {
	e := newAssertionEnv(t, store)
	ti := newTestIssuer(t)
	const sub = "system:serviceaccount:default:workload"
	if _, err := e.ts.svc.Clients.AddFederatedCredential(t.Context(), e.client.ID, "k8s", ti.srv.URL, sub, nil); err != nil {
		t.Fatal(err)
	}
	untrusted := newTestIssuer(t)
	exp := time.Now().Add(time.Hour)
	good := ti.token(t, sub, DefaultFederationAudience, exp)
	for _, c := range []struct {
		name   string
		token  string
		status int
		code   int
	}{
		{"service-account token", good, 200, 0},
		{"the same token again (federated tokens are reused)", good, 200, 0},
		{"wrong subject", ti.token(t, "system:serviceaccount:default:other", DefaultFederationAudience, exp), 401, 700213},
		{"wrong audience", ti.token(t, sub, "api://other", exp), 401, 700212},
		{"untrusted issuer", untrusted.token(t, sub, DefaultFederationAudience, exp), 401, 700211},
		{"expired", ti.token(t, sub, DefaultFederationAudience, time.Now().Add(-10*time.Minute)), 401, 700024},
		{"forged signature", signJWT(t, rsaKey(t), "RS256", map[string]any{"kid": ti.kid},
			map[string]any{"iss": ti.srv.URL, "sub": sub, "aud": DefaultFederationAudience, "exp": exp.Unix()}), 401, 50013},
		{"unknown kid", signJWT(t, ti.key, "RS256", map[string]any{"kid": "nope"},
			map[string]any{"iss": ti.srv.URL, "sub": sub, "aud": DefaultFederationAudience, "exp": exp.Unix()}), 401, 50013},
	} {
		status, oe, _ := e.exchange(t, c.token, nil)
		if status != c.status || c.code != 0 && (len(oe.ErrorCodes) != 1 || oe.ErrorCodes[0] != c.code) {
			t.Errorf("%s: %d %+v, want %d %d", c.name, status, oe, c.status, c.code)
		}
	}
	// Registration refuses issuers that are not https, but for loopback.
	for _, iss := range []string{"http://example.com", "ftp://x", "https://user:pw@x", "not a url"} {
		if _, err := e.ts.svc.Clients.AddFederatedCredential(t.Context(), e.client.ID, "bad-issuer", iss, sub, nil); !errors.Is(err, ErrInvalidCredential) {
			t.Errorf("issuer %q accepted: %v", iss, err)
		}
	}
}

func TestResourcesByApplication(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testResourcesByApplication)
}

func testResourcesByApplication(t *testing.T, store tokend.Store) {
	ts := startServer(t, store, nil)
	api, _ := mustClient(t, ts.svc, "", "")
	if err := ts.svc.Clients.SetIdentifierURIs(t.Context(), api.ID, []string{"api://orders"}); err != nil {
		t.Fatal(err)
	}
	other, _ := mustClient(t, ts.svc, "", "")
	if err := ts.svc.Clients.SetIdentifierURIs(t.Context(), other.ID, []string{"API://Orders"}); !errors.Is(err, ErrInvalidCredential) {
		t.Errorf("a second client took the same identifier URI: %v", err)
	}
	for _, bad := range []string{"orders", "api://*", "https://x/#y"} {
		if err := ts.svc.Clients.SetIdentifierURIs(t.Context(), other.ID, []string{bad}); !errors.Is(err, ErrInvalidCredential) {
			t.Errorf("identifier URI %q accepted: %v", bad, err)
		}
	}
	id, secret := ts.boot.Client.ID, ts.boot.Secret
	for _, c := range []struct {
		path, scope, resource string
		status                int
		aud, code             string
	}{
		{"oauth2/v2.0/token", "api://orders/.default", "", 200, api.ID, ""},
		{"oauth2/v2.0/token", "API://ORDERS/.default", "", 200, api.ID, ""},
		{"oauth2/v2.0/token", api.ID + "/.default", "", 200, api.ID, ""},
		{"oauth2/v2.0/token", ts.URL + "/.default", "", 200, ResourceManagement, ""},
		{"oauth2/v2.0/token", ts.URL + "//.default", "", 200, ResourceManagement, ""},
		{"oauth2/v2.0/token", "api://nothing/.default", "", 400, "", "invalid_resource"},
		{"oauth2/v2.0/token", uuid.NewString() + "/.default", "", 400, "", "invalid_resource"},
		{"oauth2/token", "", "api://orders", 200, api.ID, ""},
	} {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
		if c.scope != "" {
			form.Set("scope", c.scope)
		}
		if c.resource != "" {
			form.Set("resource", c.resource)
		}
		resp, b := ts.post(t, "/"+ts.tenant+"/"+c.path, form, nil)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		if resp.StatusCode != c.status || c.code != "" && out["error"] != c.code {
			t.Errorf("%s %s: %d %s", c.scope, c.resource, resp.StatusCode, b)
			continue
		}
		if c.status != 200 {
			continue
		}
		claims, err := ts.svc.Verify(t.Context(), out["access_token"].(string))
		if err != nil || !claims.Audience.Contains(c.aud) {
			t.Errorf("%s: aud %v, want %s (%v)", c.scope, claims, c.aud, err)
		}
		if c.path == "oauth2/token" {
			for _, k := range []string{"expires_on", "not_before", "resource"} {
				if _, ok := out[k].(string); !ok {
					t.Errorf("v1 answer lacks the string %s: %s", k, b)
				}
			}
		}
	}
}

// RS256 keys are published as Entra publishes them: with a certificate in
// x5c and its thumbprint in x5t (also in each token's header), the same on
// every node.
func TestRS256KeysCarryCertificates(t *testing.T) {
	t.Parallel()
	store := testkit.Engines()[0].Open(t)
	f := newFixture(t, store, newBox(t))
	a := f.newService(t, func(c *Config) { c.SigningAlg = AlgRS256 })
	b := f.newService(t, func(c *Config) { c.SigningAlg = AlgRS256 })
	var set struct {
		Keys []struct {
			Kid string   `json:"kid"`
			X5t string   `json:"x5t"`
			X5c []string `json:"x5c"`
			N   string   `json:"n"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(a.keys.jwks(), &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS %s: %v", a.keys.jwks(), err)
	}
	if string(a.keys.jwks()) != string(b.keys.jwks()) {
		t.Errorf("two nodes publish different key sets:\n%s\n%s", a.keys.jwks(), b.keys.jwks())
	}
	k := set.Keys[0]
	der, err := base64.StdEncoding.DecodeString(k.X5c[0])
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(der)
	if k.X5t != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Errorf("x5t %s is not the certificate's thumbprint", k.X5t)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || base64.RawURLEncoding.EncodeToString(pub.N.Bytes()) != k.N {
		t.Error("the certificate is not of the published key")
	}
	c, _ := mustClient(t, a, "", "")
	tok := mustAccessToken(t, a, c, ResourceManagement)
	h := azuretest.JWTHeader(t, tok)
	if h["x5t"] != k.X5t || h["kid"] != k.Kid || h["alg"] != "RS256" {
		t.Errorf("token header %v", h)
	}
	if _, err := b.Verify(t.Context(), tok); err != nil {
		t.Errorf("another node does not verify the token: %v", err)
	}
}
