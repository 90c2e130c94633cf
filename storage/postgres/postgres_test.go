package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/conformance"
	"github.com/tokend-dev/tokend/storage/postgres"
)

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func baseDSN() string {
	if dsn := os.Getenv("TOKEND_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultDSN
}

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// adminDB is a connection for creating and dropping test schemas. Without a
// server the tests skip, unless TOKEND_REQUIRE_POSTGRES=1 (as in CI), where
// a silent skip would hide the whole engine.
func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	admin.once.Do(func() {
		admin.db, admin.err = sql.Open("pgx", baseDSN())
		if admin.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		admin.err = admin.db.PingContext(ctx)
	})
	if admin.err != nil {
		msg := "PostgreSQL at TOKEND_TEST_POSTGRES (default " + defaultDSN + ") does not answer: " + admin.err.Error()
		if os.Getenv("TOKEND_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (set TOKEND_REQUIRE_POSTGRES=1 to fail instead)")
	}
	return admin.db
}

// freshSchema creates an empty schema, dropped when t ends, and returns a
// DSN whose search_path points at it.
func freshSchema(t testing.TB) string {
	t.Helper()
	db := adminDB(t)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "tokend_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, baseDSN(), schema)
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema // key=value form
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openFresh(t testing.TB, opts ...postgres.Option) tokend.Store {
	t.Helper()
	dsn := freshSchema(t)
	s, err := postgres.Open(context.Background(), dsn, append([]postgres.Option{postgres.WithMaxConns(8)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after freshSchema's cleanup, so it runs first: the pool
	// closes before its schema is dropped.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	adminDB(t)
	conformance.Run(t, func(t *testing.T) tokend.Store { return openFresh(t) })
}

// TestConcurrentMigrations: nodes starting at once against a fresh schema
// all open it, and each migration is applied exactly once.
func TestConcurrentMigrations(t *testing.T) {
	dsn := freshSchema(t)
	const nodes = 4
	stores := make([]tokend.Store, nodes)
	errs := make([]error, nodes)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range nodes {
		wg.Go(func() {
			start.Wait()
			stores[i], errs[i] = postgres.Open(t.Context(), dsn, postgres.WithMaxConns(2))
		})
	}
	start.Done()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}

	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, distinct int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(entries) || distinct != len(entries) {
		t.Errorf("schema_migrations has %d rows (%d versions), want %d: one per migration", rows, distinct, len(entries))
	}

	// Every node works on the one schema.
	for i, s := range stores {
		if err := s.PutMeta(t.Context(), "node", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKeyCollation: key order is bytewise even if the database's default
// collation is linguistic, which would sort "a-b" and "a/b" by letters.
func TestKeyCollation(t *testing.T) {
	s := openFresh(t)
	ctx := t.Context()
	keys := []string{"/s/rg/a/x", "/s/rg/a-b/x", "/s/rg/a0/x", "/s/rg/a.b/x", "/s/rg/ab/x"}
	for _, k := range keys {
		r := &tokend.Resource{Key: k, ID: k, Type: "t", Name: "x", UID: "u", ETag: "e", Body: []byte("{}")}
		if err := s.CreateResource(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListResources(ctx, tokend.ResourceQuery{Type: "t"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/s/rg/a-b/x", "/s/rg/a.b/x", "/s/rg/a/x", "/s/rg/a0/x", "/s/rg/ab/x"}
	for i, r := range list {
		if r.Key != want[i] {
			t.Fatalf("order %d: %s, want %s (bytewise)", i, r.Key, want[i])
		}
	}
}

func TestOpenBadDSN(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://user:hunter2@127.0.0.1:1/x?connect_timeout=1")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error reveals the password: %v", err)
	}
}
