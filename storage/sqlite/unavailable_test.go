package sqlite_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/sqlite"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// A full disk: writes fail with tokend.ErrUnavailable (a 503 at the edge,
// not a 500), Ping reports not ready while writes fail although the
// connections answer, and ready again once there is room, without a
// restart.
func TestFullDiskIsUnavailable(t *testing.T) {
	// 120 pages of 4 KiB: the schema and some hundred rows.
	s := storagetest.SQLiteAt(t, filepath.Join(t.TempDir(), "tokend.db"), sqlite.WithWriterPragma("max_page_count(120)"))
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping before: %v", err)
	}
	// Fill every table a write here touches: revocations of tokens long
	// expired (rows a purge can free later), then meta rows until not even
	// a small one fits.
	past := time.Now().Add(-time.Hour)
	var err error
	var i int
	for ; err == nil; i++ {
		err = s.RevokeToken(ctx, &tokend.Revocation{TokenID: fmt.Sprintf("filler-%05d-%0200d", i, i), RevokedAt: past, ExpiresAt: past})
	}
	if !errors.Is(err, tokend.ErrUnavailable) {
		t.Fatalf("a write to a full database: %v, want ErrUnavailable", err)
	}
	for i, err = 0, nil; err == nil; i++ {
		err = s.PutMeta(ctx, fmt.Sprintf("filler-%05d", i), []byte("x"))
	}
	if !errors.Is(err, tokend.ErrUnavailable) {
		t.Fatalf("a small write to a full database: %v, want ErrUnavailable", err)
	}
	// In a transaction, too.
	err = s.InTx(ctx, func(q tokend.Queries) error { return q.PutMeta(ctx, "one-more", []byte("x")) })
	if !errors.Is(err, tokend.ErrUnavailable) {
		t.Errorf("a transaction on a full database: %v, want ErrUnavailable", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping reports ready while writes fail")
	}
	// Room again: purged rows free their pages.
	if n, err := s.PurgeRevocations(ctx, time.Now()); err != nil || n == 0 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("still not ready after freeing room: %v", s.Ping(ctx))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.PutMeta(ctx, "after", []byte("x")); err != nil {
		t.Errorf("a write after freeing room: %v", err)
	}
}
