package sqlstore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite" // registers "sqlite"
)

func migrationFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

func TestLoadMigrations(t *testing.T) {
	list, err := LoadMigrations(migrationFS(map[string]string{
		"0100_apim.sql": "x", "0001_init.sql": "y", "0002_more.sql": "z",
	}), "m")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, m := range list {
		got = append(got, m.Version)
	}
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 100 || list[2].Name != "apim" {
		t.Errorf("versions %v, want [1 2 100] in order", got)
	}
	for name, files := range map[string]map[string]string{
		"duplicate": {"0001_a.sql": "", "001_b.sql": ""},
		"bad name":  {"0001_init.sql": "", "init.sql": ""},
		"zero":      {"0000_init.sql": ""},
		"empty":     {},
	} {
		if _, err := LoadMigrations(migrationFS(files), "m"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func openSQLite(t *testing.T) *sql.DB {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrate(t *testing.T) {
	ctx := t.Context()
	db := openSQLite(t)
	v1 := []Migration{{1, "init", "CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);"}}
	if n, err := Migrate(ctx, db, v1, "", nil); err != nil || n != 1 {
		t.Fatalf("first Migrate = %d, %v; want 1 applied", n, err)
	}
	if n, err := Migrate(ctx, db, v1, "", nil); err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want 0 applied", n, err)
	}

	// A later build adds one in a reserved range and one below it.
	v2 := append(v1, Migration{2, "two", "CREATE TABLE c (z INTEGER)"}, Migration{100, "apim", "CREATE TABLE d (z INTEGER)"})
	if n, err := Migrate(ctx, db, []Migration{v1[0], v2[2]}, "", nil); err != nil || n != 1 {
		t.Fatalf("Migrate with 100 = %d, %v", n, err)
	}
	if n, err := Migrate(ctx, db, v2, "", nil); err != nil || n != 1 {
		t.Fatalf("Migrate with 2 after 100 = %d, %v; the gap must still be filled", n, err)
	}

	// An older build refuses the newer schema.
	if _, err := Migrate(ctx, db, v1, "", nil); err == nil || !strings.Contains(err.Error(), "unknown to this build") {
		t.Fatalf("old build on a new schema: %v", err)
	}

	// A failing migration changes nothing, its earlier statements included.
	bad := append(v2, Migration{101, "bad", "CREATE TABLE e (x INTEGER); THIS IS NOT SQL"})
	if _, err := Migrate(ctx, db, bad, "", nil); err == nil {
		t.Fatal("a broken migration applied")
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'e'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table from the failed migration: %d, %v", n, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != 3 {
		t.Fatalf("schema_migrations has %d rows, %v; want 3", n, err)
	}
}

func TestScopeRange(t *testing.T) {
	lo, hi := scopeRange("/subscriptions/s/resourcegroups/a")
	below := []string{"/subscriptions/s/resourcegroups/a/providers/x", "/subscriptions/s/resourcegroups/a/p"}
	outside := []string{
		"/subscriptions/s/resourcegroups/a", "/subscriptions/s/resourcegroups/ab/x",
		"/subscriptions/s/resourcegroups/a-b/x", "/subscriptions/s/resourcegroups/a.b/x",
		"/subscriptions/s/resourcegroups/a0/x", "/subscriptions/s/resourcegroups/a~/x",
	}
	for _, k := range below {
		if !(lo < k && k < hi) {
			t.Errorf("%s not in (%s, %s)", k, lo, hi)
		}
	}
	for _, k := range outside {
		if lo < k && k < hi {
			t.Errorf("%s in (%s, %s)", k, lo, hi)
		}
	}
	if lo, hi := scopeRange("/"); lo != "/" || hi != "0" {
		t.Errorf("root range (%s, %s)", lo, hi)
	}
}

// Progress names each pending migration before it runs, counting only the
// pending ones, then reports the end once they are committed; an
// up-to-date schema reports nothing.
func TestMigrateReportsProgress(t *testing.T) {
	ctx := t.Context()
	db := openSQLite(t)
	v1 := []Migration{{1, "init", "CREATE TABLE a (x INTEGER)"}}
	if _, err := Migrate(ctx, db, v1, "", nil); err != nil {
		t.Fatal(err)
	}
	v3 := append(v1, Migration{2, "two", "CREATE TABLE b (x INTEGER)"}, Migration{3, "three", "CREATE TABLE c (x INTEGER)"})
	var got []string
	record := func(step, total int, m Migration) { got = append(got, fmt.Sprintf("%d/%d %s", step, total, m.Name)) }
	if _, err := Migrate(ctx, db, v3, "", record); err != nil {
		t.Fatal(err)
	}
	want := []string{"1/2 two", "2/2 three", "3/2 "}
	if !slices.Equal(got, want) {
		t.Errorf("progress = %q, want %q", got, want)
	}
	got = nil
	if _, err := Migrate(ctx, db, v3, "", record); err != nil || len(got) != 0 {
		t.Errorf("up to date: progress %q, err %v; want none", got, err)
	}
}
