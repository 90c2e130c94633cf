package tokend

import (
	"context"
	"time"
)

// AuditRecord is one line of a node's audit chain as the database keeps
// it: the line itself (what `tokend audit verify` checks) and the fields
// queries filter on, copied out of it.
type AuditRecord struct {
	// Node names the chain: every node (and the CLI) writes its own, so
	// nodes never contend for one chain head.
	Node string
	// Seq numbers the node's lines from 1, without gaps.
	Seq       int64
	Time      time.Time
	RequestID string
	Principal string
	Action    string
	Result    string
	// Line is the JSON line, its prev field included; Hash the hex SHA-256
	// of Line, which the node's next line names as its prev.
	Line []byte
	Hash string
}

// AuditQuery selects audit records, newest first (one node's: by seq).
type AuditQuery struct {
	Node      string // "": every node
	Principal string
	Action    string // exact, or a prefix ending in '*'
	Since     time.Time
	Until     time.Time // only records before it (zero: no bound)
	// After continues a list past the record it names (the last one of
	// the page before): a keyset position, so records appended meanwhile
	// are neither skipped nor repeated.
	After *AuditCursor
	Limit int // 0: 100
}

// AuditCursor is where a list of audit records stopped.
type AuditCursor struct {
	Time time.Time
	Node string
	Seq  int64
}

// AuditStore keeps every node's audit chain in one table.
type AuditStore interface {
	// AppendAuditRecords inserts records in one transaction;
	// ErrAlreadyExists when a (node, seq) is taken, so two writers of one
	// chain never both succeed.
	AppendAuditRecords(ctx context.Context, records []*AuditRecord) error
	// LastAuditRecord is the node's highest-numbered record (ErrNotFound
	// for a chain not yet begun).
	LastAuditRecord(ctx context.Context, node string) (*AuditRecord, error)
	ListAuditRecords(ctx context.Context, q AuditQuery) ([]*AuditRecord, error)
	// ListAuditChain reads a node's chain in order, from the record after
	// afterSeq, at most limit records: what verification walks.
	ListAuditChain(ctx context.Context, node string, afterSeq int64, limit int) ([]*AuditRecord, error)
	// AuditNodes names every chain in the table, in order.
	AuditNodes(ctx context.Context) ([]string, error)
}
