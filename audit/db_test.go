package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// TestDatabaseChains: on both engines, a node's events form one chain in
// audit_events (verifiable from the stored lines alone), a restarted node
// continues it, and concurrent CLI appends to one shared chain serialize
// without a gap.
func TestDatabaseChains(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		ctx := t.Context()
		h := audit.NewHasher([]byte("salt"))
		for run := range 2 { // a restart continues the chain
			l, err := audit.Open(ctx, audit.Options{Node: "node-a", Store: store, Hasher: h})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := l.Record(ctx, &audit.Event{RequestID: fmt.Sprint(run, i), Principal: "p", Action: audit.ActionTokenIssue, Result: audit.Success}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			l.Close()
		}
		var cli sync.WaitGroup
		for i := range 8 {
			cli.Add(1)
			go func() {
				defer cli.Done()
				if err := audit.AppendOnce(context.WithoutCancel(ctx), store, "cli", &audit.Event{RequestID: fmt.Sprint(i), Principal: "cli:me", Action: "client.create", Result: audit.Success}); err != nil {
					t.Error(err)
				}
			}()
		}
		cli.Wait()
		for node, n := range map[string]int{"node-a": 40, "cli": 8} {
			recs, err := store.ListAuditRecords(ctx, tokend.AuditQuery{Node: node, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var chain bytes.Buffer
			for i := len(recs) - 1; i >= 0; i-- { // oldest first
				chain.Write(recs[i].Line)
				chain.WriteByte('\n')
			}
			var v audit.Verifier
			if b := v.File(node, &chain); b != nil || v.Result().Lines != int64(n) {
				t.Fatalf("chain %s: %d lines, break %v", node, v.Result().Lines, b)
			}
		}
	})
}
