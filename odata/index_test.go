package odata

import (
	"context"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// TestIndexUse checks with EXPLAIN that both engines answer filtered,
// ordered and keyset-paged lists from the indexes of tokenTable, without
// sorting: startswith as an index range, and a later page as an index seek
// exactly past the position (the row value is an index condition, not a
// filter).
func TestIndexUse(t *testing.T) {
	for _, eo := range engineOpeners {
		t.Run(eo.name, func(t *testing.T) {
			t.Parallel()
			e := eo.open(t)
			r := rand.New(rand.NewPCG(7, 7))
			e.insert(t, dataset(r, 4000)...)
			e.exec(t, "ANALYZE")
			for _, c := range []struct {
				values url.Values
				index  string
				cond   []string // what the index condition must bound, per engine
			}{
				{url.Values{"$filter": {"startswith(name,'tok')"}, "$orderby": {"name"}}, "access_tokens_by_name",
					[]string{"name>? AND name<?", "(name >= 'tok'::text) AND (name < 'tol'::text)"}},
				{url.Values{"$orderby": {"name desc"}}, "access_tokens_by_name",
					[]string{"(name,id)<(?,?)", "ROW(name, id) < ROW('tok'::text, '8'::text)"}},
				{url.Values{"$orderby": {"createdAt"}, "$filter": {"state eq 'Active'"}}, "access_tokens_by_created",
					[]string{"(created_at,id)>(?,?)", "ROW(created_at, id) > ROW("}},
				{url.Values{}, "access_tokens_by_id", []string{"id>?", "(id > '8'::text)"}},
			} {
				q, err := diffSchema.Parse(c.values, diffNow)
				if err != nil {
					t.Fatal(err)
				}
				// The second page: a position in the middle.
				var x row
				x.name, x.id, x.created, x.expiry = "tok", "8", diffNow.UnixMicro(), diffNow.UnixMicro()
				q.After = make([]any, len(q.OrderBy))
				for i, it := range q.OrderBy {
					q.After[i] = mustNormalize(it, x.field(it.Field))
				}
				stmt, args, _ := tokenListing(accountA, q, e.dialect, 10)
				plan := e.explain(t, stmt, args)
				want := c.cond[0]
				if e.dialect == PostgreSQL {
					want = c.cond[1]
				}
				if !strings.Contains(plan, c.index) || !strings.Contains(plan, want) ||
					strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
					t.Errorf("%v: plan does not use %s for %s, or sorts:\n%s\n%s", c.values, c.index, want, stmt, plan)
				}
				t.Logf("%v:\n%s", c.values, plan)
			}
		})
	}
}

func (e *engine) explain(t *testing.T, stmt string, args []any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := e.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prefix := "EXPLAIN QUERY PLAN "
	if e.dialect == PostgreSQL {
		prefix = "EXPLAIN "
		// With a few thousand rows a sequential scan can look as cheap;
		// forbid it so the plan shows what the conditions allow.
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "RESET enable_seqscan")
	}
	rows, err := conn.QueryContext(ctx, prefix+stmt, args...)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		line := vals[len(vals)-1]
		switch v := line.(type) {
		case []byte:
			b.Write(v)
		case string:
			b.WriteString(v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
