package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// TestDefaultSurvivesPowerLoss: without options a commit is synced
// (synchronous=FULL), so a lost revocation cannot bring a credential back
// after a power cut.
func TestDefaultSurvivesPowerLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokend.db")
	if err := createPrivate(path); err != nil {
		t.Fatal(err)
	}
	w, err := openWriter(t.Context(), path, defaults())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := pragma(t, w, "synchronous"); got != "2" {
		t.Errorf("default writer PRAGMA synchronous = %s, want 2 (FULL)", got)
	}
}

// TestConnectionSettings checks that the DSN settings reach SQLite: a
// misspelled parameter would otherwise be silently ignored.
func TestConnectionSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokend.db")
	if err := createPrivate(path); err != nil {
		t.Fatal(err)
	}
	c := config{synchronous: SyncNormal, busyTimeout: 1234_000_000, readConns: 2}
	w, err := openWriter(t.Context(), path, c)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := openReader(t.Context(), path, c)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	for name, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "1", // NORMAL
		"foreign_keys": "1",
		"busy_timeout": "1234",
	} {
		if got := pragma(t, w, name); got != want {
			t.Errorf("writer PRAGMA %s = %s, want %s", name, got, want)
		}
	}
	if got := pragma(t, r, "busy_timeout"); got != "1234" {
		t.Errorf("reader busy_timeout = %s", got)
	}

	// The reader cannot write, whatever it tries.
	_, err = r.ExecContext(t.Context(), "CREATE TABLE x (y INTEGER)")
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "readonly") {
		t.Errorf("write on the read pool: %v, want a read-only error", err)
	}

	// Transactions on the writer begin IMMEDIATE: the write lock is held
	// from BEGIN, so a second connection cannot even start a write.
	tx, err := w.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	other, err := sql.Open("sqlite", dsn(path, map[string][]string{"_busy_timeout": {"0"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err == nil {
		t.Error("a second writer began while a transaction was open: BEGIN was not IMMEDIATE")
	}
}
