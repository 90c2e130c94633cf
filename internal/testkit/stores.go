package testkit

import (
	"errors"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// EachEngine runs fn as a parallel subtest on a fresh store of each engine
// (SQLite, and PostgreSQL where TOKEND_TEST_POSTGRES answers; required
// under TOKEND_REQUIRE_POSTGRES=1).
func EachEngine(t *testing.T, fn func(t *testing.T, store tokend.Store)) {
	t.Helper()
	for _, e := range storagetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, e.Open(t))
		})
	}
}

// Engines are the ways to open a fresh store, for tests that open several.
func Engines() []storagetest.Engine { return storagetest.Engines() }

// Subscription creates an enabled subscription (no error if it exists).
func Subscription(t testing.TB, store tokend.Store, id, tenantID string) *tokend.Subscription {
	t.Helper()
	s := &tokend.Subscription{ID: strings.ToLower(id), TenantID: tenantID, DisplayName: "Test Subscription",
		State: "Enabled", CreatedAt: time.Now().UTC()}
	if err := store.CreateSubscription(t.Context(), s); err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
		t.Fatalf("create subscription %s: %v", id, err)
	}
	return s
}
