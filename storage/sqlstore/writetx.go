package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// inWriteTx runs fn in the caller's transaction, or in a write transaction
// of its own: a share of a group commit where the engine batches, else a
// transaction on the write pool. fn's writes commit together or not at
// all; an error from fn rolls them back.
func (q *queries) inWriteTx(ctx context.Context, fn func(tx querier) error) error {
	if q.inTx {
		return fn(q.write)
	}
	switch w := q.write.(type) {
	case groupWriter:
		return w.g.run(ctx, fn)
	case *sql.DB:
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		committed := false
		defer func() {
			if !committed {
				// Also runs when fn panics; the panic continues after it.
				_ = tx.Rollback()
			}
		}()
		if err := fn(tx); err != nil {
			return err
		}
		committed = true
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit transaction: %w", err)
		}
		return nil
	}
	return fmt.Errorf("sqlstore: cannot begin a transaction on a %T", q.write)
}

// inWriteStatements runs fn, whose statements are each atomic on their
// own (a batch's one INSERT or UPDATE ... RETURNING), where a write that
// reads back may run: in the caller's transaction, as a share of a group
// commit where the engine batches, else straight on the write pool, each
// statement committing by itself. On PostgreSQL that is one round trip
// per batch instead of three (BEGIN and COMMIT around it).
func (q *queries) inWriteStatements(ctx context.Context, fn func(x querier) error) error {
	if db, ok := q.write.(*sql.DB); ok && !q.inTx {
		return fn(db)
	}
	return q.inWriteTx(ctx, fn)
}
