package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/seal"
)

// KeyPolicy is how signing keys live.
type KeyPolicy struct {
	Algorithm string        // ES256 (default), RS256 or EdDSA
	Rotation  time.Duration // how long a key signs (default 30 days)
	// PrePublish is how long a new key sits in the JWKS before it signs, so
	// relying parties that cache the JWKS know it by then (default 1h,
	// at most a quarter of Rotation).
	PrePublish time.Duration
	// MaxTokenLifetime and Skew decide how long a retired key stays
	// published: until every token it signed has expired.
	MaxTokenLifetime time.Duration
	Skew             time.Duration
}

func (p KeyPolicy) withDefaults() KeyPolicy {
	if p.Algorithm == "" {
		p.Algorithm = AlgES256
	}
	if p.Rotation <= 0 {
		p.Rotation = 30 * 24 * time.Hour
	}
	if p.PrePublish <= 0 {
		p.PrePublish = time.Hour
	}
	if p.PrePublish > p.Rotation/4 {
		p.PrePublish = p.Rotation / 4
	}
	if p.MaxTokenLifetime <= 0 {
		p.MaxTokenLifetime = time.Hour
	}
	if p.Skew <= 0 {
		p.Skew = time.Minute
	}
	return p
}

// signingKeysLock serializes every key-set decision across nodes.
const signingKeysLock = "signing-keys"

// KeyManager makes the key-set decisions: create the first key, pre-publish
// a successor, retire, delete expired keys. Every decision runs in one
// transaction under the cross-node lock and re-reads the keys inside it, so
// nodes sharing a database never rotate twice or disagree.
type KeyManager struct {
	store  tokend.Store
	box    *seal.Box
	policy KeyPolicy
	now    func() time.Time
}

// NewKeyManager returns a key manager.
func NewKeyManager(store tokend.Store, box *seal.Box, policy KeyPolicy, now func() time.Time) (*KeyManager, error) {
	policy = policy.withDefaults()
	if !ValidSigningAlg(policy.Algorithm) {
		return nil, fmt.Errorf("unsupported signing algorithm %q (want ES256, RS256 or EdDSA)", policy.Algorithm)
	}
	if now == nil {
		now = time.Now
	}
	return &KeyManager{store: store, box: box, policy: policy, now: now}, nil
}

// Policy returns the effective policy.
func (m *KeyManager) Policy() KeyPolicy { return m.policy }

// List returns the stored keys.
func (m *KeyManager) List(ctx context.Context) ([]*tokend.SigningKey, error) {
	keys, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return keys, nil
}

// ActiveAlgorithm is the algorithm of the key signing at now (ES256 when
// none does), so that a rotation keeps the algorithm unless asked.
func ActiveAlgorithm(keys []*tokend.SigningKey, now time.Time) string {
	for i := len(keys) - 1; i >= 0; i-- {
		if KeyState(keys[i], now) == "active" {
			return keys[i].Algorithm
		}
	}
	return AlgES256
}

// KeyState names where a key is in its life at now.
func KeyState(k *tokend.SigningKey, now time.Time) string {
	switch {
	case !now.Before(k.ExpireAt):
		return "expired"
	case now.Before(k.ActivateAt):
		return "pending"
	case now.Before(k.RetireAt):
		return "active"
	}
	return "retired"
}

// expiryFor is when a key retiring at retire may be unpublished.
func (m *KeyManager) expiryFor(retire time.Time) time.Time {
	return retire.Add(m.policy.MaxTokenLifetime + m.policy.Skew)
}

// Ensure runs the scheduled decisions and reports whether it changed the
// key set. It is cheap to call often: most calls find nothing to do.
func (m *KeyManager) Ensure(ctx context.Context) (changed bool, err error) {
	err = m.change(ctx, func(q tokend.Queries, keys []*tokend.SigningKey, now time.Time) (bool, error) {
		changed, err = m.decide(ctx, q, keys, now)
		return changed, err
	})
	return changed, err
}

// keysGenerationMeta names the meta row that changes with every change of
// the key set. Nodes poll it with the RBAC generation (every
// SyncInterval) and reload their keys when it moves, so a rotation or a
// revocation made anywhere applies everywhere within a second, instead
// of at the next periodic key refresh.
const keysGenerationMeta = "signing-keys-generation"

// change runs fn on the key set under the key lock, in one transaction,
// and marks the key set changed for every node when fn says it changed it.
func (m *KeyManager) change(ctx context.Context, fn func(q tokend.Queries, keys []*tokend.SigningKey, now time.Time) (bool, error)) error {
	return m.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, signingKeysLock); err != nil {
			return fmt.Errorf("lock signing keys: %w", err)
		}
		keys, err := q.ListSigningKeys(ctx)
		if err != nil {
			return fmt.Errorf("list signing keys: %w", err)
		}
		changed, err := fn(q, keys, m.now().UTC())
		if err != nil || !changed {
			return err
		}
		if err := q.PutMeta(ctx, keysGenerationMeta, []byte(uuid.NewString())); err != nil {
			return fmt.Errorf("mark signing key change: %w", err)
		}
		return nil
	})
}

