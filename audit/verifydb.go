package audit

import (
	"context"
	"fmt"

	tokend "github.com/tokend-dev/tokend"
)

// ChainVerified is what verifying one node's chain in the database found.
type ChainVerified struct {
	Node string `json:"node"`
	Verified
}

// verifyPage is how many rows one read of a chain takes.
const verifyPage = 1000

// VerifyStore checks every node's chain in the audit_events table as
// `tokend audit verify` checks files: each line's prev is the SHA-256 of
// the line before it, seq counts up from 1 without a gap, and each row's
// stored hash is its line's. A break names the node (as Break.File) and
// the seq (as Break.Line). It reads each chain in pages, holding one page.
func VerifyStore(ctx context.Context, store tokend.AuditStore) ([]ChainVerified, error) {
	nodes, err := store.AuditNodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ChainVerified, 0, len(nodes))
	for _, node := range nodes {
		v, err := verifyChain(ctx, store, node)
		if err != nil {
			return nil, err
		}
		out = append(out, ChainVerified{Node: node, Verified: v})
	}
	return out, nil
}

func verifyChain(ctx context.Context, store tokend.AuditStore, node string) (Verified, error) {
	vf := Verifier{}
	vf.v.Files = 1
	var after int64
	for {
		recs, err := store.ListAuditChain(ctx, node, after, verifyPage)
		if err != nil {
			return Verified{}, err
		}
		for _, r := range recs {
			fail := func(reason string) *Break {
				vf.v.Break = &Break{File: node, Line: int(r.Seq), Reason: reason}
				return vf.v.Break
			}
			if b := vf.line(r.Line, false, fail); b != nil {
				return vf.v, nil
			}
			if r.Seq != vf.head.seq {
				fail(fmt.Sprintf("the row numbered %d holds the line of seq %d: the row was edited", r.Seq, vf.head.seq))
				return vf.v, nil
			}
			if r.Hash != vf.head.hash {
				fail("the row's stored hash is not its line's: the line or the hash was edited")
				return vf.v, nil
			}
			vf.v.Lines++
			after = r.Seq
		}
		if len(recs) < verifyPage {
			return vf.v, nil
		}
	}
}
