package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

// OpenMemory opens a fresh database held in memory only, for throwaway
// instances (`tokend serve --in-memory`, package tokendtest): nothing is
// written to disk and everything is gone once the store is closed.
//
// It uses SQLite's memdb VFS under a random name starting with "/", which
// shares the one database among this process's connections, so the store
// keeps its shape: one writer connection and a pool of readers. memdb
// keeps no WAL, so the journal is kept in memory (journal_mode=MEMORY: a
// journal file would go to the default VFS, on disk) and readers wait on
// the writer's commit through the busy timeout, as in rollback mode.
// Synchronous is off: there is no disk to sync to.
func OpenMemory(ctx context.Context, opts ...Option) (tokend.Store, error) {
	c := defaults()
	for _, o := range opts {
		o(&c)
	}
	var name [12]byte
	if _, err := rand.Read(name[:]); err != nil {
		return nil, fmt.Errorf("sqlite: name the in-memory database: %w", err)
	}
	path := "/tokend-" + hex.EncodeToString(name[:])
	busy := strconv.FormatInt(c.busyTimeout.Milliseconds(), 10)
	migrations, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	writer, err := openPool(ctx, path, 1, url.Values{
		"vfs": {"memdb"}, "_txlock": {"immediate"}, "_journal_mode": {"MEMORY"}, "_synchronous": {"OFF"},
		"_busy_timeout": {busy}, "_foreign_keys": {"1"},
	})
	if err != nil {
		return nil, err
	}
	if _, err := sqlstore.Migrate(ctx, writer, migrations, "", c.progress); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite in memory: %w", err)
	}
	reader, err := openPool(ctx, path, c.readConns, url.Values{
		"vfs": {"memdb"}, "_busy_timeout": {busy}, "_pragma": {"query_only(1)"},
	})
	if err != nil {
		writer.Close()
		return nil, err
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect: dialect, Read: reader, Write: writer, Observer: c.observer,
		// Batching still saves the journal work of one commit per write.
		GroupCommit: true,
	})
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, err
	}
	return s, nil
}

// openPool opens a pool of n connections to the in-memory database and
// checks that one works. Its connections are never closed for idleness:
// memdb frees the database when its last connection closes.
func openPool(ctx context.Context, path string, n int, params url.Values) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, params))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the in-memory database: %w", err)
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open the in-memory database: %w", err)
	}
	return db, nil
}
