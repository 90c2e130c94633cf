package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

const (
	auditColumns       = `node, seq, time, request_id, principal, action, result, line, hash`
	lastAuditRecordSQL = `SELECT ` + auditColumns + ` FROM audit_events WHERE node = $1 ORDER BY seq DESC LIMIT 1`
	auditArgsPerRecord = 9
)

// AppendAuditRecords writes a batch in one INSERT: one statement is atomic
// on both engines and one round trip, which matters because the audit
// writer commits once per batch of concurrent requests. A taken (node,
// seq) fails the whole statement: that chain has another writer.
func (q *queries) AppendAuditRecords(ctx context.Context, records []*tokend.AuditRecord) (err error) {
	defer q.done("AppendAuditRecords", time.Now(), &err)
	if len(records) == 0 {
		return nil
	}
	var sb strings.Builder
	args := make([]any, 0, auditArgsPerRecord*len(records))
	sb.WriteString(`INSERT INTO audit_events (` + auditColumns + `) VALUES `)
	for i, r := range records {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for j := range auditArgsPerRecord {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "$%d", len(args)+j+1)
		}
		sb.WriteByte(')')
		args = append(args, r.Node, r.Seq, toMicros(r.Time), r.RequestID, r.Principal, r.Action, r.Result, notNull(r.Line), r.Hash)
	}
	if _, err := q.write.ExecContext(ctx, sb.String(), args...); err != nil {
		return fmt.Errorf("append %d audit records of node %s from seq %d: %w", len(records), records[0].Node, records[0].Seq, q.classify(err))
	}
	return nil
}

// LastAuditRecord reads inside the caller's transaction when there is one
// (the one holding the chain's lock), else on the read pool, which sees
// every commit made before the call: the caller is about to extend the
// chain and must see its own latest one.
func (q *queries) LastAuditRecord(ctx context.Context, node string) (_ *tokend.AuditRecord, err error) {
	defer q.done("LastAuditRecord", time.Now(), &err)
	r, err := scanAuditRecord(q.read.QueryRowContext(ctx, lastAuditRecordSQL, node))
	if err != nil {
		return nil, fmt.Errorf("last audit record of node %s: %w", node, q.classify(err))
	}
	return r, nil
}

func (q *queries) ListAuditRecords(ctx context.Context, aq tokend.AuditQuery) (_ []*tokend.AuditRecord, err error) {
	defer q.done("ListAuditRecords", time.Now(), &err)
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if aq.Node != "" {
		add("node = $%d", aq.Node)
	}
	if aq.Principal != "" {
		add("principal = $%d", aq.Principal)
	}
	if prefix, ok := strings.CutSuffix(aq.Action, "*"); ok {
		// A range rather than LIKE: no escaping, and the bytewise collation
		// both engines use orders it.
		add("action >= $%d", prefix)
		add("action < $%d", prefix+"\U0010FFFF")
	} else if aq.Action != "" {
		add("action = $%d", aq.Action)
	}
	if !aq.Since.IsZero() {
		add("time >= $%d", toMicros(aq.Since))
	}
	if !aq.Until.IsZero() {
		add("time < $%d", toMicros(aq.Until))
	}
	if c := aq.After; c != nil && aq.Node != "" {
		add("seq < $%d", c.Seq)
	} else if c != nil {
		// Past the cursor in the order below: older, or as old and after
		// it by node, then by seq downwards.
		args = append(args, toMicros(c.Time), c.Node, c.Seq)
		n := len(args)
		where = append(where, fmt.Sprintf("(time < $%d OR time = $%d AND (node > $%d OR node = $%d AND seq < $%d))", n-2, n-2, n-1, n-1, n))
	}
	limit := aq.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	// One chain is read in its own order (times within a batch need not
	// follow seq); several are merged by time.
	order := `time DESC, node, seq DESC`
	if aq.Node != "" {
		order = `seq DESC`
	}
	query += fmt.Sprintf(` ORDER BY %s LIMIT %d`, order, limit)
	list, err := queryAll(ctx, q.read, scanAuditRecord, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	return list, nil
}

// ListAuditChain reads along the primary key (node, seq).
func (q *queries) ListAuditChain(ctx context.Context, node string, afterSeq int64, limit int) (_ []*tokend.AuditRecord, err error) {
	defer q.done("ListAuditChain", time.Now(), &err)
	if limit <= 0 {
		limit = 1000
	}
	list, err := queryAll(ctx, q.read, scanAuditRecord,
		`SELECT `+auditColumns+` FROM audit_events WHERE node = $1 AND seq > $2 ORDER BY seq LIMIT $3`, node, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit chain of node %s after seq %d: %w", node, afterSeq, err)
	}
	return list, nil
}

// AuditNodes skips from node to node along the primary key, one indexed
// lookup per chain, rather than reading every row as DISTINCT would.
func (q *queries) AuditNodes(ctx context.Context) (_ []string, err error) {
	defer q.done("AuditNodes", time.Now(), &err)
	var nodes []string
	after := ""
	for {
		var node string
		err := q.read.QueryRowContext(ctx, `SELECT node FROM audit_events WHERE node > $1 ORDER BY node LIMIT 1`, after).Scan(&node)
		if errors.Is(err, sql.ErrNoRows) {
			return nodes, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list audit chains: %w", q.classify(err))
		}
		nodes = append(nodes, node)
		after = node
	}
}

func scanAuditRecord(row scanner) (*tokend.AuditRecord, error) {
	var r tokend.AuditRecord
	var t int64
	if err := row.Scan(&r.Node, &r.Seq, &t, &r.RequestID, &r.Principal, &r.Action, &r.Result, &r.Line, &r.Hash); err != nil {
		return nil, err
	}
	r.Time = fromMicros(t)
	return &r, nil
}
