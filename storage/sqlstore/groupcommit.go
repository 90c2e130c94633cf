package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// groupCommitter runs the write transactions of an engine with a single
// writer connection (SQLite) as shares of one transaction: while one
// batch commits, the next gathers; each share runs inside a savepoint of
// its own, so a share that fails rolls back alone, and every share is
// acknowledged only after the batch's one commit (one fsync). With
// synchronous=FULL a commit costs an fsync, and serial commits capped
// SQLite's writes near one per fsync (983/s for access-token creation
// against 2,078/s with synchronous=NORMAL, docs/performance.md): batching
// pays that once per batch instead of once per write.
//
// Shares take turns, in arrival order, so each sees the writes of those
// before it, exactly as serial transactions would. A share's function runs
// on its caller's goroutine (the committer hands it the transaction and
// waits), so a panic — or a test's t.Fatal — unwinds where it belongs.
type groupCommitter struct {
	db   *sql.DB
	reqs chan *share
	stop chan struct{}
	done sync.WaitGroup
}

// share is one caller's transaction.
type share struct {
	ctx context.Context
	// turn hands the share the batch's transaction; closed instead when
	// the share is not to run (the batch did not begin, or ctx ended).
	turn chan turn
	// finished reports that the share is done with the transaction, and
	// whether its savepoint stands (nil) or was rolled back.
	finished chan error
	// err is the batch's outcome for a share that stood (its commit) or
	// the reason it never ran; ready closes when it is set.
	err   error
	ready chan struct{}
}

// turn is a share's go at the batch's transaction. A share alone in its
// batch needs no savepoint: should it fail, the batch rolls back whole,
// which undoes the same writes for two statements less (most batches, when
// writes do not contend).
type turn struct {
	tx    *sql.Tx
	alone bool
}

// maxShares bounds a batch, so one batch's commit does not wait on an
// unbounded queue.
const maxShares = 256

func newGroupCommitter(db *sql.DB) *groupCommitter {
	g := &groupCommitter{db: db, reqs: make(chan *share), stop: make(chan struct{})}
	g.done.Add(1)
	go g.loop()
	return g
}

// errStoreClosed answers writes after Close.
var errStoreClosed = errors.New("storage is closed")

// errShareAborted marks a share whose function panicked or exited.
var errShareAborted = errors.New("the transaction's function did not return")

// errUndoFailed marks a share whose writes could not be rolled back to its
// savepoint: the batch must not commit them, so it rolls back whole.
var errUndoFailed = errors.New("roll back to the savepoint failed")

// run runs fn as a share of a batch and returns once the batch has
// committed (or fn failed, its writes rolled back).
func (g *groupCommitter) run(ctx context.Context, fn func(tx querier) error) error {
	s := &share{ctx: ctx, turn: make(chan turn, 1), finished: make(chan error, 1), ready: make(chan struct{})}
	select {
	case g.reqs <- s:
	case <-g.stop:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	t, ok := <-s.turn
	if !ok {
		<-s.ready
		return s.err
	}
	returned := false
	defer func() {
		if !returned {
			// fn panicked (or called runtime.Goexit): undo its writes and
			// let the batch go on; the panic continues in this goroutine.
			err := errShareAborted
			if !t.alone {
				if _, rerr := t.tx.Exec("ROLLBACK TO share"); rerr != nil {
					err = errors.Join(err, errUndoFailed, rerr)
				}
				_, _ = t.tx.Exec("RELEASE share")
			}
			s.finished <- err
		}
	}()
	var err error
	if t.alone {
		err = fn(uncancellable{t.tx}) // a failure rolls the batch back whole
	} else {
		err = runShare(t.tx, fn)
	}
	returned = true
	s.finished <- err
	<-s.ready
	if err != nil {
		return err
	}
	return s.err
}

// close stops the loop after the batch in progress.
func (g *groupCommitter) close() {
	close(g.stop)
	g.done.Wait()
}

func (g *groupCommitter) loop() {
	defer g.done.Done()
	batch := make([]*share, 0, maxShares)
	for {
		select {
		case s := <-g.reqs:
			batch = append(batch[:0], s)
		case <-g.stop:
			return
		}
	gather:
		for len(batch) < maxShares {
			select {
			case s := <-g.reqs:
				batch = append(batch, s)
			default:
				break gather
			}
		}
		g.commit(batch)
	}
}

// commit runs a batch in one transaction and reports to every share.
func (g *groupCommitter) commit(batch []*share) {
	// The batch's own context: no caller's cancellation may interrupt a
	// statement, which would make SQLite roll back every share.
	tx, err := g.db.BeginTx(context.Background(), nil)
	if err != nil {
		for _, s := range batch {
			s.err = fmt.Errorf("begin transaction: %w", err)
			close(s.turn)
			close(s.ready)
		}
		return
	}
	stood := make([]bool, len(batch))
	committing, poisoned := false, false
	alone := len(batch) == 1
	for i, s := range batch {
		if err := s.ctx.Err(); err != nil {
			s.err = err // never started: nothing to undo
			close(s.turn)
			continue
		}
		s.turn <- turn{tx: tx, alone: alone}
		err := <-s.finished
		stood[i] = err == nil
		committing = committing || stood[i]
		poisoned = poisoned || errors.Is(err, errUndoFailed)
	}
	switch {
	case poisoned:
		_ = tx.Rollback()
		err = errors.New("rolled back whole: a failed share could not be undone alone")
	case committing:
		err = tx.Commit()
	default:
		err = tx.Rollback()
	}
	for i, s := range batch {
		if stood[i] && err != nil {
			s.err = fmt.Errorf("commit transaction: %w", err)
		}
		close(s.ready)
	}
}

// runShare runs fn inside a savepoint, rolled back to when fn fails.
func runShare(tx *sql.Tx, fn func(tx querier) error) error {
	if _, err := tx.Exec("SAVEPOINT share"); err != nil {
		return fmt.Errorf("begin transaction: savepoint: %w", err)
	}
	err := fn(uncancellable{tx})
	if err != nil {
		if _, rerr := tx.Exec("ROLLBACK TO share"); rerr != nil {
			err = errors.Join(err, errUndoFailed, rerr)
		}
	}
	if _, rerr := tx.Exec("RELEASE share"); rerr != nil && err == nil {
		return fmt.Errorf("release savepoint: %w", rerr)
	}
	return err
}

// uncancellable runs a share's statements without their caller's
// cancellation: on SQLite an interrupted statement rolls back the whole
// transaction, every other share of the batch with it.
type uncancellable struct{ tx *sql.Tx }

func (u uncancellable) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return u.tx.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (u uncancellable) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return u.tx.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (u uncancellable) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return u.tx.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// groupWriter is the write querier outside a transaction when writes are
// group-committed: each statement is a share of its own.
type groupWriter struct{ g *groupCommitter }

func (w groupWriter) ExecContext(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = w.g.run(ctx, func(tx querier) error {
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// QueryContext and QueryRowContext are not offered outside a transaction:
// their rows would outlive the share. Writes that read back (INSERT ...
// RETURNING) run through queries.inWriteTx.
func (w groupWriter) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, errors.New("sqlstore: a query on the group-committed writer needs a transaction")
}

func (w groupWriter) QueryRowContext(context.Context, string, ...any) *sql.Row {
	panic("sqlstore: a single-row query on the group-committed writer needs a transaction")
}
