package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/seal"
)

// keyRing is this node's in-memory copy of the stored key set: what it signs
// with and verifies against. It is reloaded periodically, and on demand when
// a token names a kid it does not know (another node's new key), at most
// once per minUnknownRefresh so a flood of forged kids cannot hammer the
// database.
type keyRing struct {
	store tokend.SigningKeyStore
	box   *seal.Box
	log   *slog.Logger
	now   func() time.Time

	state atomic.Pointer[keyState]

	minUnknownRefresh time.Duration
	reloadMu          sync.Mutex
	lastReload        atomic.Int64 // unix nanos of the last reload
	// onRemove runs when a reload drops keys, so the verified-token cache
	// forgets tokens they signed.
	onRemove func()
}

type keyState struct {
	keys []*signingKey // by ActivateAt, oldest first
	byID map[string]*signingKey
	jwks []byte
}

func newKeyRing(store tokend.SigningKeyStore, box *seal.Box, log *slog.Logger, now func() time.Time) *keyRing {
	r := &keyRing{store: store, box: box, log: log, now: now, minUnknownRefresh: 2 * time.Second, onRemove: func() {}}
	r.state.Store(&keyState{byID: map[string]*signingKey{}, jwks: []byte(`{"keys":[]}`)})
	return r
}

// reload reads the key set from storage. Keys already open are reused, so
// only new keys pay for unsealing.
func (r *keyRing) reload(ctx context.Context) error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	r.lastReload.Store(r.now().UnixNano())
	stored, err := r.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	old := r.state.Load()
	next := &keyState{byID: make(map[string]*signingKey, len(stored))}
	for _, sk := range stored {
		k := old.byID[sk.ID]
		if k == nil || k.alg != sk.Algorithm {
			if k, err = openKey(r.box, sk); err != nil {
				// One bad row must not take the issuer down; it is
				// simply not used.
				r.log.Error("skipping signing key", "kid", sk.ID, "err", err.Error())
				continue
			}
		} else {
			k = &signingKey{stored: sk, id: k.id, alg: k.alg, signer: k.signer, pub: k.pub, jwk: k.jwk, header: k.header}
		}
		next.keys = append(next.keys, k)
		next.byID[k.id] = k
	}
	sort.SliceStable(next.keys, func(i, j int) bool {
		return next.keys[i].stored.ActivateAt.Before(next.keys[j].stored.ActivateAt)
	})
	next.jwks = renderJWKS(next.keys, r.now())
	r.state.Store(next)
	for id := range old.byID {
		if next.byID[id] == nil {
			r.onRemove()
			break
		}
	}
	return nil
}

// renderJWKS publishes every key not yet expired, pending ones included:
// that is what lets relying parties learn a key before it signs.
func renderJWKS(keys []*signingKey, now time.Time) []byte {
	list := make([]json.RawMessage, 0, len(keys))
	for _, k := range keys {
		if now.Before(k.stored.ExpireAt) {
			list = append(list, k.jwk)
		}
	}
	b, _ := json.Marshal(struct {
		Keys []json.RawMessage `json:"keys"`
	}{list})
	return b
}

// lookup finds a key by kid, reloading once (rate-limited) when unknown.
func (r *keyRing) lookup(ctx context.Context, kid string) *signingKey {
	if k := r.state.Load().byID[kid]; k != nil {
		return k
	}
	seen := r.lastReload.Load()
	if r.now().Sub(time.Unix(0, seen)) < r.minUnknownRefresh {
		return nil
	}
	r.reloadMu.Lock()
	// Callers that queued behind another's reload use its result instead
	// of reading storage again.
	fresh := r.lastReload.Load() != seen
	r.reloadMu.Unlock()
	if !fresh {
		if err := r.reload(ctx); err != nil {
			r.log.Warn("reload signing keys for an unknown kid", "err", err.Error())
			return nil
		}
	}
	return r.state.Load().byID[kid]
}

// current is the key to sign with at now: among keys active at now, the one
// activated last. Every node picks the same key from the same stored times.
func (r *keyRing) current(now time.Time) *signingKey {
	keys := r.state.Load().keys
	for i := len(keys) - 1; i >= 0; i-- {
		k := keys[i].stored
		if !now.Before(k.ActivateAt) && now.Before(k.RetireAt) {
			return keys[i]
		}
	}
	return nil
}

// jwks is the published key set document.
func (r *keyRing) jwks() []byte { return r.state.Load().jwks }

// decisionDue reports whether the loaded key set needs a decision at now:
// no signing key, a rotation due without a successor, a change of
// algorithm, or a key to delete. KeyManager.Ensure re-checks under the lock.
func (r *keyRing) decisionDue(now time.Time, p KeyPolicy) bool {
	st := r.state.Load()
	stored := make([]*tokend.SigningKey, len(st.keys))
	for i, k := range st.keys {
		if !now.Before(k.stored.ExpireAt) {
			return true
		}
		stored[i] = k.stored
	}
	cur := activeKey(stored, now)
	if cur == nil {
		return true
	}
	if pendingKey(stored, now) != nil {
		return false
	}
	return !now.Before(cur.RetireAt.Add(-p.PrePublish)) || cur.Algorithm != p.Algorithm
}
