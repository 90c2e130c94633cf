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
