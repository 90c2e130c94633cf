package identity

import (
	"context"
	"fmt"
	"sync"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// denyList is this node's in-memory copy of the revoked token ids, so the
// bearer check never queries storage. It is loaded at start and followed
// with ListRevocationsSince every second; a revocation made on this node
// applies here at once.
type denyList struct {
	store tokend.RevocationStore
	now   func() time.Time

	mu      sync.RWMutex
	revoked map[string]int64 // jti → exp (unix seconds), forgotten after exp
	since   time.Time        // next sync reads revocations made from here on
}

// syncOverlap re-reads a window before the last sync: revocations are
// stamped with the revoking node's clock and commit a little after, so
// reading from exactly the last high-water mark could miss one.
const syncOverlap = 10 * time.Second

func newDenyList(store tokend.RevocationStore, now func() time.Time) *denyList {
	return &denyList{store: store, now: now, revoked: map[string]int64{}}
}

func (d *denyList) contains(jti string) bool {
	if jti == "" {
		return false
	}
	d.mu.RLock()
	_, ok := d.revoked[jti]
	d.mu.RUnlock()
	return ok
}

func (d *denyList) add(jti string, exp time.Time) {
	d.mu.Lock()
	d.revoked[jti] = exp.Unix()
	d.mu.Unlock()
}

// sync pulls revocations made on any node since the last sync (all of them
// on the first call) and forgets those whose tokens have expired.
func (d *denyList) sync(ctx context.Context) error {
	d.mu.RLock()
	since := d.since
	d.mu.RUnlock()
	start := d.now()
	list, err := d.store.ListRevocationsSince(ctx, since)
	if err != nil {
		return fmt.Errorf("sync revocations: %w", err)
	}
	nowUnix := start.Unix()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range list {
		if r.ExpiresAt.Unix() >= nowUnix {
			d.revoked[r.TokenID] = r.ExpiresAt.Unix()
		}
	}
	for jti, exp := range d.revoked {
		// Keep a minute past expiry: clocks differ, and an expired token
		// is refused anyway.
		if exp < nowUnix-60 {
			delete(d.revoked, jti)
		}
	}
	d.since = start.Add(-syncOverlap)
	return nil
}

// revoke records a revocation durably, then applies it here at once.
func (d *denyList) revoke(ctx context.Context, jti string, exp time.Time) error {
	err := d.store.RevokeToken(ctx, &tokend.Revocation{TokenID: jti, ExpiresAt: exp.UTC(), RevokedAt: d.now().UTC()})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	d.add(jti, exp)
	return nil
}
