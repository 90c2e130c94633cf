package containerapps_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/containerapps"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/storage/sqlite"
)

const (
	sub      = "34adfa4f-cedf-4dc0-ba29-b6d1a69ab345"
	tenantID = "0d2e6a53-0000-4000-8000-00000000aaaa"
	apiV3    = "2025-01-01"
	issuer   = "https://tokend.test/" + tenantID + "/v2.0"
)

// testSigner signs ES256 JWTs as tokend's issuer does, with one key.
type testSigner struct {
	key    *ecdsa.PrivateKey
	signer jose.Signer
}

func newTestSigner(t testing.TB) *testSigner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "test-key"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{key: key, signer: s}
}

func (s *testSigner) Sign(_ context.Context, claims map[string]any) (string, error) {
	payload := make(map[string]any, len(claims)+1)
	for k, v := range claims {
		payload[k] = v
	}
	payload["iss"] = issuer
	b, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	jws, err := s.signer.Sign(b)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// verify checks the signature and returns the payload.
func (s *testSigner) verify(t testing.TB, token string) []byte {
	t.Helper()
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	payload, err := jws.Verify(&s.key.PublicKey)
	if err != nil {
		t.Fatalf("verify token: %v", err)
	}
	return payload
}

// headerAuth accepts "Bearer <oid>" and denies the actions a test names,
// standing in for the issuer in tests of this package alone.
type headerAuth struct {
	mu      sync.Mutex
	denied  map[string]bool // lower-case action → denied
	actions []string        // every action checked
}

func (a *headerAuth) Authenticate(_ context.Context, r *http.Request, _ tokend.Audience) (*tokend.Principal, error) {
	oid, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || oid == "" {
		return nil, &tokend.AuthenticationError{Code: "AuthenticationFailed", Message: "no bearer token"}
	}
	return &tokend.Principal{ObjectID: oid, TenantID: tenantID, ClientID: "client-" + oid}, nil
}

func (a *headerAuth) Authorize(_ context.Context, p *tokend.Principal, action, scope string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.actions = append(a.actions, action)
	if a.denied[strings.ToLower(action)] {
		return &tokend.AuthorizationError{PrincipalID: p.ObjectID, Action: action, Scope: scope}
	}
	return nil
}

func (a *headerAuth) AuthorizeData(ctx context.Context, p *tokend.Principal, action, scope string) error {
	return a.Authorize(ctx, p, action, scope)
}

type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  tokend.Store
	svc    *containerapps.Service
	signer *testSigner
	token  string // sent as "Bearer <token>" when set
	now    time.Time
}

type envOption func(*arm.Config, *containerapps.Config)

func withAuth(a *headerAuth) envOption {
	return func(c *arm.Config, _ *containerapps.Config) { c.Authenticator, c.Authorizer = a, a }
}

func withMaxBody(n int64) envOption {
	return func(c *arm.Config, _ *containerapps.Config) { c.MaxBodyBytes = n }
}

func withPageSize(n int) envOption {
	return func(_ *arm.Config, c *containerapps.Config) { c.PageSize = n }
}

func withLifetime(d time.Duration) envOption {
	return func(_ *arm.Config, c *containerapps.Config) { c.TokenLifetime = d }
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tokend.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if err := store.CreateSubscription(ctx, &tokend.Subscription{ID: sub, TenantID: tenantID, DisplayName: "s", State: "Enabled", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, signer: newTestSigner(t)}
	armCfg := arm.Config{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	caCfg := containerapps.Config{Store: store, Box: box, Signer: e.signer}
	for _, o := range opts {
		o(&armCfg, &caCfg)
	}
	if e.svc, err = containerapps.New(caCfg); err != nil {
		t.Fatal(err)
	}
	rt := arm.NewRouter(armCfg)
	e.svc.Register(rt)
	e.srv = httptest.NewServer(rt)
	t.Cleanup(e.srv.Close)
	return e
}

func appURL(rg, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.App/containerApps/" + name
}

// do sends a request (body: nil, a string sent verbatim, or a value sent as
// JSON) with ?api-version=apiV3 unless the path has a query already.
func (e *env) do(method, path string, body any) (int, http.Header, []byte) {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		if !strings.Contains(u, "?") {
			u += "?api-version=" + apiV3
		}
		u = e.srv.URL + u
	}
	resp, b := azuretest.Send(e.t, http.DefaultClient, azuretest.NewRequest(e.t, method, u, body, e.token))
	return resp.StatusCode, resp.Header, b
}

// expect sends a request, checks the status and validates the body against
// the spec definition (for errors, DefaultErrorResponse).
func (e *env) expect(method, path string, body any, status int, definition string) []byte {
	e.t.Helper()
	got, _, b := e.do(method, path, body)
	if got != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, b)
	}
	validate(e.t, definition, b)
	return b
}

// validate checks a body against a definition of the Container Apps spec.
func validate(t testing.TB, definition string, body []byte) {
	t.Helper()
	switch definition {
	case "":
		if len(bytes.TrimSpace(body)) != 0 {
			t.Errorf("want no body, got %s", body)
		}
	case "DefaultErrorResponse":
		azurespec.Validate(t, azurespec.ContainerAppsCommon, definition, body)
	default:
		azurespec.Validate(t, azurespec.ContainerApps, definition, body)
	}
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

// at walks a decoded document: at(m, "properties", "configuration", "secrets", 0, "name").
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// minimalApp is the body the official client sends in SDK-REQUESTS.md.
func minimalApp(location string) map[string]any {
	return map[string]any{
		"location": location,
		"tags":     map[string]any{"harness": "d0c5e1"},
		"properties": map[string]any{
			"environmentId": "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/demokube",
			"template": map[string]any{
				"containers": []any{map[string]any{
					"image": "mcr.microsoft.com/k8se/quickstart:latest", "name": "main",
					"resources": map[string]any{"cpu": 0.25, "memory": "0.5Gi"},
				}},
			},
		},
	}
}
