package audit

import (
	"context"
	"errors"
	"fmt"

	tokend "github.com/tokend-dev/tokend"
)

// dbSink inserts the node's chain into the audit_events table, one
// statement per batch. Only this process writes the node's chain, so the
// head it loaded at start stays current; a second writer under the same
// node name is refused by the (node, seq) key.
type dbSink struct {
	store tokend.AuditStore
	node  string
	head  head
	buf   []byte
	recs  []*tokend.AuditRecord
}

func openDBSink(ctx context.Context, store tokend.AuditStore, node string) (*dbSink, error) {
	h, err := dbHead(ctx, store, node)
	if err != nil {
		return nil, err
	}
	return &dbSink{store: store, node: node, head: h}, nil
}

// dbHead is where the node's chain in the database stands.
func dbHead(ctx context.Context, q tokend.AuditStore, node string) (head, error) {
	last, err := q.LastAuditRecord(ctx, node)
	if errors.Is(err, tokend.ErrNotFound) {
		return genesisHead(), nil
	}
	if err != nil {
		return head{}, fmt.Errorf("read audit chain head: %w", err)
	}
	return head{seq: last.Seq, hash: last.Hash}, nil
}

func (s *dbSink) write(ctx context.Context, batch []*entry) error {
	// One buffer for the batch's lines; each record's Line is a slice of
	// it, valid until the next batch (the store copies what it writes).
	s.buf, s.recs = s.buf[:0], s.recs[:0]
	h := s.head
	starts := make([]int, len(batch))
	for i, e := range batch {
		s.buf, h, starts[i] = h.appendLine(s.buf, e.body)
		s.recs = append(s.recs, record(s.node, h, e.ev, nil))
	}
	for i, r := range s.recs {
		end := len(s.buf)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		r.Line = s.buf[starts[i] : end-1] // without the newline
	}
	if err := s.store.AppendAuditRecords(ctx, s.recs); err != nil {
		return fmt.Errorf("insert audit events: %w", err)
	}
	s.head = h
	return nil
}

func (s *dbSink) close() error { return nil }

// record is the row of the line that brought the chain to h.
func record(node string, h head, ev *Event, line []byte) *tokend.AuditRecord {
	return &tokend.AuditRecord{
		Node: node, Seq: h.seq, Time: ev.Time, RequestID: ev.RequestID,
		Principal: ev.Principal, Action: ev.Action, Result: ev.Result,
		Line: line, Hash: h.hash,
	}
}

// AppendOnce records one event on node's chain in the database from a
// process that does not own the chain (the CLI: several may run at once,
// on several hosts): under the chain's lock, it reads the head and
// appends after it in one transaction.
func AppendOnce(ctx context.Context, store tokend.Store, node string, ev *Event) error {
	ev.Node = node
	body, err := encode(ev)
	if err != nil {
		return err
	}
	err = store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, "audit:"+node); err != nil {
			return err
		}
		h, err := dbHead(ctx, q, node)
		if err != nil {
			return err
		}
		buf, next, _ := h.appendLine(nil, body)
		return q.AppendAuditRecords(ctx, []*tokend.AuditRecord{record(node, next, ev, buf[:len(buf)-1])})
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}
