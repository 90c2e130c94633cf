package admin_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
)

const tenantID = "a1b2c3d4-0000-4000-8000-00000000aaaa"

// Principals of the tests, by the role each holds at "/".
const (
	owner     = "owner"     // Owner
	tokendAdm = "tokendadm" // Tokend Administrator
	reader    = "reader"    // Reader
	nobody    = "nobody"    // no role
)

// harness is the API over a fresh store, with identity's real registries
// and authorizer: callers authenticate as "Bearer good-<oid>", and what
// each may do is decided by the role assignments made here.
type harness struct {
	t       *testing.T
	store   tokend.Store
	handler http.Handler
	ids     *identity.Clients
	mu      sync.Mutex
	done    []string // "<action> <status>" seen by the Done hook
}

func newHarness(t *testing.T, store tokend.Store) *harness {
	t.Helper()
	ctx := t.Context()
	box, err := seal.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTenant(ctx, &tokend.Tenant{ID: tenantID, DisplayName: "Test", CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	clients, err := identity.NewClients(ctx, store, box, nil)
	if err != nil {
		t.Fatal(err)
	}
	users, err := identity.NewUsers(ctx, store, identity.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := identity.NewKeyManager(store, box, identity.KeyPolicy{Algorithm: identity.AlgES256}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	roles, err := identity.NewRoleCatalog(admin.Roles()...)
	if err != nil {
		t.Fatal(err)
	}
	assignments := identity.NewAssignments(store, roles, nil)
	for oid, role := range map[string]string{owner: identity.RoleOwner, tokendAdm: admin.RoleTokendAdministrator, reader: identity.RoleReader} {
		if _, err := assignments.Assign(ctx, oid, role, "/"); err != nil {
			t.Fatal(err)
		}
	}
	authz := identity.NewAuthorizer(store, roles, nil, nil)
	svc, err := admin.New(admin.Config{Store: store, Box: box, Clients: clients, Users: users,
		ManagedIdentities: identity.NewManagedIdentities(store, box, clients, nil), Keys: keys,
		Assignments: assignments, Authorizer: authz, Metrics: fakeMetrics{}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: store, ids: clients}
	opts := &pipeline.Options{
		Authenticator: &testkit.HeaderAuth{},
		Authorizer:    authz,
		Hooks: pipeline.Hooks{Done: func(_ context.Context, r *pipeline.Request, status int) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.done = append(h.done, r.Route.Action+" "+http.StatusText(status))
			return nil
		}},
	}
	h.handler = testkit.Stack{Store: store, Mounts: map[string]http.Handler{admin.Segment: svc.Router(opts)}}.Handler(t)
	return h
}

// do calls the API as principal with a JSON body.
func (h *harness) do(principal, method, path, body string) (int, []byte) {
	h.t.Helper()
	req := httptest.NewRequest(method, "https://tokend.test"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if principal != "" {
		req.Header.Set("Authorization", "Bearer good-"+principal)
	} else {
		req.Header.Set("Authorization", "Bearer not-a-token")
	}
	w := httptest.NewRecorder()
	h.handler.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// must calls and decodes a JSON answer of the wanted status into v.
func (h *harness) must(principal, method, path, body string, want int, v any) {
	h.t.Helper()
	status, b := h.do(principal, method, path, body)
	if status != want {
		h.t.Fatalf("%s %s as %s: %d %s, want %d", method, path, principal, status, b, want)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			h.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// apiError is the ARM envelope.
type apiError struct {
	Error struct{ Code, Message, Target string } `json:"error"`
}

// selfSigned is a PEM certificate with an ECDSA P-256 key, valid now.
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "admin-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// fakeMetrics is a node's history of two 5-second steps: 10 then 0
// tokens, 5 then 1 4xx (one of them a 429).
type fakeMetrics struct{}

var metricsStart = time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)

func (fakeMetrics) Step() time.Duration   { return 5 * time.Second }
func (fakeMetrics) Window() time.Duration { return 10 * time.Minute }
func (fakeMetrics) Steps() []admin.MetricsStep {
	return []admin.MetricsStep{
		{Start: metricsStart, End: metricsStart.Add(5 * time.Second), MetricsCounts: admin.MetricsCounts{TokensIssued: 10, ClientErrors: 5}},
		{Start: metricsStart.Add(5 * time.Second), End: metricsStart.Add(10 * time.Second), MetricsCounts: admin.MetricsCounts{ClientErrors: 1, Throttled: 1}},
	}
}
func (fakeMetrics) Totals() (admin.MetricsCounts, time.Time) {
	return admin.MetricsCounts{TokensIssued: 10, ClientErrors: 6, Throttled: 1}, metricsStart
}
