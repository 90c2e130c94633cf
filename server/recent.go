package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Recent keeps this node's last minutes of traffic — tokens issued, 4xx,
// 5xx and 429 answers — for the management API's metrics read and the
// console's charts. It samples the server's own request counter
// (tokend_http_requests_total) every step into a ring of cumulative
// counts; nothing is stored, and a restart starts the history afresh, as
// the counters do. A 429 is counted whichever limit refused it (package
// ratelimit's, identity's throttle, the browsers gateway's).
type Recent struct {
	m      *Metrics
	step   time.Duration
	now    func() time.Time
	tokens map[string]bool

	mu    sync.Mutex
	ring  []snapshot // len ≤ cap: the oldest first once rotated at next
	next  int
	since time.Time
}

// RecentConfig configures a Recent.
type RecentConfig struct {
	// Step is the sampling interval (0: DefaultRecentStep), Window how far
	// back the history reaches (0: DefaultRecentWindow).
	Step, Window time.Duration
	// TokenRoutes are the route labels whose 200 answers each issued a
	// token (the token endpoints, the managed-identity endpoints).
	TokenRoutes []string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// The defaults: ten minutes at five-second steps, 121 snapshots of four
// numbers; a sample collects one counter vector (a few hundred series at
// most), so the sampler costs nothing measurable.
const (
	DefaultRecentStep   = 5 * time.Second
	DefaultRecentWindow = 10 * time.Minute
)

// Counts are what Recent follows: answers counted since the server's
// metrics were made (a snapshot) or during one step (a sample).
type Counts struct {
	// Tokens are 200 answers of the token routes.
	Tokens float64
	// ClientErrors are 4xx answers (429 included), ServerErrors 5xx.
	ClientErrors, ServerErrors float64
	// Throttled are 429 answers.
	Throttled float64
}

func (c Counts) minus(o Counts) Counts {
	return Counts{Tokens: c.Tokens - o.Tokens, ClientErrors: c.ClientErrors - o.ClientErrors,
		ServerErrors: c.ServerErrors - o.ServerErrors, Throttled: c.Throttled - o.Throttled}
}

// Sample is one step: what was counted from Start to End.
type Sample struct {
	Start, End time.Time
	Counts
}

type snapshot struct {
	at time.Time
	c  Counts
}

// NewRecent starts a history of m's counters with a first snapshot; Run
// adds one every step.
func NewRecent(m *Metrics, cfg RecentConfig) *Recent {
	if cfg.Step <= 0 {
		cfg.Step = DefaultRecentStep
	}
	if cfg.Window < cfg.Step {
		cfg.Window = DefaultRecentWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Recent{m: m, step: cfg.Step, now: cfg.Now, tokens: map[string]bool{}}
	for _, route := range cfg.TokenRoutes {
		r.tokens[route] = true
	}
	r.ring = make([]snapshot, 0, int(cfg.Window/cfg.Step)+1)
	r.since = r.now()
	r.sample()
	return r
}

// Step is the interval between samples, Window the history's reach.
func (r *Recent) Step() time.Duration { return r.step }

// Window is how far back the history reaches once full.
func (r *Recent) Window() time.Duration { return time.Duration(cap(r.ring)-1) * r.step }

// Run samples every step until ctx ends.
func (r *Recent) Run(ctx context.Context) {
	t := time.NewTicker(r.step)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.sample()
		}
	}
}

func (r *Recent) sample() {
	s := snapshot{at: r.now(), c: r.m.counts(r.tokens)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, s)
		return
	}
	r.ring[r.next] = s
	r.next = (r.next + 1) % len(r.ring)
}

// Samples are the steps in the window, oldest first: one fewer than the
// snapshots taken, so none until a step has passed.
func (r *Recent) Samples() []Sample {
	r.mu.Lock()
	ordered := make([]snapshot, 0, len(r.ring))
	ordered = append(ordered, r.ring[r.next:]...)
	ordered = append(ordered, r.ring[:r.next]...)
	r.mu.Unlock()
	out := make([]Sample, 0, max(len(ordered)-1, 0))
	for i := 1; i < len(ordered); i++ {
		out = append(out, Sample{Start: ordered[i-1].at, End: ordered[i].at, Counts: ordered[i].c.minus(ordered[i-1].c)})
	}
	return out
}

// Totals are the counts now, since the metrics were made (about when the
// node started), and when the history began.
func (r *Recent) Totals() (Counts, time.Time) { return r.m.counts(r.tokens), r.since }

// counts reads the request counter: every series of
// tokend_http_requests_total, classified by route and status code.
func (m *Metrics) counts(tokenRoutes map[string]bool) Counts {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		m.requests.Collect(ch)
		close(ch)
	}()
	var c Counts
	for pm := range ch {
		var d dto.Metric
		if pm.Write(&d) != nil {
			continue
		}
		var route, code string
		for _, l := range d.GetLabel() {
			switch l.GetName() {
			case "route":
				route = l.GetValue()
			case "code":
				code = l.GetValue()
			}
		}
		n := d.GetCounter().GetValue()
		switch {
		case code == "200" && tokenRoutes[route]:
			c.Tokens += n
		case strings.HasPrefix(code, "4"):
			c.ClientErrors += n
			if code == "429" {
				c.Throttled += n
			}
		case strings.HasPrefix(code, "5"):
			c.ServerErrors += n
		}
	}
	return c
}
