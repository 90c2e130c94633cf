package identity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// kidOf is the kid in a JWT's header.
func kidOf(t testing.TB, token string) string {
	t.Helper()
	kid, _ := azuretest.JWTHeader(t, token)["kid"].(string)
	return kid
}

// An immediate rotation and a revocation made through one node apply on
// another within a second: it signs with the new key, and after the
// revocation the revoked key is gone from its JWKS and every token it
// signed is refused there.
func TestKeyChangesReachOtherNodes(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testKeyChangesReachOtherNodes)
}

func testKeyChangesReachOtherNodes(t *testing.T, store tokend.Store) {
	s1, f := testService(t, store, nil)
	s2 := f.newService(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go s2.Run(ctx)
	client, _ := mustClient(t, s1, "", "")
	// eventually waits for cond on node 2 and says how long it took; the
	// sync interval (500 ms) bounds it.
	eventually := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: not on node 2 after 5 s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("%s: on node 2 after %v", what, time.Since(start).Round(time.Millisecond))
	}

	first := mustAccessToken(t, s2, client, ResourceManagement)
	oldKid := kidOf(t, first)
	rotated, err := s1.Keys.Rotate(ctx, true)
	if err != nil || rotated.ID == oldKid {
		t.Fatalf("rotate: %v %v", rotated, err)
	}
	eventually("rotation", func() bool { return kidOf(t, mustAccessToken(t, s2, client, ResourceManagement)) == rotated.ID })
	// A rotation is no revocation: the old key's tokens still verify.
	if _, err := s2.Verify(ctx, first); err != nil {
		t.Errorf("a token of the rotated-out key: %v", err)
	}

	second := mustAccessToken(t, s2, client, ResourceManagement)
	if _, err := s2.Verify(ctx, second); err != nil {
		t.Fatal(err) // and now it is in node 2's verified-token cache
	}
	signer, err := s1.Keys.Revoke(ctx, rotated.ID)
	if err != nil || signer == nil || signer.ID == rotated.ID {
		t.Fatalf("revoke: %v %v", signer, err)
	}
	eventually("revocation", func() bool {
		_, err := s2.Verify(ctx, second)
		return err != nil
	})
	if strings.Contains(string(s2.keys.jwks()), rotated.ID) {
		t.Error("the revoked key is still in node 2's JWKS")
	}
	if kid := kidOf(t, mustAccessToken(t, s2, client, ResourceManagement)); kid != signer.ID {
		t.Errorf("node 2 signs with %s, want %s", kid, signer.ID)
	}
	if _, err := s1.Keys.Revoke(ctx, rotated.ID); !errors.Is(err, tokend.ErrNotFound) {
		t.Errorf("revoke an unknown key: %v", err)
	}
}
