package apim_test

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

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/conformance"
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

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// openPostgres opens a store in a fresh schema of the test PostgreSQL
// (TOKEND_TEST_POSTGRES), dropped afterwards. Without a server it skips,
// unless TOKEND_REQUIRE_POSTGRES=1.
func openPostgres(t testing.TB) tokend.Store {
	t.Helper()
	dsn := os.Getenv("TOKEND_TEST_POSTGRES")
	if dsn == "" {
		dsn = defaultPostgres
	}
	pgAdmin.once.Do(func() {
		pgAdmin.db, pgAdmin.err = sql.Open("pgx", dsn)
		if pgAdmin.err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			pgAdmin.err = pgAdmin.db.PingContext(ctx)
		}
	})
	if pgAdmin.err != nil {
		if os.Getenv("TOKEND_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL at %s: %v", dsn, pgAdmin.err)
		}
		t.Skipf("PostgreSQL does not answer (%v); set TOKEND_REQUIRE_POSTGRES=1 to fail instead", pgAdmin.err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "tokend_apim_" + hex.EncodeToString(b)
	if _, err := pgAdmin.db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(context.Background(), u.String(), postgres.WithMaxConns(8))
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

// engines are the storage engines provider tests run on.
var engines = []struct {
	name string
	open func(testing.TB) tokend.Store
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

// The AuthorizationServerStore conformance suite, run here on both engines
// (the engines' own tests run conformance.Run, which does not include it).
func TestAuthorizationServerStore(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			conformance.RunAuthorizationServers(t, func(t *testing.T) tokend.Store { return eng.open(t) })
		})
	}
}
