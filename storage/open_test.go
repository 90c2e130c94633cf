package storage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/storage/sqlstore"
)

func TestOpenDefaultIsSQLiteInDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(t.Context(), "", dir, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, DefaultSQLiteFile)); err != nil {
		t.Errorf("no database file in the data directory: %v", err)
	}
}

func TestOpenSQLiteURLs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct{ url, file string }{
		{"sqlite://" + filepath.Join(dir, "abs.db"), filepath.Join(dir, "abs.db")},
		{"sqlite:rel.db", filepath.Join(dir, "rel.db")},
		{"sqlite:///" + strings.TrimPrefix(filepath.Join(dir, "full.db"), "/") + "?synchronous=full", filepath.Join(dir, "full.db")},
		{"SQLITE:upper.db", filepath.Join(dir, "upper.db")},
	} {
		s, err := Open(t.Context(), tc.url, "", sqlstore.Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("%s: ping: %v", tc.url, err)
		}
		s.Close()
		if _, err := os.Stat(tc.file); err != nil {
			t.Errorf("%s: %v", tc.url, err)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	for _, raw := range []string{
		"mysql://user:secret@host/db",
		"no-scheme",
		"sqlite://host/x.db",
		"sqlite:x.db?synchronous=off",
		"sqlite:x.db?cache=shared",
		"sqlite:",
	} {
		_, err := Open(context.Background(), raw, t.TempDir(), sqlstore.Options{})
		if err == nil {
			t.Errorf("%s: accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error reveals the password: %v", raw, err)
		}
	}
	if _, err := Open(context.Background(), "", "", sqlstore.Options{}); err == nil {
		t.Error("no URL and no data directory: accepted")
	}
}

func TestOpenPostgresURL(t *testing.T) {
	// A closed port: Open must go to PostgreSQL and fail to connect,
	// proving the scheme was routed there.
	for _, scheme := range []string{"postgres", "postgresql"} {
		_, err := Open(t.Context(), scheme+"://u@127.0.0.1:1/db?connect_timeout=1", "", sqlstore.Options{})
		if err == nil || !strings.Contains(err.Error(), "postgres") {
			t.Errorf("%s: %v, want a postgres connection error", scheme, err)
		}
	}
}
