package identity

import (
	"context"
	"fmt"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// replayLog records client assertion ids so that none is accepted twice,
// on any node, in batches (batcher). (Authorization codes are spent by
// their refresh family's insert instead: http_code_grant.go.)
type replayLog struct {
	batches *batcher[tokend.AssertionRecord]
}

// maxReplayBatch bounds one batch (and so one transaction); replayLinger
// is how long a batch waits for more after its first sign-in.
const (
	maxReplayBatch = 256
	replayLinger   = 500 * time.Microsecond
)

func newReplayLog(store tokend.Store) *replayLog {
	return &replayLog{batches: newBatcher(maxReplayBatch, replayLinger,
		func(ctx context.Context, now time.Time, records []*tokend.AssertionRecord) error {
			return store.RecordAssertions(ctx, now, records)
		})}
}

// record remembers id until expiresAt; it reports a replay as
// tokend.ErrAlreadyExists.
func (l *replayLog) record(ctx context.Context, id string, expiresAt, now time.Time) error {
	rec, err := l.batches.submit(ctx, tokend.AssertionRecord{ID: id, ExpiresAt: expiresAt}, now)
	switch {
	case err != nil:
		return fmt.Errorf("record client assertion: %w", err)
	case rec.Replayed:
		return tokend.ErrAlreadyExists
	}
	return nil
}
