package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Limit names, the values of the throttled counter's label.
const (
	limitTokenClient    = "token_client"
	limitTokenSource    = "token_source"
	limitFailuresSource = "failures_source"
	limitFailuresClient = "failures_client"
	limitARMReads       = "arm_reads"
	limitARMWrites      = "arm_writes"
)

// ARM's counters, canonical so that setting them skips canonicalisation
// on every request.
var (
	headerRemainingReads  = http.CanonicalHeaderKey("x-ms-ratelimit-remaining-subscription-reads")
	headerRemainingWrites = http.CanonicalHeaderKey("x-ms-ratelimit-remaining-subscription-writes")
)

// ReasonUnknownClient is the reason the issuer reports for a client id
// that names no client (identity.FailureUnknownClient); bearer-token
// failures are counted as "bearer_" and their error code.
const ReasonUnknownClient = "unknown_client"

// Guard applies one node's limits. Its methods are safe for concurrent use.
type Guard struct {
	cfg Config
	now func() time.Time
	m   *metrics

	tokenClient, tokenSource       *table
	failuresSource, failuresClient *table
	armReads, armWrites            *table
}

// New returns a guard over cfg (zero limits are off).
func New(cfg Config) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = Defaults().MaxKeys
	}
	g := &Guard{cfg: cfg, now: cfg.Now, m: newMetrics(cfg.Registerer)}
	if g.now == nil {
		g.now = time.Now
	}
	mk := func(l Limit) *table {
		if !l.On() {
			return nil
		}
		return newTable(l, cfg.MaxKeys)
	}
	g.tokenClient, g.tokenSource = mk(cfg.TokenPerClient), mk(cfg.TokenPerSource)
	g.failuresSource, g.failuresClient = mk(cfg.FailuresPerSource), mk(cfg.FailuresPerClient)
	g.armReads, g.armWrites = mk(cfg.ARMReads), mk(cfg.ARMWrites)
	return g, nil
}

// Hooks are the guard's pipeline hooks: Admit refuses sources whose
// failure budget is spent, Authenticated applies the per-principal limits
// and sets ARM's x-ms-ratelimit-remaining-subscription-* headers.
func (g *Guard) Hooks() pipeline.Hooks {
	return pipeline.Hooks{Admit: g.admit, Authenticated: g.authenticated}
}

func (g *Guard) source(r *http.Request) string { return SourceKey(g.cfg.Proxies.Source(r)) }

func (g *Guard) admit(_ context.Context, r *http.Request) error {
	if g.failuresSource == nil {
		return nil
	}
	if wait, ok := g.failuresSource.check(g.source(r), g.now()); !ok {
		g.m.throttled.WithLabelValues(limitFailuresSource).Inc()
		return wire.TooManyRequests(wait, "Too many failed authentications from this address. Retry after "+
			wire.RetryAfterValue(wait)+" seconds.")
	}
	return nil
}

func (g *Guard) authenticated(_ context.Context, r *pipeline.Request) error {
	t, header, name := g.armReads, headerRemainingReads, limitARMReads
	if m := r.HTTP.Method; m != http.MethodGet && m != http.MethodHead {
		t, header, name = g.armWrites, headerRemainingWrites, limitARMWrites
	}
	if t == nil || r.Principal == nil {
		return nil
	}
	remaining, wait, ok := t.take(r.Principal.ObjectID, g.now())
	// Data planes (Azure.Core) do not send ARM's counters.
	if h := r.ResponseHeader; h != nil && r.Route.Family != wire.FamilyAzureCore {
		h[header] = []string{strconv.Itoa(remaining)}
	}
	if !ok {
		g.m.throttled.WithLabelValues(name).Inc()
		kind := "read"
		if name == limitARMWrites {
			kind = "write"
		}
		return wire.TooManyRequests(wait, fmt.Sprintf(
			"The request is being throttled: the %s limit of %g requests a second for this principal has been reached. Retry after %s seconds.",
			kind, t.limit.Rate, wire.RetryAfterValue(wait)))
	}
	return nil
}

// AdmitClient is asked before a client's credentials are checked (clientID
// may be "" when only an assertion names it): the per-source and
// per-client request limits are spent, and the failure budgets of the
// source and the client checked. Not ok: answer 429 with Retry-After.
func (g *Guard) AdmitClient(r *http.Request, clientID string) (time.Duration, bool) {
	now, src := g.now(), g.source(r)
	if g.failuresSource != nil {
		if wait, ok := g.failuresSource.check(src, now); !ok {
			return g.refuse(limitFailuresSource, wait)
		}
	}
	if g.failuresClient != nil && clientID != "" {
		if wait, ok := g.failuresClient.check(clientID, now); !ok {
			return g.refuse(limitFailuresClient, wait)
		}
	}
	if g.tokenSource != nil {
		if _, wait, ok := g.tokenSource.take(src, now); !ok {
			return g.refuse(limitTokenSource, wait)
		}
	}
	if g.tokenClient != nil && clientID != "" {
		if _, wait, ok := g.tokenClient.take(clientID, now); !ok {
			return g.refuse(limitTokenClient, wait)
		}
	}
	return 0, true
}

func (g *Guard) refuse(limit string, wait time.Duration) (time.Duration, bool) {
	g.m.throttled.WithLabelValues(limit).Inc()
	return wait, false
}

// FailedClient records a failed client authentication. A client id that
// names no client spends only the source's budget: otherwise random ids
// would crowd real clients' budgets out of the bounded table.
func (g *Guard) FailedClient(r *http.Request, clientID, reason string) {
	g.m.failures.WithLabelValues(reason).Inc()
	now := g.now()
	if g.failuresSource != nil {
		g.failuresSource.spend(g.source(r), now)
	}
	if g.failuresClient != nil && clientID != "" && reason != ReasonUnknownClient {
		g.failuresClient.spend(clientID, now)
	}
}

// Authenticator wraps the bearer-token check: a presented token that fails
// spends the source's failure budget (a request without one has tried
// nothing, and SDKs probe for the challenge that way).
func (g *Guard) Authenticator(next tokend.Authenticator) tokend.Authenticator {
	return authenticatorFunc(func(ctx context.Context, r *http.Request, aud tokend.Audience) (*tokend.Principal, error) {
		p, err := next.Authenticate(ctx, r, aud)
		var authn *tokend.AuthenticationError
		if err != nil && errors.As(err, &authn) && r.Header.Get("Authorization") != "" {
			g.m.failures.WithLabelValues("bearer_" + authn.Code).Inc()
			if g.failuresSource != nil {
				g.failuresSource.spend(g.source(r), g.now())
			}
		}
		return p, err
	})
}

type authenticatorFunc func(ctx context.Context, r *http.Request, aud tokend.Audience) (*tokend.Principal, error)

func (f authenticatorFunc) Authenticate(ctx context.Context, r *http.Request, aud tokend.Audience) (*tokend.Principal, error) {
	return f(ctx, r, aud)
}
