package identity

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/storage/sqlite"
)

// testClock is a settable clock shared by a test's services.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a store with a tenant and a subscription, and a seal box.
type fixture struct {
	store  tokend.Store
	box    *seal.Box
	tenant string
	sub    string
}

func openSQLite(t testing.TB) tokend.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tokend.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

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

func newFixture(t testing.TB, store tokend.Store, box *seal.Box) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{store: store, box: box, tenant: uuid.NewString(), sub: uuid.NewString()}
	if err := store.CreateTenant(ctx, &tokend.Tenant{ID: f.tenant, DisplayName: "t", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateSubscription(ctx, &tokend.Subscription{ID: f.sub, TenantID: f.tenant, DisplayName: "s", State: "Enabled", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return f
}

// newService opens a Service on f; mutate adjusts the config.
func (f *fixture) newService(t testing.TB, mutate func(*Config)) *Service {
	t.Helper()
	cfg := Config{Store: f.store, Box: f.box, DefaultTenantID: f.tenant}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.SetBaseURL("https://tokend.test")
	return s
}

// testService is a Service on a fresh SQLite store.
func testService(t testing.TB, mutate func(*Config)) (*Service, *fixture) {
	t.Helper()
	f := newFixture(t, openSQLite(t), newBox(t))
	return f.newService(t, mutate), f
}

// mustToken issues an ARM access token to a fresh client holding role at
// scope (no assignment when role is empty).
func mustClient(t testing.TB, s *Service, role, scope string) (*tokend.Client, string) {
	t.Helper()
	ctx := context.Background()
	c, secret, err := s.Clients.Create(ctx, s.cfg.DefaultTenantID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		if _, err := s.Assignments.Assign(ctx, c.ObjectID, role, scope); err != nil {
			t.Fatal(err)
		}
	}
	return c, secret
}

func mustAccessToken(t testing.TB, s *Service, c *tokend.Client, aud string) string {
	t.Helper()
	tok, err := s.issueAccessToken(context.Background(), "https://tokend.test", s.cfg.DefaultTenantID, c.ID, c.ObjectID, aud)
	if err != nil {
		t.Fatal(err)
	}
	return tok.token
}
