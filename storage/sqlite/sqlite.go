// Package sqlite is tokend's embedded storage engine: one SQLite database
// file, through the pure-Go modernc.org/sqlite driver (no cgo).
//
// The file is opened twice: a write pool of exactly one connection, which
// every write and transaction goes through, and a read-only pool of several
// connections. In WAL mode readers never wait for the writer, and a single
// writer connection means writers queue in Go instead of spinning on
// SQLITE_BUSY. Transactions begin IMMEDIATE (taking the write lock up front),
// so two processes sharing the file cannot deadlock upgrading a read lock.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/odata"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Synchronous is SQLite's synchronous setting for the WAL.
type Synchronous string

const (
	// SyncNormal syncs the WAL at checkpoints, not at every commit: a
	// committed transaction survives the process being killed (kill -9, a
	// crash), because it is in the WAL file the OS holds, but the last
	// transactions may be lost if the machine loses power or the kernel
	// crashes — and a lost revocation, client deletion, secret reset or
	// key revocation brings a credential back. Opt in for speed only
	// where that is acceptable (a throwaway CI instance).
	SyncNormal Synchronous = "NORMAL"
	// SyncFull (the default) syncs the WAL at every commit, so commits
	// also survive power loss, at the price of one fsync per write
	// transaction (docs/performance.md has what it costs).
	SyncFull Synchronous = "FULL"
)

// ParseSynchronous reads "normal" or "full" in any case.
func ParseSynchronous(s string) (Synchronous, error) {
	switch v := Synchronous(strings.ToUpper(s)); v {
	case SyncNormal, SyncFull:
		return v, nil
	}
	return "", fmt.Errorf("sqlite: synchronous must be NORMAL or FULL, not %q", s)
}

type config struct {
	observer    sqlstore.Observer
	synchronous Synchronous
	busyTimeout time.Duration
	readConns   int
	progress    sqlstore.MigrationProgress
	// writerPragmas are extra "name(value)" pragmas of the writer
	// connection; tests use them to fake a full disk.
	writerPragmas []string
}

// Option configures Open.
type Option func(*config)

// WithObserver reports every storage call's duration and error.
func WithObserver(o sqlstore.Observer) Option { return func(c *config) { c.observer = o } }

// WithMigrationProgress is told about each schema migration as it runs.
func WithMigrationProgress(p sqlstore.MigrationProgress) Option {
	return func(c *config) { c.progress = p }
}

// WithSynchronous sets the durability of commits; see SyncNormal, SyncFull.
func WithSynchronous(s Synchronous) Option { return func(c *config) { c.synchronous = s } }

