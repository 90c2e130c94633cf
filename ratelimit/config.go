package ratelimit

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config are the limits of one node. Every limit is per node: behind a load
// balancer over n nodes a client gets up to n times as much.
type Config struct {
	// TokenPerClient and TokenPerSource bound client authentications (the
	// token, introspection and revocation endpoints) per client id and per
	// source address.
	TokenPerClient, TokenPerSource Limit
	// FailuresPerSource and FailuresPerClient are the failed-authentication
	// budgets: each failure spends a token, and while none is left every
	// authentication from that source (or for that client id) is refused
	// with 429 before its credentials are checked, so a brute force is
	// slowed to Rate guesses a second and the right credentials pass again
	// once a token is back (Retry-After).
	FailuresPerSource, FailuresPerClient Limit
	// ARMReads and ARMWrites bound each principal's ARM (and data-plane)
	// requests: GET and HEAD are reads, everything else writes.
	ARMReads, ARMWrites Limit
	// Proxies are the trusted proxies whose X-Forwarded-For is believed.
	Proxies Proxies
	// MaxKeys bounds each limiter table (default 100,000 keys, about
	// 20 MB across the six tables at most).
	MaxKeys int
	// Now is the clock (tests set a fake one); default time.Now.
	Now func() time.Time
	// Registerer receives the throttling and failed-authentication
	// counters; nil registers nothing.
	Registerer prometheus.Registerer
}

// Defaults are the shipped limits (docs/hardening.md explains them):
// requests are limited far above what one client reaches on a benchmark
// (the 2-core reference machine issues 5,000-15,000 tokens a second to one
// client), failures far below what a brute force needs: 100 failures at
// once, then 10 a second, so 600 failures in 10 s are mostly refused and a
// throttled client waits at most a second.
func Defaults() Config {
	return Config{
		TokenPerClient:    Limit{Rate: 50000, Burst: 50000},
		TokenPerSource:    Limit{Rate: 50000, Burst: 50000},
		FailuresPerSource: Limit{Rate: 10, Burst: 100},
		FailuresPerClient: Limit{Rate: 10, Burst: 100},
		ARMReads:          Limit{Rate: 50000, Burst: 50000},
		ARMWrites:         Limit{Rate: 20000, Burst: 20000},
		MaxKeys:           100_000,
	}
}

// maxRetryAfter is the longest a throttled client may be told to wait: a
// failure budget must refill a token within it.
const maxRetryAfter = 60 * time.Second

// Validate checks the limits' shapes.
func (c Config) Validate() error {
	for _, l := range []struct {
		name string
		l    Limit
	}{
		{"token per client", c.TokenPerClient}, {"token per source", c.TokenPerSource},
		{"failures per source", c.FailuresPerSource}, {"failures per client", c.FailuresPerClient},
		{"ARM reads", c.ARMReads}, {"ARM writes", c.ARMWrites},
	} {
		if l.l.Rate < 0 || l.l.Burst < 0 {
			return fmt.Errorf("rate limit %s: negative rate or burst", l.name)
		}
		if l.l.On() && time.Duration(float64(time.Second)/l.l.Rate) > maxRetryAfter {
			return fmt.Errorf("rate limit %s: %g a second refills a token in more than %s", l.name, l.l.Rate, maxRetryAfter)
		}
	}
	return nil
}
