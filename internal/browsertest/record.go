package browsertest

import (
	"context"
	"sync"
)

// record is an append-only log of what the tab reported, written by the
// tab's event loop and read (and waited on) by the test's goroutine.
type record[T any] struct {
	mu      sync.Mutex
	all     []T
	next    int           // the first entry no wait has returned yet
	changed chan struct{} // closed and replaced on each append
}

func newRecord[T any]() *record[T] {
	return &record[T]{changed: make(chan struct{})}
}

func (r *record[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, v)
	close(r.changed)
	r.changed = make(chan struct{})
}

// wait returns the first entry that no wait has returned yet and that
// matches, waiting for one until ctx ends. Entries before it are passed
// over for good, so a flow run twice waits for its second occurrence.
func (r *record[T]) wait(ctx context.Context, match func(T) bool) (T, error) {
	for {
		r.mu.Lock()
		for i := r.next; i < len(r.all); i++ {
			if match(r.all[i]) {
				r.next = i + 1
				v := r.all[i]
				r.mu.Unlock()
				return v, nil
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

func (r *record[T]) list() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.all...)
}