// WithBusyTimeout sets how long a connection waits for a lock another
// process holds before failing with SQLITE_BUSY (default 5s).
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithReadConns sets the size of the read-only pool (default: twice
// GOMAXPROCS, at least 4).
func WithReadConns(n int) Option { return func(c *config) { c.readConns = n } }

var dialect = sqlstore.Dialect{
	Name:                  "sqlite",
	OData:                 odata.SQLite,
	IsUniqueViolation:     isUniqueViolation,
	IsForeignKeyViolation: isForeignKeyViolation,
	IsUnavailable:         isUnavailable,
	// No LockSQL: every transaction begins IMMEDIATE and so
	// already holds the database's only write lock.
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// isUnavailable reports the SQLite errors that say the database cannot be
// used now rather than that the request is wrong: a full disk, an I/O
// error, a file that cannot be opened or has become read-only, the lock
// still held by another process after the busy timeout, no memory.
func isUnavailable(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	switch coded.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY,
		sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL:
		return true
	}
	return false
}

func isForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// defaults is the configuration Open starts from.
func defaults() config {
	return config{
		synchronous: SyncFull,
		busyTimeout: 5 * time.Second,
		readConns:   max(4, 2*runtime.GOMAXPROCS(0)),
	}
}

// Open opens (creating if needed) the database file at path, brings its
// schema up to date and returns it as a tokend.Store.
func Open(ctx context.Context, path string, opts ...Option) (tokend.Store, error) {
	c := defaults()
	for _, o := range opts {
		o(&c)
	}
	if _, err := ParseSynchronous(string(c.synchronous)); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := createPrivate(abs); err != nil {
		return nil, err
	}

	migrations, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	writer, err := retryBusy(ctx, c.busyTimeout, func() (*sql.DB, error) {
		w, err := openWriter(ctx, abs, c)
		if err != nil {
			return nil, err
		}
		if _, err := sqlstore.Migrate(ctx, w, migrations, "", c.progress); err != nil {
			w.Close()
			return nil, fmt.Errorf("sqlite %s: %w", abs, err)
		}
		return w, nil
	})
	if isNotADatabase(err) {
		return nil, fmt.Errorf("sqlite: %s is not a SQLite database (corrupt, or another kind of file): restore it from a backup, or move it away to start with an empty one (no clients, keys or resources): %w", abs, err)
	}
	if err != nil {
		return nil, err
	}
	// Readers open only now: mode=ro cannot create the file or switch it
	// to WAL, so the writer must have done both.
	reader, err := openReader(ctx, abs, c)
	if err != nil {
		writer.Close()
		return nil, err
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect:  dialect,
		Read:     reader,
		Write:    writer,
		Observer: c.observer,
		// One writer connection: batching its transactions is what makes
		// a synced commit affordable (sqlstore/groupcommit.go).
		GroupCommit: true,
	})
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, err
	}
	return s, nil
}

// createPrivate creates a missing database file readable by its owner only:
// it holds sealed keys and secret hashes. SQLite gives the -wal and -shm
// files the same permissions as the database file.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}

// dsn is a file: URI, so that SQLite itself reads mode=ro, with the
// driver's own settings alongside. url.URL escapes '?' and '#' in the path.
func dsn(path string, params url.Values) string {
	return (&url.URL{Scheme: "file", Path: path, RawQuery: params.Encode()}).String()
}

// retryBusy opens (and migrates) the writer, retrying while another
// process opening the same fresh file holds the lock that switching it to
// WAL needs: SQLite answers that switch SQLITE_BUSY at once, without
// waiting out the busy timeout (TestConcurrentOpen saw it in 5 of 100
// runs).
func retryBusy(ctx context.Context, timeout time.Duration, open func() (*sql.DB, error)) (*sql.DB, error) {
	deadline := time.Now().Add(timeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		db, err := open()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return db, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// isNotADatabase reports SQLITE_NOTADB (and SQLITE_CORRUPT): the file is
// not a database SQLite can read.
func isNotADatabase(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	c := coded.Code() & 0xff
	return c == sqlite3.SQLITE_NOTADB || c == sqlite3.SQLITE_CORRUPT
}

// isBusy reports SQLITE_BUSY (and its extended codes).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == 5
}

func openWriter(ctx context.Context, path string, c config) (*sql.DB, error) {
	params := url.Values{
		"_txlock":       {"immediate"},
		"_journal_mode": {"WAL"},
		"_synchronous":  {string(c.synchronous)},
		"_busy_timeout": {strconv.FormatInt(c.busyTimeout.Milliseconds(), 10)},
		"_foreign_keys": {"1"},
	}
	for _, p := range c.writerPragmas {
		params.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", dsn(path, params))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One writer connection: SQLite allows one writer at a time anyway, and
	// queueing in database/sql is cheaper than busy-waiting on the lock.
	// It is never closed for idleness, which also keeps the WAL index
	// (-shm) alive for the read-only connections.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: journal mode is %q, not wal (is it on a network file system?)", path, mode)
	}
	return db, nil
}

func openReader(ctx context.Context, path string, c config) (*sql.DB, error) {
	params := url.Values{
		"mode":          {"ro"},
		"_busy_timeout": {strconv.FormatInt(c.busyTimeout.Milliseconds(), 10)},
	}
	db, err := sql.Open("sqlite", dsn(path, params))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	db.SetMaxOpenConns(c.readConns)
	db.SetMaxIdleConns(c.readConns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	return db, nil
}
