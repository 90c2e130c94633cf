package postgres_test

import (
	"database/sql"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/conformance"
	"github.com/tokend-dev/tokend/storage/postgres"
	"github.com/tokend-dev/tokend/storage/sqlstore"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.AdminDB(t)
	conformance.Run(t, func(t *testing.T) tokend.Store { return storagetest.Postgres(t) })
}

func TestConformanceSharedDatabase(t *testing.T) {
	conformance.RunSharedDatabase(t, func(t *testing.T) (tokend.Store, tokend.Store) {
		dsn := storagetest.PostgresDSN(t)
		return storagetest.PostgresOn(t, dsn), storagetest.PostgresOn(t, dsn)
	})
}

// TestConcurrentMigrations: nodes starting at once against a fresh schema
// all open it, and each migration is applied exactly once.
func TestConcurrentMigrations(t *testing.T) {
	dsn := storagetest.PostgresDSN(t)
	const nodes = 4
	stores := make([]tokend.Store, nodes)
	errs := make([]error, nodes)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range nodes {
		wg.Go(func() {
			start.Wait()
			stores[i], errs[i] = postgres.Open(t.Context(), dsn, postgres.WithMaxConns(2))
		})
	}
	start.Done()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}

	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, distinct int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(entries) || distinct != len(entries) {
		t.Errorf("schema_migrations has %d rows (%d versions), want %d: one per migration", rows, distinct, len(entries))
	}

	// Every node works on the one schema.
	for i, s := range stores {
		if err := s.PutMeta(t.Context(), "node", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKeyCollation: key order is bytewise even if the database's default
// collation is linguistic, which would sort "a-b" and "a/b" by letters.
func TestKeyCollation(t *testing.T) {
	s := storagetest.Postgres(t)
	ctx := t.Context()
	keys := []string{"/s/rg/a/x", "/s/rg/a-b/x", "/s/rg/a0/x", "/s/rg/a.b/x", "/s/rg/ab/x"}
	for _, k := range keys {
		r := &tokend.Resource{Key: k, ID: k, Type: "t", Name: "x", UID: "u", ETag: "e", Body: []byte("{}")}
		if err := s.CreateResource(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListResources(ctx, tokend.ResourceQuery{Type: "t"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/s/rg/a-b/x", "/s/rg/a.b/x", "/s/rg/a/x", "/s/rg/a0/x", "/s/rg/ab/x"}
	for i, r := range list {
		if r.Key != want[i] {
			t.Fatalf("order %d: %s, want %s (bytewise)", i, r.Key, want[i])
		}
	}
}

func TestOpenBadDSN(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://user:hunter2@127.0.0.1:1/x?connect_timeout=1")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error reveals the password: %v", err)
	}
}

// TestUpgradeKeepsClients: clients created before migration 0300 read as
// applications without identifier URIs, and gain what it added.
func TestUpgradeKeepsClients(t *testing.T) {
	ctx := t.Context()
	dsn := storagetest.PostgresDSN(t)
	migrations, err := sqlstore.LoadMigrations(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	before := slices.DeleteFunc(slices.Clone(migrations), func(m sqlstore.Migration) bool { return m.Version >= 300 })
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := sqlstore.Migrate(ctx, db, before, "", nil); err != nil {
		t.Fatal(err)
	}
	id := conformance.OldClient(t, db)
	conformance.CheckOldClient(t, storagetest.PostgresOn(t, dsn), id)
}

// A server that may lose acknowledged commits is named at start; one that
// will not, is not.
func TestWarnsWhenCommitsMayBeLost(t *testing.T) {
	dsn := storagetest.PostgresDSN(t)
	relaxed := dsn + " synchronous_commit=off" // key=value form
	if strings.Contains(dsn, "://") {
		relaxed = dsn + "&synchronous_commit=off"
	}
	for _, c := range []struct {
		name, dsn string
		want      string
	}{
		{"durable", dsn, ""},
		{"synchronous_commit off", relaxed, "synchronous_commit=off"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var warnings []string
			s, err := postgres.Open(t.Context(), c.dsn, postgres.WithWarn(func(m string) { warnings = append(warnings, m) }))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := strings.Join(warnings, "\n")
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Errorf("warnings %q, want %q", got, c.want)
			}
		})
	}
}
