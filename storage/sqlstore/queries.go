package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements tokend.Queries once for both uses: outside a
// transaction (read and write are the two pools) and inside one (both are
// the *sql.Tx).
type queries struct {
	dialect  Dialect
	observer Observer
	read     querier
	write    querier
	// prepared holds the hot reads prepared on the read pool, keyed by
	// their SQL text; nil inside a transaction, where a statement prepared
	// for one call would cost more than it saves.
	prepared map[string]*sql.Stmt
	// stmts keeps the per-request list statements prepared, on engines
	// that plan without the values; nil inside a transaction.
	stmts *stmtCache
	// counts remembers APIM list counts by generation; nil inside a
	// transaction, whose own writes a shared cache must not see.
	counts *countCache
	inTx   bool
	// health remembers that storage failed, shared by the store and its
	// transactions.
	health *health
}

var _ tokend.Queries = (*queries)(nil)

// queryRow runs a single-row read, through its prepared statement when
// there is one.
func (q *queries) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	// A single-row read finishes in microseconds, so cancelling it buys
	// nothing, while a cancellable context makes database/sql start a
	// goroutine per query to watch it: a measurable cost on the hot path.
	ctx = context.WithoutCancel(ctx)
	if st := q.prepared[query]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.read.QueryRowContext(ctx, query, args...)
}

// queryRows runs a short multi-row read (a client with its identifier
// URIs), through its prepared statement when there is one, without
// cancellation for the reason queryRow gives.
func (q *queries) queryRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := q.prepared[query]; st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.read.QueryContext(ctx, query, args...)
}

// done reports one call to the observer; use it as
// defer q.done("Op", time.Now(), &err) with a named error result. An
// error that says the database is unreachable or cannot write becomes
// tokend.ErrUnavailable here, for every call alike, and marks the store
// unhealthy until a write succeeds again (see Store.Ping).
func (q *queries) done(op string, start time.Time, errp *error) {
	if err := *errp; err != nil && q.dialect.IsUnavailable != nil &&
		!errors.Is(err, tokend.ErrUnavailable) && q.dialect.IsUnavailable(err) {
		*errp = fmt.Errorf("%w: %w", tokend.ErrUnavailable, err)
		if q.health != nil {
			q.health.failed()
		}
	}
	if q.observer != nil {
		q.observer(op, time.Since(start), *errp)
	}
}

// classify turns engine errors into the tokend sentinels where one applies,
// keeping the engine error in the chain.
func (q *queries) classify(err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return tokend.ErrNotFound
	case q.dialect.IsUniqueViolation != nil && q.dialect.IsUniqueViolation(err):
		return fmt.Errorf("%w: %w", tokend.ErrAlreadyExists, err)
	case q.dialect.IsForeignKeyViolation != nil && q.dialect.IsForeignKeyViolation(err):
		return fmt.Errorf("%w: %w", tokend.ErrNotFound, err)
	}
	return err
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING and reports
// ErrAlreadyExists when it inserted nothing.
func (q *queries) insert(ctx context.Context, query string, args ...any) error {
	res, err := q.write.ExecContext(ctx, query, args...)
	if err != nil {
		return q.classify(err)
	}
	return expectOne(res, tokend.ErrAlreadyExists)
}

// execOne runs a write that must affect exactly one row, and reports
// ErrNotFound when it affected none.
func (q *queries) execOne(ctx context.Context, query string, args ...any) error {
	res, err := q.write.ExecContext(ctx, query, args...)
	if err != nil {
		return q.classify(err)
	}
	return expectOne(res, tokend.ErrNotFound)
}

// expectOne returns none when res affected no row.
func expectOne(res sql.Result, none error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	if n == 0 {
		return none
	}
	return nil
}

// Lock takes the named lock until the transaction ends.
func (q *queries) Lock(ctx context.Context, name string) (err error) {
	defer q.done("Lock", time.Now(), &err)
	if !q.inTx {
		return fmt.Errorf("lock %q: %w", name, ErrNotInTx)
	}
	if q.dialect.LockSQL == "" {
		return nil
	}
	if _, err := q.write.ExecContext(ctx, q.dialect.LockSQL, name); err != nil {
		return fmt.Errorf("lock %q: %w", name, err)
	}
	return nil
}

// ErrNotInTx is returned by Lock outside InTx: a lock that ended with the
// call that took it would protect nothing.
var ErrNotInTx = errors.New("not inside a transaction")
