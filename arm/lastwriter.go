package arm

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/tokend-dev/tokend/wire"
)

// ErrRaced is what a provider's read-modify-write returns when its
// compare-and-set lost to a concurrent write of the same resource.
var ErrRaced = errors.New("raced with a concurrent write of the resource")

// maxRaceAttempts bounds LastWriterWins. Each lost attempt means another
// writer's attempt succeeded, so n concurrent writers need at most n
// attempts; 32 covers the 32 concurrent PUTs of the hardening issue's run,
// where 29 of 32 got a 409 before.
const maxRaceAttempts = 32

// LastWriterWins runs a read-modify-write until it does not race: a PUT or
// PATCH without If-Match is applied on top of whatever the last writer
// left, as ARM does, instead of answering 409 — Azure SDKs do not retry a
// 409. Attempts that lost wait a little, jittered, so the writers spread
// out. Should every attempt lose, conflict is the answer. A write with
// If-Match does not come here: exactly one of those wins.
func LastWriterWins(ctx context.Context, conflict *wire.Error, attempt func() (*wire.Response, error)) (*wire.Response, error) {
	for n := range maxRaceAttempts {
		resp, err := attempt()
		if !errors.Is(err, ErrRaced) {
			return resp, err
		}
		wait := time.Duration(rand.Int64N(int64(n+1) * int64(200*time.Microsecond)))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	return nil, conflict
}
