package identity

import (
	"context"
	"sync"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
)

func listKeys(t testing.TB, store tokend.Store) []*tokend.SigningKey {
	t.Helper()
	keys, err := store.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestKeyLifecycle(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testKeyLifecycle)
}

func testKeyLifecycle(t *testing.T, store tokend.Store) {
	clock := testkit.NewClock(testEpoch)
	const (
		rotation   = 10 * time.Hour
		prePublish = time.Hour
		lifetime   = time.Hour
	)
	s, f := testService(t, store, func(c *Config) {
		c.Now, c.KeyRotation, c.KeyPrePublish, c.TokenLifetime = clock.Now, rotation, prePublish, lifetime
	})
	ctx := context.Background()

	keys := listKeys(t, f.store)
	if len(keys) != 1 || KeyState(keys[0], clock.Now()) != "active" || keys[0].Algorithm != AlgES256 {
		t.Fatalf("first start: want one active ES256 key, got %+v", keys)
	}
	first := keys[0]
	if want := first.RetireAt.Add(lifetime + time.Minute); !first.ExpireAt.Equal(want) {
		t.Errorf("ExpireAt = %v, want retire + lifetime + skew = %v", first.ExpireAt, want)
	}
	oldToken := mustAccessToken(t, s, mustClientNoRole(t, s), ResourceManagement)

	// Not yet due: nothing changes.
	clock.Advance(rotation - prePublish - time.Minute)
	if changed, err := s.Keys.Ensure(ctx); err != nil || changed {
		t.Fatalf("Ensure before due: changed=%v err=%v", changed, err)
	}

	// Due: a successor is published, not yet signing.
	clock.Advance(2 * time.Minute)
	if err := s.RefreshKeys(ctx); err != nil {
		t.Fatal(err)
	}
	keys = listKeys(t, f.store)
	if len(keys) != 2 {
		t.Fatalf("want 2 keys after the rotation came due, got %d", len(keys))
	}
	var next *tokend.SigningKey
	for _, k := range keys {
		if k.ID == first.ID {
			first = k // its RetireAt moved to the successor's activation
		} else {
			next = k
		}
	}
	if KeyState(next, clock.Now()) != "pending" || !next.ActivateAt.Equal(first.RetireAt) || next.ActivateAt.Sub(next.CreatedAt) < prePublish {
		t.Fatalf("successor: state %s, created %v, activates %v; old key retires %v", KeyState(next, clock.Now()), next.CreatedAt, next.ActivateAt, first.RetireAt)
	}
	if jwks := string(s.keys.jwks()); !contains(jwks, next.ID) || !contains(jwks, first.ID) {
		t.Fatal("JWKS must publish the pending key next to the active one")
	}
	if k := s.keys.current(clock.Now()); k.id != first.ID {
		t.Fatal("the pending key must not sign yet")
	}

	// Activation: the successor signs; the old key stays published.
	clock.Advance(prePublish)
	if k := s.keys.current(clock.Now()); k.id != next.ID {
		t.Fatal("the successor must sign once active")
	}
	if _, err := s.Verify(ctx, oldToken); err == nil {
		t.Fatal("the old token has expired by now (lifetime 1h)")
	}
	if err := s.RefreshKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if jwks := string(s.keys.jwks()); !contains(jwks, first.ID) {
		t.Fatal("a retired key must stay published until its tokens expire")
	}

	// Expiry: the old key is deleted and unpublished.
	clock.Advance(lifetime + time.Minute)
	if err := s.RefreshKeys(ctx); err != nil {
		t.Fatal(err)
	}
	keys = listKeys(t, f.store)
	if len(keys) != 1 || keys[0].ID != next.ID {
		t.Fatalf("after expiry want only the successor, got %d keys", len(keys))
	}
	if jwks := string(s.keys.jwks()); contains(jwks, first.ID) {
		t.Fatal("expired key still published")
	}
}

func TestKeyRecoveryAfterDowntime(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testKeyRecoveryAfterDowntime)
}

func testKeyRecoveryAfterDowntime(t *testing.T, store tokend.Store) {
	clock := testkit.NewClock(testEpoch)
	s, f := testService(t, store, func(c *Config) {
		c.Now, c.KeyRotation, c.KeyPrePublish = clock.Now, 10*time.Hour, time.Hour
	})
	ctx := context.Background()
	first := listKeys(t, f.store)[0]
	// The cluster was down past the retirement of the only key.
	clock.Advance(10*time.Hour + 30*time.Minute)
	if err := s.RefreshKeys(ctx); err != nil {
		t.Fatal(err)
	}
	keys := listKeys(t, f.store)
	if len(keys) != 2 {
		t.Fatalf("want the stretched key and a successor, got %d keys", len(keys))
	}
	if k := s.keys.current(clock.Now()); k == nil || k.id != first.ID {
		t.Fatal("the already-published key must keep signing until the successor has been published for the window")
	}
	next := pendingKey(keys, clock.Now())
	if next == nil {
		t.Fatal("successor must be pending")
	}
	clock.Advance(time.Hour)
	if k := s.keys.current(clock.Now()); k == nil || k.id != next.ID {
		t.Fatal("successor must sign after the window")
	}
}

