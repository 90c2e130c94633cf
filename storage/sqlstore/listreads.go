package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxCachedStatements bounds the statements stmtCache keeps prepared. The
// list SQL differs only in the shape of its $filter (values are bound), so
// real traffic needs a few dozen; the bound only matters against clients
// that invent a new shape on every call.
const maxCachedStatements = 256

// stmtCache keeps the list statements built per request prepared on the read
// pool, keyed by their SQL text, for engines whose plan does not depend on
// the bound values (SQLite): compiling a filtered list statement was 8% of
// the CPU of an APIM list page. Once full it prepares nothing more (later
// shapes run unprepared) rather than evict: a statement handed out may be
// about to run, and closing it then would fail that call.
type stmtCache struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: make(map[string]*sql.Stmt)}
}

// stmt returns query prepared on the pool, preparing it on first use, or
// nil when the cache is full.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, full := c.stmts[query], len(c.stmts) >= maxCachedStatements
	c.mu.Unlock()
	if st != nil || full {
		return st, nil
	}
	// Prepared outside the lock: two callers may prepare the same text at
	// once, and the loser's copy is closed.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare list statement: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.stmts[query]; prev != nil {
		_ = st.Close()
		return prev, nil
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	closeAll(c.stmts)
	c.stmts = make(map[string]*sql.Stmt)
}

// listReader runs the reads whose SQL is built per request: lists with a
// $filter and their counts. Each engine needs something different from
// such a statement. PostgreSQL must plan it for its own values
// (Dialect.PlanEachTime); SQLite plans without looking at them, so the
// compiled statement is kept (stmtCache); inside a transaction the
// statement runs on the transaction as it is.
type listReader struct {
	q *queries
}

func (r listReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q := r.q
	switch {
	case q.dialect.PlanEachTime != nil:
		return q.read.QueryContext(ctx, query, q.dialect.PlanEachTime(args)...)
	}
	return preparedReader(r).QueryContext(ctx, query, args...)
}

// preparedReader runs reads whose SQL is one of a fixed few (the resource
// lists): kept prepared on SQLite, as listReader does, and on PostgreSQL
// left to the driver's statement cache, whose generic plan — the key index
// in order, stopped at the limit — is right for every value. Planned for
// its values, a scope holding most of the table made PostgreSQL sort it
// instead (1.5 ms rather than 0.4 for a page).
type preparedReader struct {
	q *queries
}

func (r preparedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q := r.q
	if q.stmts != nil {
		st, err := q.stmts.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		if st != nil {
			return st.QueryContext(ctx, args...)
		}
	}
	return q.read.QueryContext(ctx, query, args...)
}

// scanOne runs a read of a single row (a COUNT) through the same rules and
// scans it into dest.
func (r listReader) scanOne(ctx context.Context, query string, args []any, dest ...any) error {
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}
