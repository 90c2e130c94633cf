package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// DefaultPostgres is where the PostgreSQL runs go when neither --postgres
// nor TOKEND_TEST_POSTGRES says otherwise.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgSchema is a fresh schema for one run, dropped afterwards.
type pgSchema struct {
	db   *sql.DB
	name string
	// URL is the base URL confined to the schema (search_path).
	URL string
}

// pingPostgres reports whether the server at base answers.
func pingPostgres(ctx context.Context, base string) error {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// createSchema makes a schema named bench_<random> and returns a URL whose
// connections use it, so every run starts from empty tables and leaves
// nothing behind.
func createSchema(ctx context.Context, base string) (*pgSchema, error) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redactURL(base), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "bench_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("create schema on %s: %w", redactURL(base), err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return &pgSchema{db: db, name: name, URL: base + sep + "search_path=" + name}, nil
}

// drop removes the schema and everything in it.
func (s *pgSchema) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := s.db.ExecContext(ctx, "DROP SCHEMA "+s.name+" CASCADE")
	return errors.Join(err, s.db.Close())
}

// redactURL drops a password from a database URL for messages.
func redactURL(u string) string {
	at := strings.LastIndexByte(u, '@')
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	cred := u[scheme+3 : at]
	if user, _, ok := strings.Cut(cred, ":"); ok {
		return u[:scheme+3] + user + ":***" + u[at:]
	}
	return u
}

// analyze vacuums and refreshes the planner statistics of every table in the
// schema (the visibility map VACUUM sets is what lets a COUNT be an
// index-only scan without a heap fetch per row),
// as autovacuum would within a minute of a bulk load: without them the
// planner guesses row counts from nothing and may pick a plan no
// production database would run (at a million access tokens: a bitmap scan
// and sort taking 470 ms instead of an index walk taking 0.5 ms).
func (s *pgSchema) analyze(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1", s.name)
	if err != nil {
		return fmt.Errorf("list tables of %s: %w", s.name, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			_ = rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := s.db.ExecContext(ctx, "VACUUM (ANALYZE) "+s.name+"."+quoteIdent(t)); err != nil {
			return fmt.Errorf("analyze %s.%s: %w", s.name, t, err)
		}
	}
	return nil
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
