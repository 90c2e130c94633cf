package sqlstore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestStmtCache: a statement is prepared once and shared; once the cache is
// full it prepares nothing more, and statements it does not hold still run
// (unprepared), also when calls race.
func TestStmtCache(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := newStmtCache(db)
	defer c.close()
	q := &queries{read: db, stmts: c}

	a, err := c.stmt(t.Context(), "SELECT 1")
	if err != nil || a == nil {
		t.Fatalf("first prepare: %v, %v", a, err)
	}
	if b, _ := c.stmt(t.Context(), "SELECT 1"); b != a {
		t.Error("the same text was prepared twice")
	}
	for i := range maxCachedStatements {
		if _, err := c.stmt(t.Context(), fmt.Sprintf("SELECT %d", i+2)); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := c.stmt(t.Context(), "SELECT 'one too many'"); st != nil || err != nil {
		t.Errorf("a full cache prepared more: %v, %v", st, err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				query := fmt.Sprintf("SELECT %d + 0 * ?", (i*50+j)%(maxCachedStatements+50)) // shapes the full cache does not hold
				var n int
				if err := (listReader{q}).scanOne(t.Context(), query, []any{j}, &n); err != nil {
					t.Errorf("%s: %v", query, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
