package sqlite_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/conformance"
	"github.com/tokend-dev/tokend/storage/sqlite"
	"github.com/tokend-dev/tokend/storage/sqlstore"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) tokend.Store { return storagetest.SQLite(t) })
}

func TestConformanceSharedDatabase(t *testing.T) {
	conformance.RunSharedDatabase(t, func(t *testing.T) (tokend.Store, tokend.Store) {
		path := filepath.Join(t.TempDir(), "tokend.db")
		return storagetest.SQLiteAt(t, path), storagetest.SQLiteAt(t, path)
	})
}

// The default is FULL; NORMAL, the opt-in for speed, behaves the same.
func TestConformanceSynchronousNormal(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	conformance.Run(t, func(t *testing.T) tokend.Store {
		return storagetest.SQLite(t, sqlite.WithSynchronous(sqlite.SyncNormal))
	})
}

// TestReopen: data and the schema version survive Close, and Open on an
// up-to-date file applies nothing.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sub dir?#", "tokend.db") // URI-special characters
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutMeta(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("database file mode %o, want 600", perm)
	}

	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.GetMeta(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("after reopen GetMeta = %q, %v", v, err)
	}
}

// TestConcurrentOpen: processes (here, stores) opening one new file at once
// all succeed; the migration runs once under BEGIN IMMEDIATE.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokend.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	stores := make([]tokend.Store, 4)
	for i := range 4 {
		wg.Go(func() { stores[i], errs[i] = sqlite.Open(t.Context(), path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	// Each store writes and sees the others' writes.
	for i, s := range stores {
		if err := s.CreateMeta(t.Context(), "from", []byte{byte(i)}); err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
			t.Fatal(err)
		}
	}
	for _, s := range stores {
		if _, err := s.GetMeta(t.Context(), "from"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestObserver(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]error{}
	s := storagetest.SQLite(t, sqlite.WithObserver(func(op string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		seen[op] = err
	}))
	ctx := t.Context()
	_, _ = s.GetResource(ctx, "/missing")
	_ = s.InTx(ctx, func(q tokend.Queries) error { return q.PutMeta(ctx, "k", nil) })
	mu.Lock()
	defer mu.Unlock()
	if err := seen["GetResource"]; !errors.Is(err, tokend.ErrNotFound) {
		t.Errorf("observed GetResource error %v, want ErrNotFound", err)
	}
	for _, op := range []string{"InTx", "PutMeta"} {
		if err, ok := seen[op]; !ok || err != nil {
			t.Errorf("observed %s: %v, %v", op, ok, err)
		}
	}
}

func TestParseSynchronous(t *testing.T) {
	for in, want := range map[string]sqlite.Synchronous{"normal": sqlite.SyncNormal, "FULL": sqlite.SyncFull} {
		if got, err := sqlite.ParseSynchronous(in); err != nil || got != want {
			t.Errorf("ParseSynchronous(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := sqlite.ParseSynchronous("off"); err == nil {
		t.Error("ParseSynchronous(off) accepted a setting that loses committed data")
	}
}

// TestTwoStoresOneFile: two stores on one file (two processes, in effect)
// running read-modify-write transactions at once. With deferred
// transactions both would take a read lock, then neither could upgrade and
// one would fail with SQLITE_BUSY; BEGIN IMMEDIATE makes them queue.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tokend.db")
	var stores []tokend.Store
	for range 2 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	if err := stores[0].PutMeta(ctx, "n", []byte{0}); err != nil {
		t.Fatal(err)
	}
	const each = 50
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			for range each {
				err := s.InTx(ctx, func(q tokend.Queries) error {
					v, err := q.GetMeta(ctx, "n")
					if err != nil {
						return err
					}
					return q.PutMeta(ctx, "n", []byte{v[0] + 1})
				})
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	v, err := stores[1].GetMeta(ctx, "n")
	if err != nil || v[0] != 2*each {
		t.Fatalf("counter = %v, %v; want %d", v, err, 2*each)
	}
}

// TestUpgradeKeepsClients: clients created before migration 0300 read as
// applications without identifier URIs, and gain what it added.
func TestUpgradeKeepsClients(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tokend.db")
	migrations, err := sqlstore.LoadMigrations(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	before := slices.DeleteFunc(slices.Clone(migrations), func(m sqlstore.Migration) bool { return m.Version >= 300 })
	db, err := sql.Open("sqlite", path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlstore.Migrate(ctx, db, before, "", nil); err != nil {
		t.Fatal(err)
	}
	id := conformance.OldClient(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conformance.CheckOldClient(t, s, id)
}
