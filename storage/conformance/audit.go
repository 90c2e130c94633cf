package conformance

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tokend-dev/tokend"
)

// testAuditRecords: chains of several nodes in one table, appended in
// batches, each node's head read back, a taken (node, seq) refused as a
// whole batch, and listing newest first with its filters.
func testAuditRecords(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	if _, err := s.LastAuditRecord(ctx, "n1"); !errors.Is(err, tokend.ErrNotFound) {
		t.Fatalf("LastAuditRecord of an empty chain: %v, want ErrNotFound", err)
	}
	rec := func(node string, seq int64, principal, action string, at time.Duration) *tokend.AuditRecord {
		return &tokend.AuditRecord{Node: node, Seq: seq, Time: stamp(at), RequestID: fmt.Sprintf("req-%s-%d", node, seq),
			Principal: principal, Action: action, Result: "success",
			Line: []byte(fmt.Sprintf(`{"seq":%d,"node":%q}`, seq, node)), Hash: fmt.Sprintf("hash-%s-%d", node, seq)}
	}
	must(t, s.AppendAuditRecords(ctx, []*tokend.AuditRecord{
		rec("n1", 1, "alice", "token.issue", 0),
		rec("n1", 2, "bob", "authn.failure", time.Second),
	}))
	must(t, s.AppendAuditRecords(ctx, []*tokend.AuditRecord{rec("n2", 1, "alice", "Microsoft.App/containerApps/write", 2*time.Second)}))
	must(t, s.InTx(ctx, func(q tokend.Queries) error {
		return q.AppendAuditRecords(ctx, []*tokend.AuditRecord{rec("n1", 3, "alice", "token.revoke", 3*time.Second)})
	}))

	last, err := s.LastAuditRecord(ctx, "n1")
	must(t, err)
	want := rec("n1", 3, "alice", "token.revoke", 3*time.Second)
	want.Time = stored(want.Time)
	if last.Seq != 3 || last.Hash != want.Hash || string(last.Line) != string(want.Line) || !last.Time.Equal(want.Time) ||
		last.RequestID != want.RequestID || last.Principal != "alice" || last.Action != "token.revoke" || last.Result != "success" {
		t.Fatalf("LastAuditRecord = %+v, want %+v", last, want)
	}

	// A batch with one taken key inserts nothing.
	err = s.AppendAuditRecords(ctx, []*tokend.AuditRecord{rec("n1", 4, "x", "a", 0), rec("n1", 3, "x", "a", 0)})
	if !errors.Is(err, tokend.ErrAlreadyExists) {
		t.Fatalf("append over a taken seq: %v, want ErrAlreadyExists", err)
	}
	if last, err := s.LastAuditRecord(ctx, "n1"); err != nil || last.Seq != 3 {
		t.Fatalf("after a refused batch the head is %+v, %v; want seq 3", last, err)
	}

	list := func(q tokend.AuditQuery) []string {
		t.Helper()
		recs, err := s.ListAuditRecords(ctx, q)
		must(t, err)
		var ids []string
		for _, r := range recs {
			ids = append(ids, fmt.Sprintf("%s/%d", r.Node, r.Seq))
		}
		return ids
	}
	for _, tc := range []struct {
		q    tokend.AuditQuery
		want []string
	}{
		{tokend.AuditQuery{}, []string{"n1/3", "n2/1", "n1/2", "n1/1"}},
		{tokend.AuditQuery{Principal: "alice"}, []string{"n1/3", "n2/1", "n1/1"}},
		{tokend.AuditQuery{Action: "token.issue"}, []string{"n1/1"}},
		{tokend.AuditQuery{Action: "token.*"}, []string{"n1/3", "n1/1"}},
		{tokend.AuditQuery{Action: "Microsoft.App/*"}, []string{"n2/1"}},
		{tokend.AuditQuery{Since: stamp(time.Second)}, []string{"n1/3", "n2/1", "n1/2"}},
		{tokend.AuditQuery{Node: "n2"}, []string{"n2/1"}},
		{tokend.AuditQuery{Limit: 2}, []string{"n1/3", "n2/1"}},
		{tokend.AuditQuery{Principal: "nobody"}, nil},
		{tokend.AuditQuery{Until: stamp(2 * time.Second)}, []string{"n1/2", "n1/1"}},
		{tokend.AuditQuery{Since: stamp(time.Second), Until: stamp(3 * time.Second)}, []string{"n2/1", "n1/2"}},
		// Keyset continuation: past the cursor in the list's order.
		{tokend.AuditQuery{After: &tokend.AuditCursor{Time: stored(stamp(2 * time.Second)), Node: "n2", Seq: 1}}, []string{"n1/2", "n1/1"}},
		{tokend.AuditQuery{After: &tokend.AuditCursor{Time: stored(stamp(3 * time.Second)), Node: "n1", Seq: 3}, Limit: 1}, []string{"n2/1"}},
		{tokend.AuditQuery{Principal: "alice", After: &tokend.AuditCursor{Time: stored(stamp(3 * time.Second)), Node: "n1", Seq: 3}}, []string{"n2/1", "n1/1"}},
		{tokend.AuditQuery{Node: "n1", After: &tokend.AuditCursor{Node: "n1", Seq: 3}}, []string{"n1/2", "n1/1"}},
	} {
		if got := list(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("ListAuditRecords(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}

	// Verification reads each chain in order, in pages, and finds every
	// chain by name.
	chain := func(node string, after int64, limit int) []int64 {
		t.Helper()
		recs, err := s.ListAuditChain(ctx, node, after, limit)
		must(t, err)
		var seqs []int64
		for _, r := range recs {
			if r.Node != node {
				t.Errorf("ListAuditChain(%s) returned a record of %s", node, r.Node)
			}
			seqs = append(seqs, r.Seq)
		}
		return seqs
	}
	if got := chain("n1", 0, 10); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("ListAuditChain(n1) = %v", got)
	}
	if got := chain("n1", 1, 1); !slices.Equal(got, []int64{2}) {
		t.Errorf("ListAuditChain(n1 after 1, 1) = %v", got)
	}
	if got := chain("n3", 0, 10); got != nil {
		t.Errorf("ListAuditChain(n3) = %v", got)
	}
	nodes, err := s.AuditNodes(ctx)
	must(t, err)
	if !slices.Equal(nodes, []string{"n1", "n2"}) {
		t.Errorf("AuditNodes = %v", nodes)
	}
}
