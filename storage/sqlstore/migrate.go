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
// NNNN_what_it_does.sql, in version order. Versions may leave gaps (a
// feature can reserve a range, e.g. 0100_apim.sql) but must be unique, so a
// doubled number is caught at startup rather than in production.
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
		if m.Version == 0 {
			return nil, fmt.Errorf("migration %04d_%s: versions start at 1", m.Version, m.Name)
		}
		if i > 0 && m.Version == list[i-1].Version {
			return nil, fmt.Errorf("migrations %04d_%s and %04d_%s share a version", m.Version, m.Name, m.Version, list[i-1].Name)
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
	appliedMigrationsSQL = `SELECT version FROM schema_migrations ORDER BY version`
	recordMigrationSQL   = `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`
)

// MigrationProgress is told, before each pending migration runs, which it
// is (step counts from 1 up to total, the number pending), and once more
// with step = total+1 and a zero Migration when they are all committed. A
// migration over a large table can take minutes; the CLI shows a progress
// bar with it. It is called on the migrating goroutine: it must not block.
type MigrationProgress func(step, total int, m Migration)

// Migrate brings the schema in db up to the last of migrations and returns
// how many it applied. Everything happens in one transaction, so a failed
// migration leaves the schema as it was.
//
// lockSQL, when set, runs first in that transaction to serialize nodes that
// start at the same time (PostgreSQL's pg_advisory_xact_lock); the applied
// versions are read only after it, so a node that waited finds the work done
// by the one that held the lock. SQLite needs none: its migration
// transaction begins IMMEDIATE, which is already exclusive among writers.
func Migrate(ctx context.Context, db *sql.DB, migrations []Migration, lockSQL string, progress MigrationProgress) (int, error) {
	if len(migrations) == 0 {
		return 0, fmt.Errorf("migrate: no migrations")
	}
	latest := migrations[len(migrations)-1].Version
	want := make([]int, len(migrations))
	for i, m := range migrations {
		want[i] = m.Version
	}

	// Fast path for the usual start: every migration is applied, and
	// checking that takes no lock. Any error (no table yet) means "go and
	// look under the lock".
	if applied, err := appliedVersions(ctx, db); err == nil && slices.Equal(applied, want) {
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
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("migrate: read applied versions: %w", err)
	}
	for _, v := range applied {
		if !slices.Contains(want, v) {
			// Refuse rather than run against a schema this build does not
			// know (a newer release's, or another branch's).
			return 0, fmt.Errorf("migrate: database has migration %d, unknown to this build (latest %d)", v, latest)
		}
	}

	var pending []Migration
	for _, m := range migrations {
		if !slices.Contains(applied, m.Version) {
			pending = append(pending, m)
		}
	}
	if progress == nil {
		progress = func(int, int, Migration) {}
	}
	count := 0
	for i, m := range pending {
		progress(i+1, len(pending), m)
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
	if count > 0 {
		progress(count+1, count, Migration{})
	}
	return count, nil
}

func appliedVersions(ctx context.Context, db querier) ([]int, error) {
	return queryAll(ctx, db, func(row scanner) (v int, err error) {
		err = row.Scan(&v)
		return v, err
	}, appliedMigrationsSQL)
}
