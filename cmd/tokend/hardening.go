package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/pflag"
	"github.com/tokend-dev/tokend/ratelimit"
	"github.com/tokend-dev/tokend/server"
)

// hardeningFlags are serve's limits: rate limits, connection caps,
// deadlines and where /metrics is served (docs/hardening.md).
type hardeningFlags struct {
	rateLimits                   string
	tokenPerClient, tokenPerAddr float64
	failedAuthRate               float64
	failedAuthBurst              int
	armReads, armWrites          float64
	trustedProxies               []string

	bodyTimeout, writeTimeout time.Duration
	maxHeaderBytes            int
	maxConns, maxConnsPerAddr int

	metricsAddr, metricsToken string
}

func addHardeningFlags(fl *pflag.FlagSet, f *hardeningFlags) {
	d := ratelimit.Defaults()
	fl.StringVar(&f.rateLimits, "rate-limits", "on", "rate limiting: on or off (off only to measure its cost) [TOKEND_RATE_LIMITS]")
	fl.Float64Var(&f.tokenPerClient, "token-rate-per-client", d.TokenPerClient.Rate, "client authentications a second per client id (burst: one second's worth; 0: unlimited) [TOKEND_TOKEN_RATE_PER_CLIENT]")
	fl.Float64Var(&f.tokenPerAddr, "token-rate-per-addr", d.TokenPerSource.Rate, "client authentications a second per source address (burst: one second's worth; 0: unlimited) [TOKEND_TOKEN_RATE_PER_ADDR]")
	fl.Float64Var(&f.failedAuthRate, "failed-auth-rate", d.FailuresPerSource.Rate, "failed authentications a second per source address and per client id, once the burst is spent (at least 1/60) [TOKEND_FAILED_AUTH_RATE]")
	fl.IntVar(&f.failedAuthBurst, "failed-auth-burst", d.FailuresPerSource.Burst, "failed authentications per source address and per client id before throttling starts [TOKEND_FAILED_AUTH_BURST]")
	fl.Float64Var(&f.armReads, "arm-read-rate", d.ARMReads.Rate, "ARM reads (GET, HEAD) a second per principal (burst: one second's worth; 0: unlimited) [TOKEND_ARM_READ_RATE]")
	fl.Float64Var(&f.armWrites, "arm-write-rate", d.ARMWrites.Rate, "ARM writes a second per principal (burst: one second's worth; 0: unlimited) [TOKEND_ARM_WRITE_RATE]")
	fl.StringSliceVar(&f.trustedProxies, "trusted-proxies", nil, "CIDRs of reverse proxies whose X-Forwarded-For is believed (and which have no per-address connection cap) [TOKEND_TRUSTED_PROXIES]")
	fl.DurationVar(&f.bodyTimeout, "body-timeout", server.DefaultBodyTimeout, "how long after its headers a request's body may take; later: 408 and the connection closed [TOKEND_BODY_TIMEOUT]")
	fl.DurationVar(&f.writeTimeout, "write-timeout", server.DefaultWriteTimeout, "how long writing an answer may take before the connection is closed [TOKEND_WRITE_TIMEOUT]")
	fl.IntVar(&f.maxHeaderBytes, "max-header-bytes", server.DefaultMaxHeaderBytes, "largest accepted request header block [TOKEND_MAX_HEADER_BYTES]")
	fl.IntVar(&f.maxConns, "max-conns", server.DefaultMaxConns, "open connections at most; more wait to be accepted (-1: no cap) [TOKEND_MAX_CONNS]")
	fl.IntVar(&f.maxConnsPerAddr, "max-conns-per-addr", server.DefaultMaxConnsPerAddr, "open connections at most from one address; more are closed at once (-1: no cap) [TOKEND_MAX_CONNS_PER_ADDR]")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "serve /metrics on this loopback address (host:port; port 0 picks one) [TOKEND_METRICS_ADDR]")
	fl.StringVar(&f.metricsToken, "metrics-token", "", "serve /metrics on the public port to bearers of this token (off the public port without it) [TOKEND_METRICS_TOKEN]")
}

// limits reads the rate-limit flags (nil: --rate-limits=off).
func (f *hardeningFlags) limits() (*ratelimit.Config, error) {
	switch f.rateLimits {
	case "off":
		return nil, nil
	case "on":
	default:
		return nil, fmt.Errorf("--rate-limits %q: want on or off", f.rateLimits)
	}
	proxies, err := ratelimit.ParseProxies(f.trustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	perSecond := func(r float64) ratelimit.Limit { return ratelimit.Limit{Rate: r, Burst: int(r + 0.5)} }
	failures := ratelimit.Limit{Rate: f.failedAuthRate, Burst: f.failedAuthBurst}
	c := ratelimit.Defaults()
	c.TokenPerClient, c.TokenPerSource = perSecond(f.tokenPerClient), perSecond(f.tokenPerAddr)
	c.FailuresPerSource, c.FailuresPerClient = failures, failures
	c.ARMReads, c.ARMWrites = perSecond(f.armReads), perSecond(f.armWrites)
	c.Proxies = proxies
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// metricsOnly serves the metrics page at /metrics and nothing else.
func metricsOnly(m *server.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}
