package conformance

import (
	"slices"
	"testing"
	"time"

	"github.com/tokend-dev/tokend"
)

func testRevocations(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	revoked, err := s.IsRevoked(ctx, "jti-1")
	must(t, err)
	if revoked {
		t.Fatal("IsRevoked on an empty store = true")
	}

	revs := []*tokend.Revocation{
		{TokenID: "jti-1", RevokedAt: stamp(0), ExpiresAt: stamp(time.Hour)},
		{TokenID: "jti-2", RevokedAt: stamp(time.Minute), ExpiresAt: stamp(2 * time.Hour)},
		{TokenID: "jti-3", RevokedAt: stamp(2 * time.Minute), ExpiresAt: stamp(30 * time.Minute)},
	}
	for _, r := range revs {
		must(t, s.RevokeToken(ctx, r))
	}
	must(t, s.RevokeToken(ctx, revs[0])) // twice is fine
	for _, r := range revs {
		revoked, err := s.IsRevoked(ctx, r.TokenID)
		must(t, err)
		if !revoked {
			t.Errorf("IsRevoked(%s) = false", r.TokenID)
		}
	}

	since := func(at time.Time) []string {
		t.Helper()
		list, err := s.ListRevocationsSince(ctx, at)
		must(t, err)
		return idsOf(list, func(r *tokend.Revocation) string { return r.TokenID })
	}
	if got := since(time.Time{}); !slices.Equal(got, []string{"jti-1", "jti-2", "jti-3"}) {
		t.Errorf("since zero = %v", got)
	}
	// "at or after": the boundary is included.
	if got := since(stamp(time.Minute)); !slices.Equal(got, []string{"jti-2", "jti-3"}) {
		t.Errorf("since jti-2's revocation = %v", got)
	}
	if got := since(stamp(time.Hour)); len(got) != 0 {
		t.Errorf("since later = %v", got)
	}
	list, err := s.ListRevocationsSince(ctx, stamp(2*time.Minute))
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("since jti-3 = %d revocations", len(list))
	}
	checkTime(t, "RevokedAt", list[0].RevokedAt, revs[2].RevokedAt)
	checkTime(t, "ExpiresAt", list[0].ExpiresAt, revs[2].ExpiresAt)

	// Purge forgets tokens that expired before the cut-off, and only those.
	n, err := s.PurgeRevocations(ctx, stamp(time.Hour+time.Second))
	must(t, err)
	if n != 2 {
		t.Errorf("PurgeRevocations = %d, want 2", n)
	}
	for id, want := range map[string]bool{"jti-1": false, "jti-2": true, "jti-3": false} {
		got, err := s.IsRevoked(ctx, id)
		must(t, err)
		if got != want {
			t.Errorf("after purge IsRevoked(%s) = %v, want %v", id, got, want)
		}
	}
	n, err = s.PurgeRevocations(ctx, stamp(time.Hour+time.Second))
	must(t, err)
	if n != 0 {
		t.Errorf("second purge = %d, want 0", n)
	}
}
