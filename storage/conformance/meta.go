package conformance

import (
	"fmt"
	"sync"
	"testing"

	"github.com/tokend-dev/tokend"
)

func testMeta(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	_, err := s.GetMeta(ctx, "bootstrap")
	wantErr(t, err, tokend.ErrNotFound)

	must(t, s.CreateMeta(ctx, "bootstrap", []byte("v1")))
	wantErr(t, s.CreateMeta(ctx, "bootstrap", []byte("v2")), tokend.ErrAlreadyExists)
	checkMeta(t, s, "bootstrap", "v1")

	must(t, s.PutMeta(ctx, "bootstrap", []byte("v3")))
	checkMeta(t, s, "bootstrap", "v3")
	must(t, s.PutMeta(ctx, "sealed-key", []byte{0, 0xff, 0}))
	checkMeta(t, s, "sealed-key", "\x00\xff\x00")
	checkMeta(t, s, "bootstrap", "v3")
}

func checkMeta(t *testing.T, s tokend.Queries, key, want string) {
	t.Helper()
	got, err := s.GetMeta(t.Context(), key)
	must(t, err)
	if string(got) != want {
		t.Errorf("meta %s = %q, want %q", key, got, want)
	}
}

// testMetaCreateRace: of 8 nodes initializing one value at once, exactly
// one wins and everyone can read its value.
func testMetaCreateRace(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	const n = 8
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			errs[i] = s.CreateMeta(ctx, "issuer-key", fmt.Appendf(nil, "node-%d", i))
		})
	}
	start.Done()
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("creators %d and %d both won", winner, i)
			}
			winner = i
			continue
		}
		wantErr(t, err, tokend.ErrAlreadyExists)
	}
	if winner < 0 {
		t.Fatal("no creator won")
	}
	checkMeta(t, s, "issuer-key", fmt.Sprintf("node-%d", winner))
}
