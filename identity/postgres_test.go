package identity

import (
	"context"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for the admin connection

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// Two nodes on one PostgreSQL database: they start together, rotate
// together, and each verifies what the other signs.
func TestTwoNodesShareKeysOnPostgres(t *testing.T) {
	dsn := storagetest.PostgresDSN(t)
	clock := testkit.NewClock(testEpoch)
	box := newBox(t)
	storeA, storeB := storagetest.PostgresOn(t, dsn), storagetest.PostgresOn(t, dsn)
	fa := newFixture(t, storeA, box)
	fb := &fixture{store: storeB, box: box, tenant: fa.tenant, sub: fa.sub}
	const rotation = 10 * time.Hour
	cfg := func(c *Config) { c.Now, c.KeyRotation, c.KeyPrePublish = clock.Now, rotation, time.Hour }

	// Both start at once on an empty key set: one first key.
	var a, b *Service
	var wg sync.WaitGroup
	wg.Go(func() { a = fa.newService(t, cfg) })
	wg.Go(func() { b = fb.newService(t, cfg) })
	wg.Wait()
	if keys := listKeys(t, storeA); len(keys) != 1 {
		t.Fatalf("two nodes starting together made %d keys, want 1", len(keys))
	}
	ctx := context.Background()
	client, _ := mustClient(t, a, "", "")
	crossCheck := func(stage string) {
		t.Helper()
		for _, pair := range [][2]*Service{{a, b}, {b, a}} {
			tok := mustAccessToken(t, pair[0], client, ResourceManagement)
			if _, err := pair[1].Verify(ctx, tok); err != nil {
				t.Fatalf("%s: a token signed on one node does not verify on the other: %v", stage, err)
			}
		}
	}
	crossCheck("start")

	// The rotation comes due on both at once: exactly one successor, however
	// many times each node decides.
	clock.Advance(rotation - 30*time.Minute)
	var start sync.WaitGroup
	start.Add(1)
	for i := range 8 {
		node := a
		if i%2 == 1 {
			node = b
		}
		wg.Go(func() {
			start.Wait()
			if err := node.RefreshKeys(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	start.Done()
	wg.Wait()
	keys := listKeys(t, storeA)
	if len(keys) != 2 {
		t.Fatalf("concurrent scheduled rotations made %d keys, want 2", len(keys))
	}
	crossCheck("pre-publish window")

	// Forced rotations racing on both nodes: still one pending key.
	for i := range 6 {
		node := a
		if i%2 == 1 {
			node = b
		}
		wg.Go(func() {
			if _, err := node.Keys.Rotate(ctx, false); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if keys := listKeys(t, storeA); len(keys) != 2 {
		t.Fatalf("concurrent forced rotations made %d keys, want 2", len(keys))
	}

	// After activation both sign with the new key; B learns of a key it has
	// not loaded through the unknown-kid refresh.
	clock.Advance(time.Hour)
	if err := a.RefreshKeys(ctx); err != nil {
		t.Fatal(err)
	}
	b.keys.minUnknownRefresh = 0
	next := pendingKeyAt(keys, clock.Now().Add(-time.Hour))
	if k := a.keys.current(clock.Now()); k == nil || k.id != next.ID {
		t.Fatal("node A does not sign with the successor after activation")
	}
	crossCheck("after activation")

	// A key made on A after B last loaded (an immediate rotation) is found
	// by B on first sight of its kid.
	if _, err := a.Keys.Rotate(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := a.keys.reload(ctx); err != nil {
		t.Fatal(err)
	}
	tok := mustAccessToken(t, a, client, ResourceManagement)
	if _, err := b.Verify(ctx, tok); err != nil {
		t.Fatalf("B does not find A's new key: %v", err)
	}
}

func pendingKeyAt(keys []*tokend.SigningKey, at time.Time) *tokend.SigningKey {
	return pendingKey(keys, at)
}
