// Package storagetest opens fresh, isolated stores for tests on both engines:
// SQLite in a temporary directory, PostgreSQL in a schema of its own that is
// dropped when the test ends, so runs never interfere.
//
// PostgreSQL is reached through TOKEND_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). When it does not
// answer, tests skip with a message, unless TOKEND_REQUIRE_POSTGRES=1 (CI),
// where a silent skip would hide a whole engine.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for the admin connection

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/postgres"
	"github.com/tokend-dev/tokend/storage/sqlite"
)

// DefaultPostgres is used when TOKEND_TEST_POSTGRES is not set.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresBase is the configured server's DSN (no schema of its own).
func PostgresBase() string {
	if dsn := os.Getenv("TOKEND_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return DefaultPostgres
}

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// AdminDB is a shared connection for creating and dropping test schemas; it
// skips (or fails, under TOKEND_REQUIRE_POSTGRES=1) when PostgreSQL is absent.
func AdminDB(t testing.TB) *sql.DB {
	t.Helper()
	admin.once.Do(func() {
		admin.db, admin.err = sql.Open("pgx", PostgresBase())
		if admin.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		admin.err = admin.db.PingContext(ctx)
	})
	if admin.err != nil {
		msg := "PostgreSQL at TOKEND_TEST_POSTGRES (default " + DefaultPostgres + ") does not answer: " + admin.err.Error()
		if os.Getenv("TOKEND_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (set TOKEND_REQUIRE_POSTGRES=1 to fail instead)")
	}
	return admin.db
}

// PostgresDSN creates an empty schema, dropped when t ends, and returns a
// DSN whose search_path points at it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	db := AdminDB(t)
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
	return WithSearchPath(t, PostgresBase(), schema)
}

// WithSearchPath points a DSN (URL or key=value form) at schema.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
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

// Postgres opens a store on a fresh schema.
func Postgres(t testing.TB, opts ...postgres.Option) tokend.Store {
	t.Helper()
	return PostgresOn(t, PostgresDSN(t), opts...)
}

// PostgresOn opens a store on the database at dsn, closed when t ends: with
// PostgresDSN, one node of several sharing a schema.
func PostgresOn(t testing.TB, dsn string, opts ...postgres.Option) tokend.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, append([]postgres.Option{postgres.WithMaxConns(8)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after PostgresDSN's cleanup, so it runs first: the pool
	// closes before its schema is dropped.
	t.Cleanup(func() { closeStore(t, s) })
	return s
}

// SQLite opens a store in a fresh temporary directory.
func SQLite(t testing.TB, opts ...sqlite.Option) tokend.Store {
	t.Helper()
	return SQLiteAt(t, filepath.Join(t.TempDir(), "tokend.db"), opts...)
}

// SQLiteAt opens a store on the database file at path, closed when t ends:
// opened twice, two processes sharing one file.
func SQLiteAt(t testing.TB, path string, opts ...sqlite.Option) tokend.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore(t, s) })
	return s
}

func closeStore(t testing.TB, s tokend.Store) {
	if err := s.Close(); err != nil {
		t.Errorf("close store: %v", err)
	}
}

// Engine names a way to open a fresh store.
type Engine struct {
	Name string
	Open func(t testing.TB) tokend.Store
}

// Engines are both engines, for tests that must hold on each.
func Engines() []Engine {
	return []Engine{
		{Name: "sqlite", Open: func(t testing.TB) tokend.Store { return SQLite(t) }},
		{Name: "postgres", Open: func(t testing.TB) tokend.Store { return Postgres(t) }},
	}
}
