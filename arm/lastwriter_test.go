package arm

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/tokend-dev/tokend/wire"
)

func TestLastWriterWins(t *testing.T) {
	t.Parallel()
	conflict := wire.Errorf(http.StatusConflict, "Conflict", "busy")
	other := errors.New("other")
	for _, c := range []struct {
		name     string
		races    int   // attempts that lose before one does not
		final    error // what the attempt that does not race returns
		wantErr  error
		attempts int
	}{
		{"first attempt", 0, nil, nil, 1},
		{"after races", 5, nil, nil, 6},
		{"an error is not retried", 0, other, other, 1},
		{"an error after races", 3, other, other, 4},
		{"every attempt races", maxRaceAttempts, nil, conflict, maxRaceAttempts},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n := 0
			resp, err := LastWriterWins(context.Background(), conflict, func() (*wire.Response, error) {
				n++
				if n <= c.races {
					return nil, ErrRaced
				}
				if c.final != nil {
					return nil, c.final
				}
				return wire.Empty(http.StatusOK), nil
			})
			if !errors.Is(err, c.wantErr) || n != c.attempts {
				t.Errorf("err %v after %d attempts, want %v after %d", err, n, c.wantErr, c.attempts)
			}
			if c.wantErr == nil && (resp == nil || resp.Status != http.StatusOK) {
				t.Errorf("response %v", resp)
			}
		})
	}
	t.Run("context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := LastWriterWins(ctx, conflict, func() (*wire.Response, error) { return nil, ErrRaced })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want the context's", err)
		}
	})
}
