package conformance

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/odata"
)

// authServerFilterFields are ListByService's $filter fields (as the apim
// package declares them).
var authServerFilterFields = odata.Fields{
	{Name: string(tokend.AuthorizationServerName), Type: odata.String, Filter: odata.Comparisons | odata.Substrings},
	{Name: string(tokend.AuthorizationServerDisplayName), Type: odata.String, Filter: odata.Comparisons | odata.Substrings},
}

// countCase is one count the collection must report after a write.
type countCase struct {
	filter string // OData $filter, "" for all
	want   int64
}

// checkCounts asks s for each count of service twice: a store may answer
// the second from what it remembered of the first, and both must be right.
func checkCounts(t *testing.T, s tokend.Queries, service, step string, cases ...countCase) {
	t.Helper()
	for _, c := range cases {
		q := tokend.AuthorizationServerQuery{ServiceKey: strings.ToLower(service)}
		if c.filter != "" {
			expr, err := odata.ParseFilter(c.filter, authServerFilterFields)
			if err != nil {
				t.Fatalf("parse %q: %v", c.filter, err)
			}
			q.Filter = expr
		}
		// An empty page, a page, and a page again: the count must not
		// depend on what the page read.
		for _, limit := range []int{1, 1, 0} {
			q.Limit, q.After = limit, ""
			if limit == 0 {
				q.After = "\U0010FFFF" // past every name
			}
			if n := listAuthServers(t, s, q).Count; n != c.want {
				t.Fatalf("%s: count of %q (limit %d, after %q) = %d, want %d", step, c.filter, q.Limit, q.After, n, c.want)
			}
		}
	}
}

// testAuthServerCountFollowsWrites: the collection's count is right after
// every kind of write, including when asked again (a store may remember
// counts, but never past a write that changes them).
func testAuthServerCountFollowsWrites(t *testing.T, s tokend.Store) {
	countFollowsWrites(t, s, s)
}

// countFollowsWrites writes through w and counts through r, which may be
// the same store or two nodes on one database.
func countFollowsWrites(t *testing.T, w, r tokend.Store) {
	ctx := t.Context()
	svc := serviceID("s1", "rg", "apim")
	teamA := "startswith(displayName,'Team A')"
	servers := map[string]*tokend.AuthorizationServer{}
	create := func(name, display string) {
		a := newAuthServer(svc, name)
		a.DisplayName = display
		must(t, w.CreateAuthorizationServer(ctx, a))
		servers[name] = a
	}
	checkCounts(t, r, svc, "empty", countCase{"", 0}, countCase{teamA, 0})
	create("a1", "Team A one")
	create("a2", "Team A two")
	create("b1", "Team B one")
	checkCounts(t, r, svc, "created", countCase{"", 3}, countCase{teamA, 2}, countCase{"name eq 'b1'", 1})

	create("a3", "Team A three")
	checkCounts(t, r, svc, "one more", countCase{"", 4}, countCase{teamA, 3})

	b1 := *servers["b1"]
	b1.DisplayName, b1.ETag = "Team A now", "moved"
	must(t, w.UpdateAuthorizationServer(ctx, &b1, ""))
	checkCounts(t, r, svc, "display name changed", countCase{"", 4}, countCase{teamA, 4})

	b1.Body, b1.ETag = []byte(`{"properties":{"displayName":"Team A now","clientId":"x"}}`), "body only"
	must(t, w.UpdateAuthorizationServer(ctx, &b1, "moved"))
	checkCounts(t, r, svc, "body changed", countCase{"", 4}, countCase{teamA, 4})

	must(t, w.DeleteAuthorizationServer(ctx, servers["a1"].Key, ""))
	checkCounts(t, r, svc, "deleted", countCase{"", 3}, countCase{teamA, 3})

	// A transaction counts its own writes; a rolled-back one changes
	// nothing outside.
	errRollback := errors.New("roll back")
	err := w.InTx(ctx, func(q tokend.Queries) error {
		a := newAuthServer(svc, "tx")
		a.DisplayName = "Team A in tx"
		if err := q.CreateAuthorizationServer(ctx, a); err != nil {
			return err
		}
		checkCounts(t, q, svc, "inside a transaction", countCase{"", 4}, countCase{teamA, 4})
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("transaction: %v", err)
	}
	checkCounts(t, r, svc, "rolled back", countCase{"", 3}, countCase{teamA, 3})

	_, err = w.DeleteAuthorizationServersUnder(ctx, strings.ToLower(svc))
	must(t, err)
	checkCounts(t, r, svc, "service emptied", countCase{"", 0}, countCase{teamA, 0})
	create("a1", "Team A again")
	checkCounts(t, r, svc, "created again", countCase{"", 1}, countCase{teamA, 1})
}

// RunSharedDatabase runs the tests that need two stores (two tokend nodes)
// on one database: what one node remembers must follow what the other
// writes.
func RunSharedDatabase(t *testing.T, open func(t *testing.T) (a, b tokend.Store)) {
	t.Run("AuthorizationServerCountAcrossNodes", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		countFollowsWrites(t, a, b)
	})
	t.Run("ResourceGenerationAcrossNodes", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		generationFollowsWrites(t, a, b)
	})
	t.Run("AssertionReplayAcrossNodes", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		assertionRaceAcrossNodes(t, a, b)
	})
}
