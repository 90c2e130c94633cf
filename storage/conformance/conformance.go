// Package conformance is the behaviour every tokend.Store engine must show,
// as a test suite each engine runs against itself (in the spirit of dex's
// storage/conformance). An engine's test calls Run with a constructor that
// returns a fresh, empty store and registers its cleanup with t.Cleanup.
package conformance

import (
	"errors"
	"testing"
	"time"

	"github.com/tokend-dev/tokend"
)

// Run runs every conformance test. Each subtest gets its own store from
// newStore and runs in parallel with the others.
func Run(t *testing.T, newStore func(t *testing.T) tokend.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s tokend.Store)
	}{
		{"Ping", testPing},
		{"Tenants", testTenants},
		{"Subscriptions", testSubscriptions},
		{"Clients", testClients},
		{"RoleAssignments", testRoleAssignments},
		{"GetRoleAssignment", testGetRoleAssignment},
		{"CustomRoles", testCustomRoles},
		{"SigningKeys", testSigningKeys},
		{"ResourceCRUD", testResourceCRUD},
		{"ResourceFields", testResourceFields},
		{"ResourceIDCase", testResourceIDCase},
		{"ResourceConcurrentUpdate", testResourceConcurrentUpdate},
		{"ResourceConcurrentDelete", testResourceConcurrentDelete},
		{"ListResources", testListResources},
		{"ListResourcesScopeIsolation", testListResourcesScopeIsolation},
		{"ListResourcesPagingStable", testListResourcesPagingStable},
		{"ListResourcesUnder", testListResourcesUnder},
		{"DeleteResourcesUnder", testDeleteResourcesUnder},
		{"ResourceGenerationFollowsWrites", testResourceGenerationFollowsWrites},
		{"Revocations", testRevocations},
		{"AuditRecords", testAuditRecords},
		{"Meta", testMeta},
		{"MetaCreateRace", testMetaCreateRace},
		{"TxRollback", testTxRollback},
		{"TxRollbackOnPanic", testTxRollbackOnPanic},
		{"TxCommit", testTxCommit},
		{"TxConcurrentOutcomes", testTxConcurrentOutcomes},
		{"TxCanceledBeforeStart", testTxCanceledBeforeStart},
		{"TxContinuesAfterConflict", testTxContinuesAfterConflict},
		{"TxLock", testTxLock},
		{"TxLockSerializes", testTxLockSerializes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
	t.Run("AccessTokens", func(t *testing.T) { RunAccessTokens(t, newStore) })
	t.Run("AuthorizationServers", func(t *testing.T) { RunAuthorizationServers(t, newStore) })
	t.Run("ClientCredentials", func(t *testing.T) { RunClientCredentials(t, newStore) })
	t.Run("Users", func(t *testing.T) { RunUsers(t, newStore) })
	t.Run("DeviceCodes", func(t *testing.T) { RunDeviceCodes(t, newStore) })
}

func testPing(t *testing.T, s tokend.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// stamp is a time with nanoseconds and a non-UTC zone: storage must give
// back the same instant, truncated to microseconds, in UTC.
func stamp(offset time.Duration) time.Time {
	zone := time.FixedZone("UTC+2", 2*60*60)
	return time.Date(2025, 3, 4, 5, 6, 7, 123456789, zone).Add(offset)
}

// stored is what storage returns for t.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Microsecond).UTC()
}

func checkTime(t *testing.T, what string, got, sent time.Time) {
	t.Helper()
	want := stored(sent)
	if !got.Equal(want) || got.Location() != time.UTC || got.IsZero() != sent.IsZero() {
		t.Errorf("%s = %v (%v), want %v (UTC)", what, got, got.Location(), want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func errorsIsAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
