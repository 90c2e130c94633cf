package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationFile = regexp.MustCompile(`^(\d+)_([a-z0-9_]+)\.sql$`)

// LoadMigrations reads the migrations in dir of fsys, named
// NNNN_what_it_does.sql and numbered 1, 2, 3, ... without gaps, so a
// missing or doubled file is caught at startup rather than in production.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var list []Migration
	for _, e := range entries {
		m := migrationFile.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		version, _ := strconv.Atoi(m[1])
		text, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		list = append(list, Migration{Version: version, Name: m[2], SQL: string(text)})
	}
	slices.SortFunc(list, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range list {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected version %d", m.Version, m.Name, i+1)
		}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return list, nil
}

const (
	createSchemaMigrationsSQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    BIGINT PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`
	schemaVersionSQL     = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`
	appliedMigrationsSQL = `SELECT version FROM schema_migrations ORDER BY version`
	recordMigrationSQL   = `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`
)

// Migrate brings the schema in db up to the last of migrations and returns
// how many it applied. Everything happens in one transaction, so a failed
// migration leaves the schema as it was.
//
// lockSQL, when set, runs first in that transaction to serialize nodes that
// start at the same time (PostgreSQL's pg_advisory_xact_lock); the applied
// versions are read only after it, so a node that waited finds the work done
// by the one that held the lock. SQLite needs none: its migration
// transaction begins IMMEDIATE, which is already exclusive among writers.
func Migrate(ctx context.Context, db *sql.DB, migrations []Migration, lockSQL string) (int, error) {
	if len(migrations) == 0 {
		return 0, fmt.Errorf("migrate: no migrations")
	}
	latest := migrations[len(migrations)-1].Version

	// Fast path for the usual start: the schema is current, and checking
	// that takes no lock. Any error (no table yet) means "go and look".
	var current int
	if err := db.QueryRowContext(ctx, schemaVersionSQL).Scan(&current); err == nil && current == latest {
		return 0, nil
	}

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if lockSQL != "" {
		if _, err := tx.ExecContext(ctx, lockSQL); err != nil {
			return 0, fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, createSchemaMigrationsSQL); err != nil {
		return 0, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied, err := queryAll(ctx, tx, func(row scanner) (v int, err error) {
		err = row.Scan(&v)
		return v, err
	}, appliedMigrationsSQL)
	if err != nil {
		return 0, fmt.Errorf("migrate: read applied versions: %w", err)
	}
	if n := len(applied); n > 0 && applied[n-1] > latest {
		// Refuse rather than run an old binary against a schema it does
		// not know.
		return 0, fmt.Errorf("migrate: database schema version %d is newer than this build's %d", applied[n-1], latest)
	}

	count := 0
	for _, m := range migrations {
		if slices.Contains(applied, m.Version) {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return 0, fmt.Errorf("migrate: apply %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, recordMigrationSQL, m.Version, m.Name, time.Now().UnixMicro()); err != nil {
			return 0, fmt.Errorf("migrate: record %04d_%s: %w", m.Version, m.Name, err)
		}
		count++
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("migrate: commit: %w", err)
	}
	return count, nil
}
