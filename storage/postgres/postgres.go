// Package postgres is tokend's shared storage engine, for several nodes
// behind one PostgreSQL database. It goes through pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib), which caches each connection's prepared
// statements by itself, and one pool serves reads, writes and transactions.
//
// Named locks are transaction-scoped advisory locks, so a lock can never
// outlive the transaction that took it, even if the node dies.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/odata"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

type config struct {
	observer sqlstore.Observer
	warn     func(string)
	maxConns int
	progress sqlstore.MigrationProgress
}

// Option configures Open.
type Option func(*config)

// WithObserver reports every storage call's duration and error.
func WithObserver(o sqlstore.Observer) Option { return func(c *config) { c.observer = o } }

// WithWarn is told about server settings that put acknowledged writes at
// risk (fsync or synchronous_commit off).
func WithWarn(w func(string)) Option { return func(c *config) { c.warn = w } }

// WithMigrationProgress is told about each schema migration as it runs.
func WithMigrationProgress(p sqlstore.MigrationProgress) Option {
	return func(c *config) { c.progress = p }
}

// WithMaxConns caps the connection pool (default 16).
func WithMaxConns(n int) Option { return func(c *config) { c.maxConns = n } }

// lockSQL takes a named lock until the transaction ends. Names hash to the
// 64-bit advisory-lock key space; a collision only serializes two sections
// that did not need it.
const lockSQL = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`

// migrateLockSQL serializes nodes migrating the same schema. The key
// includes the schema so that databases split by search_path (tests, say)
// do not wait for each other.
const migrateLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('tokend.migrate:' || COALESCE(current_schema(), ''), 0))`

var dialect = sqlstore.Dialect{
	Name:                  "postgres",
	OData:                 odata.PostgreSQL,
	IsUniqueViolation:     isUniqueViolation,
	IsForeignKeyViolation: isForeignKeyViolation,
	IsUnavailable:         isUnavailable,
	LockSQL:               lockSQL,
	RelaxedCommit:         `SET LOCAL synchronous_commit TO OFF`,
	// QueryExecModeCacheDescribe runs the statement as the unnamed one,
	// which PostgreSQL plans for the values it is bound with every time,
	// and, knowing the result types from the cached description, asks for
	// binary results: QueryExecModeExec got text, in which a list page's
	// bodies arrived hex-encoded at twice their size (hex decoding alone
	// was 8% of an APIM list's CPU).
	PlanEachTime: func(args []any) []any { return append([]any{pgx.QueryExecModeCacheDescribe}, args...) },
}

// isUnavailable reports the errors that say the server cannot serve now:
// no connection (refused, reset, timed out, closed by the server), the
// server shutting down or starting (57P01–57P03), connection exceptions
// (class 08), insufficient resources such as a full disk (class 53).
func isUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		class := pgErr.Code[:2]
		return class == "08" || class == "53" || class == "57" && pgErr.Code != "57014" // 57014: a canceled query
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505" // unique_violation
}

func isForeignKeyViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23503" // foreign_key_violation
}

// Open connects to the database at dsn (a postgres:// URL or a key=value
// string), brings its schema up to date and returns it as a tokend.Store.
// Parameters pgx does not know, such as search_path, are sent to the
// server as run-time settings.
func Open(ctx context.Context, dsn string, opts ...Option) (tokend.Store, error) {
	c := config{maxConns: 16}
	for _, o := range opts {
		o(&c)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(c.maxConns)
	db.SetMaxIdleConns(c.maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// Recycle connections now and then, so a pool follows a failover or a
	// changed DNS name instead of holding the old server forever.
	db.SetConnMaxLifetime(time.Hour)

	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", describe(cfg), err)
	}
	if c.warn != nil {
		if err := checkDurability(ctx, db, c.warn); err != nil {
			db.Close()
			return nil, fmt.Errorf("postgres %s: %w", describe(cfg), err)
		}
	}
	migrations, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, err := sqlstore.Migrate(ctx, db, migrations, migrateLockSQL, c.progress); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres %s: %w", describe(cfg), err)
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect:  dialect,
		Read:     db,
		Write:    db,
		Observer: c.observer,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// checkDurability warns when the server may acknowledge a commit it then
// loses: tokend answers 2xx after a commit, so with fsync off (a crash of
// the server machine) or synchronous_commit off (a crash of PostgreSQL) a
// revocation, a deleted client or a revoked key can come back.
func checkDurability(ctx context.Context, db *sql.DB, warn func(string)) error {
	for _, setting := range []string{"fsync", "synchronous_commit"} {
		var v string
		if err := db.QueryRowContext(ctx, "SHOW "+setting).Scan(&v); err != nil {
			return fmt.Errorf("read setting %s: %w", setting, err)
		}
		if strings.EqualFold(v, "off") {
			warn(fmt.Sprintf("PostgreSQL runs with %s=off: writes tokend has acknowledged (revocations, deleted clients, revoked keys) can be lost in a crash and credentials come back; set %s=on for anything but a throwaway database", setting, setting))
		}
	}
	return nil
}

// describe names the database for error messages, without credentials.
func describe(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}
