package identity

import (
	"context"
	"sync"
	"time"
)

// batcher writes records of concurrent requests together: whoever arrives
// while a batch is written waits for the next one, so storage runs one
// statement and commits once per batch instead of once per request. The
// commit was what bound certificate sign-ins (32 % of the server's CPU in
// a profile of the token-cert bench scenario on SQLite, one commit per
// assertion); the statement per request what bound refresh-token grants.
type batcher[R any] struct {
	flush  func(ctx context.Context, now time.Time, records []*R) error
	max    int
	linger time.Duration
	once   sync.Once
	queue  chan *pendingRecord[R]
}

type pendingRecord[R any] struct {
	record R
	now    time.Time
	done   chan error
}

// newBatcher writes batches of up to max records with flush, each batch
// waiting linger after its first record for more. One batch is in flight
// at a time: more made batches smaller and sign-ins slower on both engines
// (token-cert bench, 4 workers: SQLite 4,982 → 4,055/s, PostgreSQL 3,442
// → 2,861/s).
func newBatcher[R any](max int, linger time.Duration, flush func(ctx context.Context, now time.Time, records []*R) error) *batcher[R] {
	return &batcher[R]{flush: flush, max: max, linger: linger, queue: make(chan *pendingRecord[R], max)}
}

// submit queues r and waits until its batch is written; it returns r as
// flush left it (flush reports per-record outcomes in the records).
func (b *batcher[R]) submit(ctx context.Context, r R, now time.Time) (R, error) {
	b.once.Do(func() { go b.run() })
	p := &pendingRecord[R]{record: r, now: now, done: make(chan error, 1)}
	select {
	case b.queue <- p:
	case <-ctx.Done():
		return r, ctx.Err()
	}
	select {
	case err := <-p.done:
		return p.record, err
	case <-ctx.Done():
		return r, ctx.Err()
	}
}

// run writes batches for as long as the process lives; it holds nothing
// but the queue between batches.
func (b *batcher[R]) run() {
	batch := make([]*pendingRecord[R], 0, b.max)
	records := make([]*R, 0, b.max)
	linger := time.NewTimer(0)
	<-linger.C
	for first := range b.queue {
		batch = append(batch[:0], first)
		// Wait a moment for the requests already on their way: without it
		// a batch holds one or two, and the commit per batch stays the
		// bound (SQLite, token-cert bench: 3,984 → 4,982 sign-ins/s, 298 →
		// 221 µs of server CPU each).
		linger.Reset(b.linger)
	drain:
		for len(batch) < b.max {
			select {
			case p := <-b.queue:
				batch = append(batch, p)
			case <-linger.C:
				break drain
			}
		}
		if !linger.Stop() {
			select {
			case <-linger.C:
			default:
			}
		}
		records = records[:0]
		now := batch[0].now
		for _, p := range batch {
			records = append(records, &p.record)
			if p.now.After(now) {
				now = p.now
			}
		}
		// Detached from any one request: a batch serves many.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := b.flush(ctx, now, records)
		cancel()
		for _, p := range batch {
			p.done <- err
		}
	}
}
