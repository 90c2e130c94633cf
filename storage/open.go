// Package storage opens the storage engine a database URL names.
package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/postgres"
	"github.com/tokend-dev/tokend/storage/sqlite"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

// DefaultSQLiteFile is the database file in the data directory when no
// database URL is given.
const DefaultSQLiteFile = "tokend.db"

// Open opens the store databaseURL names:
//
//   - "" (the default): SQLite at <dataDir>/tokend.db;
//   - "sqlite:///abs/path.db" or "sqlite:relative/path.db": SQLite at that
//     path; "?synchronous=normal" trades durability against power loss
//     for speed (a commit then survives a crash of the process, not of
//     the machine; the default, full, survives both);
//   - "postgres://..." or "postgresql://...": PostgreSQL, the URL passed to
//     pgx as is (sslmode, search_path, ... included).
func Open(ctx context.Context, databaseURL, dataDir string, opts sqlstore.Options) (tokend.Store, error) {
	if databaseURL == "" {
		if dataDir == "" {
			return nil, errors.New("storage: neither a database URL nor a data directory given")
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("storage: create data directory: %w", err)
		}
		return sqlite.Open(ctx, filepath.Join(dataDir, DefaultSQLiteFile), sqlite.WithObserver(opts.Observer), sqlite.WithMigrationProgress(opts.MigrationProgress))
	}
	scheme, _, ok := strings.Cut(databaseURL, ":")
	if !ok {
		return nil, fmt.Errorf("storage: database URL has no scheme (want sqlite: or postgres://)")
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		path, sqliteOpts, err := parseSQLiteURL(databaseURL)
		if err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, path, append(sqliteOpts, sqlite.WithObserver(opts.Observer), sqlite.WithMigrationProgress(opts.MigrationProgress))...)
	case "postgres", "postgresql":
		return postgres.Open(ctx, databaseURL, postgres.WithObserver(opts.Observer), postgres.WithWarn(opts.Warn),
			postgres.WithMigrationProgress(opts.MigrationProgress))
	}
	// Only the scheme: the rest may hold a password.
	return nil, fmt.Errorf("storage: unsupported database URL scheme %q (want sqlite: or postgres://)", scheme)
}

// parseSQLiteURL reads sqlite:///abs/path or sqlite:relative/path, with
// optional settings in the query.
func parseSQLiteURL(raw string) (string, []sqlite.Option, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, fmt.Errorf("storage: sqlite URL: %w", err)
	}
	var path string
	switch {
	case u.Opaque != "": // sqlite:relative/path
		path, err = url.PathUnescape(u.Opaque)
		if err != nil {
			return "", nil, fmt.Errorf("storage: sqlite URL: %w", err)
		}
	case u.Host != "":
		// sqlite://data/x.db would silently mean /x.db on host "data".
		return "", nil, fmt.Errorf("storage: sqlite URL has a host %q: use sqlite:///absolute/path or sqlite:relative/path", u.Host)
	default: // sqlite:///abs/path
		path = u.Path
	}
	if path == "" {
		return "", nil, errors.New("storage: sqlite URL has no path")
	}
	var opts []sqlite.Option
	for key, values := range u.Query() {
		switch key {
		case "synchronous":
			sync, err := sqlite.ParseSynchronous(values[len(values)-1])
			if err != nil {
				return "", nil, fmt.Errorf("storage: %w", err)
			}
			opts = append(opts, sqlite.WithSynchronous(sync))
		default:
			return "", nil, fmt.Errorf("storage: sqlite URL: unknown setting %q (known: synchronous)", key)
		}
	}
	return path, opts, nil
}