func TestSigningAlgChangeRotates(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testSigningAlgChangeRotates)
}

func testSigningAlgChangeRotates(t *testing.T, store tokend.Store) {
	clock := testkit.NewClock(testEpoch)
	_, f := testService(t, store, func(c *Config) { c.Now = clock.Now })
	s2 := f.newService(t, func(c *Config) { c.Now, c.SigningAlg = clock.Now, AlgEdDSA })
	keys := listKeys(t, f.store)
	if p := pendingKey(keys, clock.Now()); len(keys) != 2 || p == nil || p.Algorithm != AlgEdDSA {
		t.Fatalf("a new algorithm must pre-publish a key of it, got %+v", keys)
	}
	clock.Advance(time.Hour)
	if k := s2.keys.current(clock.Now()); k.alg != AlgEdDSA {
		t.Fatalf("signing with %s after the window", k.alg)
	}
}

func TestRotateIsIdempotentWhilePending(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testRotateIsIdempotentWhilePending)
}

func testRotateIsIdempotentWhilePending(t *testing.T, store tokend.Store) {
	clock := testkit.NewClock(testEpoch)
	s, f := testService(t, store, func(c *Config) { c.Now = clock.Now })
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			k, err := s.Keys.Rotate(ctx, false)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID
		})
	}
	wg.Wait()
	keys := listKeys(t, f.store)
	if len(keys) != 2 {
		t.Fatalf("concurrent rotations made %d keys, want 2", len(keys))
	}
	pending := pendingKey(keys, clock.Now())
	for _, id := range ids {
		if id != pending.ID {
			t.Fatalf("rotations returned different keys: %v", ids)
		}
	}
	// The retired key stays published only as long as its tokens live.
	for _, k := range listKeys(t, f.store) {
		if k.ID != pending.ID && !k.ExpireAt.Equal(pending.ActivateAt.Add(time.Hour+time.Minute)) {
			t.Errorf("old key published until %v, want activation of the successor + lifetime + skew", k.ExpireAt)
		}
	}
	// --immediate promotes the pending key at once.
	k, err := s.Keys.Rotate(ctx, true)
	if err != nil || k.ID != pending.ID {
		t.Fatalf("immediate rotate: %v %v", k, err)
	}
	if err := s.keys.reload(ctx); err != nil {
		t.Fatal(err)
	}
	if cur := s.keys.current(clock.Now()); cur.id != pending.ID {
		t.Fatal("immediate rotation did not switch the signing key")
	}
}

func TestSignKeepsKeyForLongLivedTokens(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testSignKeepsKeyForLongLivedTokens)
}

func testSignKeepsKeyForLongLivedTokens(t *testing.T, store tokend.Store) {
	clock := testkit.NewClock(testEpoch)
	s, f := testService(t, store, func(c *Config) { c.Now = clock.Now })
	ctx := context.Background()
	exp := clock.Now().Add(90 * 24 * time.Hour) // beyond the 30-day rotation
	tok, err := s.ClaimsSigner().Sign(ctx, map[string]any{"aud": "x", "exp": exp.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	keys := listKeys(t, f.store)
	if keys[0].ExpireAt.Before(exp) {
		t.Fatalf("key expires %v, before the token it signed (%v)", keys[0].ExpireAt, exp)
	}
	clock.Advance(60 * 24 * time.Hour)
	if err := s.RefreshKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, tok); err != nil {
		t.Fatalf("a 90-day token must verify after 60 days and a rotation: %v", err)
	}
	// A rotation retires the key but keeps it published for that token.
	if _, err := s.Keys.Rotate(ctx, true); err != nil {
		t.Fatal(err)
	}
	for _, k := range listKeys(t, f.store) {
		if k.ID == keys[0].ID && k.ExpireAt.Before(exp) {
			t.Fatalf("rotation shortened the key's publication to %v, before the token's expiry %v", k.ExpireAt, exp)
		}
	}
	if _, err := s.Sign(ctx, map[string]any{"aud": "x"}); err == nil {
		t.Fatal("claims without exp must be refused")
	}
}

func mustClientNoRole(t testing.TB, s *Service) *tokend.Client {
	c, _ := mustClient(t, s, "", "")
	return c
}

func contains(s, sub string) bool { return len(sub) > 0 && len(s) >= len(sub) && indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