func (m *KeyManager) decide(ctx context.Context, q tokend.Queries, keys []*tokend.SigningKey, now time.Time) (bool, error) {
	changed := false
	var live []*tokend.SigningKey
	for _, k := range keys {
		if !now.Before(k.ExpireAt) {
			if err := q.DeleteSigningKey(ctx, k.ID); err != nil && !errors.Is(err, tokend.ErrNotFound) {
				return changed, fmt.Errorf("delete expired signing key %s: %w", k.ID, err)
			}
			changed = true
			continue
		}
		live = append(live, k)
	}
	cur, pending := activeKey(live, now), pendingKey(live, now)
	switch {
	case cur == nil && pending == nil && len(live) == 0:
		// First start: nothing is published anywhere yet, so there is
		// nothing to pre-publish for; sign at once.
		_, err := m.create(ctx, q, now, now)
		return true, err
	case cur == nil:
		return true, m.recover(ctx, q, live, pending, now)
	case pending == nil && (!now.Before(cur.RetireAt.Add(-m.policy.PrePublish)) || cur.Algorithm != m.policy.Algorithm):
		_, err := m.successor(ctx, q, cur, now)
		return true, err
	}
	return changed, nil
}

// recover finds a signing key when none is active: the cluster was down
// past a rotation, or only a pending key exists. It prefers keys that are
// already published over one nobody has seen yet.
func (m *KeyManager) recover(ctx context.Context, q tokend.Queries, live []*tokend.SigningKey, pending *tokend.SigningKey, now time.Time) error {
	var newest *tokend.SigningKey // the last key that has signed
	for _, k := range live {
		if !now.Before(k.ActivateAt) && (newest == nil || k.ActivateAt.After(newest.ActivateAt)) {
			newest = k
		}
	}
	if pending != nil && (newest == nil || !now.Before(pending.CreatedAt.Add(m.policy.PrePublish))) {
		// Published long enough (or nothing else to sign with): it signs now.
		pending.ActivateAt = now
		if err := q.UpdateSigningKey(ctx, pending); err != nil {
			return fmt.Errorf("activate signing key %s: %w", pending.ID, err)
		}
		return nil
	}
	// Stretch the newest retired key until a successor has been published
	// for PrePublish.
	retire := now.Add(m.policy.PrePublish)
	if pending != nil {
		retire = pending.ActivateAt
	}
	newest.RetireAt = retire
	newest.ExpireAt = maxTime(newest.ExpireAt, m.expiryFor(retire))
	if err := q.UpdateSigningKey(ctx, newest); err != nil {
		return fmt.Errorf("extend signing key %s: %w", newest.ID, err)
	}
	if pending == nil {
		_, err := m.successor(ctx, q, newest, now)
		return err
	}
	return nil
}

// successor creates the key that takes over from cur, published now and
// signing once it has been published for PrePublish. cur signs until then.
func (m *KeyManager) successor(ctx context.Context, q tokend.Queries, cur *tokend.SigningKey, now time.Time) (*tokend.SigningKey, error) {
	activate := maxTime(cur.RetireAt, now.Add(m.policy.PrePublish))
	if cur.Algorithm != m.policy.Algorithm {
		activate = now.Add(m.policy.PrePublish) // a policy change: switch at the earliest safe moment
	}
	if !cur.RetireAt.Equal(activate) {
		m.retire(cur, activate)
		if err := q.UpdateSigningKey(ctx, cur); err != nil {
			return nil, fmt.Errorf("retire signing key %s: %w", cur.ID, err)
		}
	}
	return m.create(ctx, q, now, activate)
}

func (m *KeyManager) create(ctx context.Context, q tokend.Queries, now, activate time.Time) (*tokend.SigningKey, error) {
	retire := activate.Add(m.policy.Rotation)
	k, err := newStoredKey(m.box, m.policy.Algorithm, now, activate, retire, m.expiryFor(retire))
	if err != nil {
		return nil, err
	}
	if err := q.CreateSigningKey(ctx, k); err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	return k, nil
}

