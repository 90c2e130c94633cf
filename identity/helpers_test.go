package identity

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/seal"
)

// testEpoch is where the tests' settable clocks (testkit.Clock) start.
var testEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// The Playwright data plane's data actions, in Azure's spelling: what the
// Playwright roles of the fixture's catalog grant.
const (
	pwReadAccount       = "Microsoft.AzurePlaywrightService/accounts/read"
	pwWriteAccount      = "Microsoft.AzurePlaywrightService/accounts/write"
	pwReadAccessTokens  = "Microsoft.AzurePlaywrightService/accounts/accessTokens/read"
	pwWriteAccessTokens = "Microsoft.AzurePlaywrightService/accounts/accessTokens/write"
	pwDeleteAccessToken = "Microsoft.AzurePlaywrightService/accounts/accessTokens/delete"
)

// fixture is a store with a tenant and a subscription, and a seal box.
type fixture struct {
	store  tokend.Store
	box    *seal.Box
	tenant string
	sub    string
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

// playwrightRoles is the catalog the app composes from the Playwright
// provider: the built-in roles and the provider's three.
func playwrightRoles(t testing.TB) *RoleCatalog {
	t.Helper()
	c, err := NewRoleCatalog(playwright.Roles...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newService opens a Service on f, configured as the app configures it
// with the Playwright provider (its roles, its audience, its data-owner
// role for the bootstrap client); mutate adjusts the config.
func (f *fixture) newService(t testing.TB, mutate func(*Config)) *Service {
	t.Helper()
	cfg := Config{
		Store: f.store, Box: f.box, DefaultTenantID: f.tenant,
		Roles:          playwrightRoles(t),
		Audiences:      []tokend.AudienceDefinition{playwright.AudienceDefinition},
		BootstrapRoles: []string{playwright.RoleTestingOwner},
	}
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

// testService is a Service on a fresh fixture over store (a fresh store of
// one engine: testkit.EachEngine, or storagetest.SQLite in benchmarks).
func testService(t testing.TB, store tokend.Store, mutate func(*Config)) (*Service, *fixture) {
	t.Helper()
	f := newFixture(t, store, newBox(t))
	return f.newService(t, mutate), f
}

// mustClient creates a client holding role at scope (no assignment when
// role is empty).
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
	tok, err := s.issueAccessToken(context.Background(), "https://tokend.test", s.cfg.DefaultTenantID, c.ID, c.ObjectID, aud, acrSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok.token
}
