package odata

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The differential test runs random $filter/$orderby/$top/$skip queries
// through Parse, ToSQL and the keyset pages on each engine, and compares
// every answer with a reference evaluator (generate_test.go) run directly over the
// generator's own expression tree (so a parser bug cannot hide behind an
// evaluator that shares it). It is seeded: TOKEND_ODATA_SEED=n replays a
// run, TOKEND_ODATA_QUERIES=n changes the number of queries per engine.

// diffSchema is the Playwright schema with every string function allowed.
var diffSchema = &Schema{
	Fields: Fields{
		{Name: "id", Type: GUID, Filter: Comparisons, Sort: true},
		{Name: "name", Type: String, Filter: Comparisons | Substrings, Sort: true},
		{Name: "createdAt", Type: DateTime, Filter: Comparisons, Sort: true},
		{Name: "expiryAt", Type: DateTime, Filter: Comparisons, Sort: true},
		{Name: "state", Type: Enum, Values: []string{"Active", "Expired"}, Filter: Equality},
	},
	Key:      "id",
	TokenKey: []byte("differential"),
}

const (
	accountA = "acctA_00000000-0000-0000-0000-000000000000"
	accountB = "acctB_00000000-0000-0000-0000-000000000000"
)

var diffNow = time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.UTC)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// walk lists every page as a client following nextLink does, each later
// request parsed afresh (an hour later, which the token must override).
// between runs before each later page.
func walk(t *testing.T, e *engine, first url.Values, pageSize int, between func()) ([]string, []row, int) {
	t.Helper()
	values := first
	var ids []string
	var served []row
	for pages := 1; ; pages++ {
		q, err := diffSchema.Parse(values, diffNow.Add(time.Duration(pages-1)*time.Hour))
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		stmt, args, p := tokenListing(accountA, q, e.dialect, pageSize)
		got := e.query(t, stmt, args)
		n := p.Served(len(got))
		for _, x := range got[:n] {
			ids = append(ids, x.id)
			served = append(served, x)
		}
		last := func(string) any { return nil } // not called when nothing was served
		if n > 0 {
			last = got[n-1].field
		}
		tok := q.Next(p, len(got), last)
		if tok == "" {
			return ids, served, pages
		}
		if pages > 10_000 {
			t.Fatal("runaway paging")
		}
		values = url.Values{}
		for k, v := range first {
			values[k] = v
		}
		values.Set("$skipToken", tok)
		if between != nil {
			between()
		}
	}
}

func TestDifferential(t *testing.T) {
	seed := uint64(envInt("TOKEND_ODATA_SEED", 20260601))
	queries := envInt("TOKEND_ODATA_QUERIES", 400)
	if testing.Short() {
		queries = 100
	}
	for _, eo := range engineOpeners {
		t.Run(eo.name, func(t *testing.T) {
			t.Parallel()
			e := eo.open(t)
			r := rand.New(rand.NewPCG(seed, 1))
			rows := dataset(r, 160)
			e.insert(t, rows...)
			g := &generator{r: r, rows: rows}
			t.Logf("seed %d (TOKEND_ODATA_SEED), %d queries over %d rows", seed, queries, len(rows))
			var pages, matched int
			for i := range queries {
				var filter gen
				values := url.Values{"api-version": {"2024-12-01"}}
				if i%10 != 0 {
					filter = g.expr(1 + r.IntN(4))
					values.Set("$filter", filter.render(r))
				}
				orderText, keys := g.orderBy()
				if orderText != "" {
					values.Set("$orderby", orderText)
				}
				top, skip := -1, 0
				if r.IntN(3) == 0 {
					top = r.IntN(25)
					values.Set("$top", strconv.Itoa(top))
				}
				if r.IntN(3) == 0 {
					skip = r.IntN(20)
					values.Set("$skip", strconv.Itoa(skip))
				}
				want := reference(rows, filter, keys, top, skip)
				matched += len(want)
				fail := func(what string, got []string, extra string) {
					t.Helper()
					t.Fatalf("query %d (seed %d) %s:\n  %s\n  want %d ids %v\n   got %d ids %v\n%s",
						i, seed, what, values.Encode(), len(want), short(want), len(got), short(got), extra)
				}

				// One big page: the filter and order alone.
				all, _, _ := walk(t, e, values, 1000, nil)
				if !slices.Equal(all, want) {
					q, _ := diffSchema.Parse(values, diffNow)
					stmt, args, _ := tokenListing(accountA, q, e.dialect, 1000)
					fail("in one page", all, fmt.Sprintf("  sql %s\n  args %q\n  parsed %v", stmt, args, q.Filter))
				}
				// Small pages: the keyset position and the $top budget.
				size := 1 + r.IntN(5)
				paged, _, n := walk(t, e, values, size, nil)
				pages += n
				if !slices.Equal(paged, want) {
					fail(fmt.Sprintf("in pages of %d", size), paged, "")
				}
			}
			t.Logf("%d queries, %d pages, %d rows matched in all", queries, pages, matched)
		})
	}
}

// TestKeysetStableUnderWrites inserts and deletes rows between pages: every
// row present throughout is served exactly once, in order, whatever
// happens around the position.
func TestKeysetStableUnderWrites(t *testing.T) {
	seed := uint64(envInt("TOKEND_ODATA_SEED", 20260601))
	for _, eo := range engineOpeners {
		t.Run(eo.name, func(t *testing.T) {
			t.Parallel()
			e := eo.open(t)
			r := rand.New(rand.NewPCG(seed, 2))
			rows := dataset(r, 120)
			e.insert(t, rows...)
			g := &generator{r: r, rows: rows}
			live := map[string]bool{}
			for _, x := range rows {
				live[x.id] = true
			}
			for i := range 40 {
				values := url.Values{}
				var filter gen
				if i%2 == 0 {
					filter = g.expr(2)
					values.Set("$filter", filter.render(r))
				}
				orderText, keys := g.orderBy()
				values.Set("$orderby", orderText)
				before := reference(rows, filter, keys, -1, 0)
				var added []row
				deleted := map[string]bool{}
				between := func() {
					// A new row with a name and times like the others', so
					// it lands anywhere in the order, and the deletion of
					// a random row.
					x := dataset(r, 1)[0]
					x.account = accountA
					x.id = uuid.Must(uuid.NewRandomFromReader(rng{r})).String()
					x.name = g.some().name
					e.insert(t, x)
					added = append(added, x)
					victim := rows[r.IntN(len(rows))]
					if live[victim.id] && victim.account == accountA && r.IntN(2) == 0 {
						e.delete(t, victim.id)
						live[victim.id], deleted[victim.id] = false, true
					}
				}
				got, served, _ := walk(t, e, values, 1+r.IntN(4), between)
				// Served in order, no row twice.
				for j := 1; j < len(served); j++ {
					if compareRows(served[j-1], served[j], keys) >= 0 {
						t.Fatalf("query %d (seed %d) %s: rows %d and %d out of order", i, seed, values.Encode(), j-1, j)
					}
				}
				// Every row there from start to end, once.
				seen := map[string]int{}
				for _, id := range got {
					seen[id]++
				}
				for _, id := range before {
					if !deleted[id] && seen[id] != 1 {
						t.Fatalf("query %d (seed %d) %s: row %s served %d times", i, seed, values.Encode(), id, seen[id])
					}
				}
				// Clean up so later queries see the base rows again.
				for _, x := range added {
					e.delete(t, x.id)
				}
				for _, x := range rows {
					if deleted[x.id] {
						e.insert(t, x)
						live[x.id] = true
					}
				}
			}
		})
	}
}

func short(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id[:8])
	}
	return out
}
