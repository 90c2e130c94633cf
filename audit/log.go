package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ErrUnavailable wraps every failure to record an event: the request the
// event records must fail (503), since it cannot be accounted for.
var ErrUnavailable = errors.New("audit log unavailable")

// sink makes a batch of events durable on one chain of its own.
type sink interface {
	// write appends one line per entry and returns once they are durable;
	// on error the chain stays where it was.
	write(ctx context.Context, batch []*entry) error
	close() error
}

// entry is one event on its way: its JSON body, encoded once by the
// requester's goroutine, and where to report the outcome.
type entry struct {
	ev   *Event
	body []byte
	done chan error
}

// maxBatch bounds one write (and so one SQL statement).
const maxBatch = 256

// Log records events to its sinks. A nil *Log records nothing, so callers
// need no checks when auditing is off.
type Log struct {
	node   string
	hasher *Hasher
	sinks  []sink
	now    func() time.Time
	log    *slog.Logger
	queue  chan *entry
	stop   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
}

func newLog(node string, hasher *Hasher, sinks []sink, now func() time.Time, log *slog.Logger) *Log {
	l := &Log{node: node, hasher: hasher, sinks: sinks, now: now, log: log,
		queue: make(chan *entry, maxBatch), stop: make(chan struct{})}
	l.wg.Add(1)
	go l.run()
	return l
}

// Node is the name of the log's chains.
func (l *Log) Node() string {
	if l == nil {
		return ""
	}
	return l.node
}

// HashID is id HMAC'd with the deployment's salt ("" when the log is off).
func (l *Log) HashID(id string) string {
	if l == nil {
		return ""
	}
	return l.hasher.Hash(id)
}

// Record writes ev durably to every sink and returns once it is, or with
// an error wrapping ErrUnavailable.
func (l *Log) Record(ctx context.Context, ev *Event) error {
	if l == nil {
		return nil
	}
	ev.Time, ev.Node = l.now().UTC(), l.node
	body, err := encode(ev)
	if err != nil {
		return err
	}
	e := &entry{ev: ev, body: body, done: make(chan error, 1)}
	select {
	case l.queue <- e:
	case <-l.stop:
		return fmt.Errorf("%w: closed", ErrUnavailable)
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
	select {
	case err := <-e.done:
		return err
	case <-l.stop:
		// The writer finishes the batch it holds; an event still queued
		// when it stopped was never written.
		l.wg.Wait()
		select {
		case err := <-e.done:
			return err
		default:
			return fmt.Errorf("%w: closed", ErrUnavailable)
		}
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
}

// run writes batches for as long as the log is open. There is no linger:
// whatever queued while the previous batch was being made durable is the
// next batch, so under load batches grow with the fsync time and at rest
// an event waits for nothing but its own write.
func (l *Log) run() {
	defer l.wg.Done()
	batch := make([]*entry, 0, maxBatch)
	for {
		select {
		case first := <-l.queue:
			batch = append(batch[:0], first)
		drain:
			for len(batch) < maxBatch {
				select {
				case e := <-l.queue:
					batch = append(batch, e)
				default:
					break drain
				}
			}
			err := l.writeAll(batch)
			for _, e := range batch {
				e.done <- err
			}
		case <-l.stop:
			return
		}
	}
}

// writeAll writes the batch to every sink at once (the file's fsync and
// the database's commit overlap).
func (l *Log) writeAll(batch []*entry) error {
	// Detached from any one request: a batch serves many.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if len(l.sinks) == 1 {
		return l.wrap(l.sinks[0].write(ctx, batch))
	}
	errs := make([]error, len(l.sinks))
	var wg sync.WaitGroup
	for i, s := range l.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.write(ctx, batch)
		}()
	}
	wg.Wait()
	return l.wrap(errors.Join(errs...))
}

func (l *Log) wrap(err error) error {
	if err == nil {
		return nil
	}
	l.log.Error("audit write failed; the requests it records fail with 503", "err", err.Error())
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// encode is an event's JSON body, encoded once for every sink.
func encode(ev *Event) ([]byte, error) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("%w: encode event: %w", ErrUnavailable, err)
	}
	return body, nil
}

// Close stops the writer and closes the sinks; events recorded after it
// fail.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	var errs []error
	l.closed.Do(func() {
		close(l.stop)
		l.wg.Wait()
		for _, s := range l.sinks {
			errs = append(errs, s.close())
		}
	})
	return errors.Join(errs...)
}