// Rotate starts a rotation now instead of on schedule: a new key is
// published at once and signs after PrePublish (immediately with
// immediate, for a suspected compromise; other nodes then learn of it on
// first sight of its kid). When a successor is already pending it is
// returned instead, so operators or nodes rotating at the same moment get
// one new key, not several.
func (m *KeyManager) Rotate(ctx context.Context, immediate bool) (*tokend.SigningKey, error) {
	var out *tokend.SigningKey
	err := m.change(ctx, func(q tokend.Queries, keys []*tokend.SigningKey, now time.Time) (bool, error) {
		if p := pendingKey(keys, now); p != nil {
			out = p
			if !immediate {
				return false, nil
			}
			cur := activeKey(keys, now) // before p becomes active itself
			p.ActivateAt = now
			if cur != nil {
				m.retire(cur, now)
				if err := q.UpdateSigningKey(ctx, cur); err != nil {
					return false, fmt.Errorf("retire signing key %s: %w", cur.ID, err)
				}
			}
			if err := q.UpdateSigningKey(ctx, p); err != nil {
				return false, fmt.Errorf("activate signing key %s: %w", p.ID, err)
			}
			return true, nil
		}
		activate := now.Add(m.policy.PrePublish)
		if immediate || len(keys) == 0 {
			activate = now // nothing is published yet: nothing to wait for
		}
		if cur := activeKey(keys, now); cur != nil {
			m.retire(cur, activate)
			if err := q.UpdateSigningKey(ctx, cur); err != nil {
				return false, fmt.Errorf("retire signing key %s: %w", cur.ID, err)
			}
		}
		var err error
		out, err = m.create(ctx, q, now, activate)
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("rotate signing keys: %w", err)
	}
	return out, nil
}

// Revoke withdraws key kid at once, for a key that may be compromised: it
// stops signing, leaves the JWKS and every token it signed is refused, on
// every node within a second. When it was the signing key, a new key signs
// from now on (relying parties that cached the JWKS learn it on their next
// fetch for an unknown kid, as they must after a compromise anyway). It
// returns the key that signs afterwards.
func (m *KeyManager) Revoke(ctx context.Context, kid string) (*tokend.SigningKey, error) {
	var signer *tokend.SigningKey
	err := m.change(ctx, func(q tokend.Queries, keys []*tokend.SigningKey, now time.Time) (bool, error) {
		var revoked *tokend.SigningKey
		var rest []*tokend.SigningKey
		for _, k := range keys {
			if k.ID == kid {
				revoked = k
			} else {
				rest = append(rest, k)
			}
		}
		if revoked == nil {
			return false, fmt.Errorf("signing key %s: %w", kid, tokend.ErrNotFound)
		}
		// The row goes: a key no node can load is one no node signs or
		// verifies with.
		if err := q.DeleteSigningKey(ctx, kid); err != nil {
			return false, fmt.Errorf("delete signing key %s: %w", kid, err)
		}
		signer = activeKey(rest, now)
		if signer != nil {
			return true, nil
		}
		// Nothing else signs now: a pending successor takes over at once,
		// or a new key does.
		if p := pendingKey(rest, now); p != nil {
			p.ActivateAt = now
			if err := q.UpdateSigningKey(ctx, p); err != nil {
				return false, fmt.Errorf("activate signing key %s: %w", p.ID, err)
			}
			signer = p
			return true, nil
		}
		var err error
		signer, err = m.create(ctx, q, now, now)
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("revoke signing key: %w", err)
	}
	return signer, nil
}

// ExtendExpiry keeps key kid published until at least until: a token it
// signs that outlives the usual window (a provider's long-lived token)
// must stay verifiable to its end.
func (m *KeyManager) ExtendExpiry(ctx context.Context, kid string, until time.Time) error {
	err := m.change(ctx, func(q tokend.Queries, keys []*tokend.SigningKey, _ time.Time) (bool, error) {
		for _, k := range keys {
			if k.ID != kid {
				continue
			}
			if !k.ExpireAt.Before(until) {
				return false, nil
			}
			k.ExpireAt = until.UTC()
			return true, q.UpdateSigningKey(ctx, k)
		}
		return false, fmt.Errorf("signing key %s: %w", kid, tokend.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("extend signing key %s: %w", kid, err)
	}
	return nil
}

// retire moves k's RetireAt to at and its ExpireAt along, except that an
// ExpireAt stretched beyond the usual window (for a long-lived token k
// signed) is never shortened.
func (m *KeyManager) retire(k *tokend.SigningKey, at time.Time) {
	stretched := k.ExpireAt.After(m.expiryFor(k.RetireAt))
	k.RetireAt = at
	if stretched {
		k.ExpireAt = maxTime(k.ExpireAt, m.expiryFor(at))
	} else {
		k.ExpireAt = m.expiryFor(at)
	}
}

// activeKey is the key signing at now (the latest activated), or nil.
func activeKey(keys []*tokend.SigningKey, now time.Time) *tokend.SigningKey {
	var cur *tokend.SigningKey
	for _, k := range keys {
		if !now.Before(k.ActivateAt) && now.Before(k.RetireAt) && (cur == nil || k.ActivateAt.After(cur.ActivateAt)) {
			cur = k
		}
	}
	return cur
}

// pendingKey is a published key not yet signing, or nil.
func pendingKey(keys []*tokend.SigningKey, now time.Time) *tokend.SigningKey {
	var p *tokend.SigningKey
	for _, k := range keys {
		if now.Before(k.ActivateAt) && (p == nil || k.ActivateAt.After(p.ActivateAt)) {
			p = k
		}
	}
	return p
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
