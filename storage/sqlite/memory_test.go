package sqlite_test

import (
	"context"
	"os"
	"testing"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/conformance"
	"github.com/tokend-dev/tokend/storage/sqlite"
)

func openMemory(t *testing.T) tokend.Store {
	t.Helper()
	s, err := sqlite.OpenMemory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The in-memory database behaves as the file does.
func TestConformanceInMemory(t *testing.T) {
	conformance.Run(t, openMemory)
}

// Two in-memory stores are two databases, and nothing reaches the disk:
// memdb keeps the database, journal_mode=MEMORY the journal.
func TestInMemoryIsPrivateAndDiskless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := openMemory(t), openMemory(t)
	if err := a.CreateMeta(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetMeta(ctx, "k"); err == nil {
		t.Fatal("the second in-memory store sees the first one's row")
	}
	if got, err := a.GetMeta(ctx, "k"); err != nil || string(got) != "a" {
		t.Fatalf("read back %q, %v", got, err)
	}
	entries, err := os.ReadDir("/")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if len(e.Name()) > 7 && e.Name()[:7] == "tokend-" {
			t.Errorf("a file /%s appeared", e.Name())
		}
	}
}

func BenchmarkOpenMemory(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		s, err := sqlite.OpenMemory(ctx)
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Close()
	}
}
