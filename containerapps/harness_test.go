package containerapps_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/containerapps"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
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

type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  tokend.Store
	svc    *containerapps.Service
	signer *testSigner
	token  string // sent as "Bearer <token>" when set
}

// envOption sets what a test varies: the pipelines' shared options
// (authentication, authorization, limits) or the provider's configuration.
type envOption func(*pipeline.Options, *containerapps.Config)

// withAuth authenticates with authn and authorizes with authz (nil: every
// authenticated caller may do anything). Without it nothing is
// authenticated.
func withAuth(authn tokend.Authenticator, authz tokend.Authorizer) envOption {
	return func(o *pipeline.Options, _ *containerapps.Config) { o.Authenticator, o.Authorizer = authn, authz }
}

func withMaxBody(n int64) envOption {
	return func(o *pipeline.Options, _ *containerapps.Config) { o.MaxBodyBytes = n }
}

func withPageSize(n int) envOption {
	return func(_ *pipeline.Options, c *containerapps.Config) { c.PageSize = n }
}

func withLifetime(d time.Duration) envOption {
	return func(_ *pipeline.Options, c *containerapps.Config) { c.TokenLifetime = d }
}

func withClock(clock *testkit.Clock) envOption {
	return func(_ *pipeline.Options, c *containerapps.Config) { c.Now = clock.Now }
}

// newEnv serves the provider on store, composed as tokend composes it
// (Microsoft.Resources, the ARM surface, the server's routing), with the
// subscription sub in tenant tenantID.
func newEnv(t *testing.T, store tokend.Store, opts ...envOption) *env {
	t.Helper()
	testkit.Subscription(t, store, sub, tenantID)
	e := &env{t: t, store: store, signer: newTestSigner(t)}
	var po pipeline.Options
	caCfg := containerapps.Config{Store: store, Box: newBox(t), Signer: e.signer}
	for _, o := range opts {
		o(&po, &caCfg)
	}
	var err error
	if e.svc, err = containerapps.New(caCfg); err != nil {
		t.Fatal(err)
	}
	e.srv = testkit.Stack{Store: store, Providers: []*pipeline.Provider{e.svc.Describe()}, Options: po}.ServePlain(t)
	return e
}

// newBox is a seal box with a fresh key.
func newBox(t testing.TB) *seal.Box {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
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
