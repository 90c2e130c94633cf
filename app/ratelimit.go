package app

import (
	"fmt"

	"github.com/tokend-dev/tokend/ratelimit"
	"github.com/tokend-dev/tokend/server"
)

// newGuard builds the rate limiter of cfg (nil: none), counting into the
// server's registry.
func newGuard(cfg *ratelimit.Config, metrics *server.Metrics) (*ratelimit.Guard, error) {
	if cfg == nil {
		return nil, nil
	}
	c := *cfg
	if c.Registerer == nil {
		c.Registerer = metrics.Registry
	}
	g, err := ratelimit.New(c)
	if err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}
	return g, nil
}
