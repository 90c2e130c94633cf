package odata

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

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// engine is a database with an access-token-shaped table, as the
// Playwright provider will create it.
type engine struct {
	name    string
	dialect Dialect
	db      *sql.DB
}

// tokenTable is the table the differential tests and benchmarks query:
// text compared byte-wise, times as unix microseconds, and an index per
// sortable field ending in the unique id, behind the account.
func tokenTable(d Dialect) []string {
	text, bigint, strict := "TEXT", "BIGINT", ""
	if d == PostgreSQL {
		text = `TEXT COLLATE "C"`
	} else {
		bigint, strict = "INTEGER", " STRICT"
	}
	return []string{
		`CREATE TABLE access_tokens (
			id         ` + text + ` NOT NULL PRIMARY KEY,
			account_id ` + text + ` NOT NULL,
			name       ` + text + ` NOT NULL,
			created_at ` + bigint + ` NOT NULL,
			expiry_at  ` + bigint + ` NOT NULL
		)` + strict,
		`CREATE INDEX access_tokens_by_id ON access_tokens (account_id, id)`,
		`CREATE INDEX access_tokens_by_name ON access_tokens (account_id, name, id)`,
		`CREATE INDEX access_tokens_by_created ON access_tokens (account_id, created_at, id)`,
		`CREATE INDEX access_tokens_by_expiry ON access_tokens (account_id, expiry_at, id)`,
	}
}

func (e *engine) exec(tb testing.TB, stmts ...string) {
	tb.Helper()
	for _, s := range stmts {
		if _, err := e.db.ExecContext(context.Background(), s); err != nil {
			tb.Fatalf("%s: %s: %v", e.name, s, err)
		}
	}
}

func openSQLite(tb testing.TB) *engine {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(tb.TempDir(), "odata.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	e := &engine{name: "sqlite", dialect: SQLite, db: db}
	e.exec(tb, tokenTable(SQLite)...)
	return e
}

// These helpers mirror storage/storagetest, which this package cannot use:
// the storage engines import odata, so importing them here would be a cycle,
// and odata stays a library with no tokend imports.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func postgresDSN() string {
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

// openPostgres makes a fresh schema, dropped when tb ends, and connects
// with search_path set to it. Without a server it skips, unless
// TOKEND_REQUIRE_POSTGRES=1.
func openPostgres(tb testing.TB) *engine {
	tb.Helper()
	pgAdmin.once.Do(func() {
		pgAdmin.db, pgAdmin.err = sql.Open("pgx", postgresDSN())
		if pgAdmin.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		pgAdmin.err = pgAdmin.db.PingContext(ctx)
	})
	if pgAdmin.err != nil {
		msg := "PostgreSQL at TOKEND_TEST_POSTGRES (default " + defaultPostgres + ") does not answer: " + pgAdmin.err.Error()
		if os.Getenv("TOKEND_REQUIRE_POSTGRES") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg + " (set TOKEND_REQUIRE_POSTGRES=1 to fail instead)")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "odata_test_" + hex.EncodeToString(b)
	if _, err := pgAdmin.db.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := pgAdmin.db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	db, err := sql.Open("pgx", withSearchPath(tb, postgresDSN(), schema))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	// Registered after the schema's cleanup, so it runs first.
	tb.Cleanup(func() { db.Close() })
	e := &engine{name: "postgres", dialect: PostgreSQL, db: db}
	e.exec(tb, tokenTable(PostgreSQL)...)
	return e
}

func withSearchPath(tb testing.TB, dsn, schema string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("synchronous_commit", "off") // test data need not survive a crash
	u.RawQuery = q.Encode()
	return u.String()
}

// engines opens both engines; the PostgreSQL one is nil when skipped.
var engineOpeners = []struct {
	name string
	open func(testing.TB) *engine
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

// row is one access token.
type row struct {
	id, account, name string
	created, expiry   int64
}

func (e *engine) insert(tb testing.TB, rows ...row) {
	tb.Helper()
	tx, err := e.db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	for _, r := range rows {
		if _, err := tx.Exec(`INSERT INTO access_tokens (id, account_id, name, created_at, expiry_at) VALUES ($1, $2, $3, $4, $5)`,
			r.id, r.account, r.name, r.created, r.expiry); err != nil {
			tb.Fatalf("%s: insert %+v: %v", e.name, r, err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

func (e *engine) delete(tb testing.TB, id string) {
	tb.Helper()
	if _, err := e.db.Exec(`DELETE FROM access_tokens WHERE id = $1`, id); err != nil {
		tb.Fatalf("%s: delete %s: %v", e.name, id, err)
	}
}

// tokenListing is the Playwright list statement, built the way the
// provider will build it.
func tokenListing(account string, q *Query, d Dialect, pageSize int) (string, []any, Page) {
	var args Args
	acct := args.Add(account)
	p := q.Page(Mapping{
		Dialect: d,
		Columns: map[string]string{"id": "id", "name": "name", "createdAt": "created_at", "expiryAt": "expiry_at"},
		Computed: map[string]Computed{
			"state": TimeState("expiry_at", q.Now, "Active", "Expired"),
		},
	}, &args, pageSize)
	stmt := "SELECT id, name, created_at, expiry_at FROM access_tokens WHERE account_id = " + acct +
		" AND " + p.Where + " " + p.Suffix()
	return stmt, args.Values(), p
}

func (e *engine) query(tb testing.TB, stmt string, args []any) []row {
	tb.Helper()
	rs, err := e.db.Query(stmt, args...)
	if err != nil {
		tb.Fatalf("%s: %s %v: %v", e.name, stmt, args, err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.id, &r.name, &r.created, &r.expiry); err != nil {
			tb.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		tb.Fatalf("%s: %s: %v", e.name, stmt, err)
	}
	return out
}

// field is a row's value of a field, as the provider's Next callback
// returns it.
func (r row) field(name string) any {
	switch name {
	case "id":
		return r.id
	case "name":
		return r.name
	case "createdAt":
		return time.UnixMicro(r.created)
	case "expiryAt":
		return r.expiry
	}
	panic("no field " + name)
}
