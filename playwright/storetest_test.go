package playwright_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for creating test schemas

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/postgres"
	"github.com/tokend-dev/tokend/storage/sqlite"
)

// openSQLite opens a fresh SQLite store in a temporary directory.
func openSQLite(t testing.TB) tokend.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tokend.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func postgresBase() string {
	if dsn := os.Getenv("TOKEND_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultPostgres
}

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// postgresAdmin is a connection for creating and dropping test schemas; the
// test skips without a server unless TOKEND_REQUIRE_POSTGRES=1.
func postgresAdmin(t testing.TB) *sql.DB {
	t.Helper()
	pgAdmin.once.Do(func() {
		pgAdmin.db, pgAdmin.err = sql.Open("pgx", postgresBase())
		if pgAdmin.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		pgAdmin.err = pgAdmin.db.PingContext(ctx)
	})
	if pgAdmin.err != nil {
		if os.Getenv("TOKEND_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL does not answer: %v", pgAdmin.err)
		}
		t.Skipf("PostgreSQL at TOKEND_TEST_POSTGRES does not answer: %v", pgAdmin.err)
	}
	return pgAdmin.db
}

// postgresDSN points search_path at schema.
func postgresDSN(t testing.TB, schema string) string {
	u, err := url.Parse(postgresBase())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens a store in a fresh schema, dropped when t ends.
func openPostgres(t testing.TB) tokend.Store {
	t.Helper()
	db := postgresAdmin(t)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "playwright_test_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	s, err := postgres.Open(context.Background(), postgresDSN(t, schema), postgres.WithMaxConns(4))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// engines are the storage engines every store-level test runs on.
var engines = []struct {
	name string
	open func(testing.TB) tokend.Store
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}
