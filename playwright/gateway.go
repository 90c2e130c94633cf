package playwright

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// The browsers gateway: a WebSocket upgrade request on a browsers path
// (wss://{tokend}/playwrightworkspaces/{id}/browsers, and the accounts'
// wss://{tokend}/accounts/{id}/browsers) is authenticated and authorized
// by the surface's pipeline like any request — before anything is
// upgraded — and then proxied, query string and the client's
// x-playwright-* headers included, to the Playwright browser server the
// deployment names (`npx playwright run-server`). The bearer token and
// cookies are not forwarded: the browser server is not a party to them.
//
// Sessions are counted per account or workspace (429 past the limit) and
// closed when the token that opened them stops being valid: at once when
// it is deleted or replaced on this node (Tokens calls Revoke), or when
// its parent is deleted here (CloseParent), and within RecheckInterval
// when that happens on another node or it expires (each session's token
// is re-validated on that tick, as every request's is).

// DefaultMaxSessions is the per-account/workspace session limit by default.
const DefaultMaxSessions = 50

// DefaultRecheckInterval is how often open sessions' tokens are re-checked.
const DefaultRecheckInterval = time.Second

// GatewayConfig configures the browsers gateway.
type GatewayConfig struct {
	// Upstream is the browser server's WebSocket URL (ws:// or wss://);
	// empty serves no browsers (503) unless Server is set.
	Upstream string
	// Server is the browser server tokend runs itself (--playwright-browsers
	// managed), instead of Upstream: sessions go to whichever of its
	// incarnations listens.
	Server *BrowserServer
	// OS is the operating system of the upstream's browsers (Linux by
	// default): a session asking for another is refused.
	OS string
	// MaxSessions bounds concurrent sessions per account or workspace
	// (0: DefaultMaxSessions).
	MaxSessions int
	// RecheckInterval is how often open sessions' tokens are re-validated
	// (0: DefaultRecheckInterval).
	RecheckInterval time.Duration
	// Registerer receives the gateway's metrics (nil: not exported).
	Registerer prometheus.Registerer
	// Transport reaches the upstream (nil: a default transport).
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// Gateway proxies browser sessions to the upstream browser server.
type Gateway struct {
	cfg      GatewayConfig
	upstream *url.URL
	log      *slog.Logger
	m        *gatewayMetrics

	mu       sync.Mutex
	byParent map[string]map[*session]struct{}
	checking bool
}

// session is one proxied connection.
type session struct {
	parent  string // account or workspace id
	tokenID string // the access token's id; "" for an Entra token
	payload []byte // the access token's verified payload, re-validated
	check   tokend.TokenValidator
	cancel  context.CancelCauseFunc
}

// Reasons sessions are closed by tokend.
var (
	errRevoked       = errors.New("the access token was deleted or replaced")
	errParentDeleted = errors.New("the account or workspace was deleted")
	errInvalid       = errors.New("the access token is no longer valid")
)

var errNoBrowserServer = wire.Errorf(http.StatusServiceUnavailable, "NoBrowserServer",
	"This tokend serves no browsers: start it with --playwright-browser-server ws://HOST:PORT/ (an `npx playwright run-server`).")

// NewGateway returns the gateway; with no Upstream it answers every
// session with 503.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.OS == "" {
		cfg.OS = OSLinux
	}
	switch {
	case strings.EqualFold(cfg.OS, OSLinux):
		cfg.OS = OSLinux
	case strings.EqualFold(cfg.OS, OSWindows):
		cfg.OS = OSWindows
	default:
		return nil, fmt.Errorf("browser server OS %q: want Linux or Windows", cfg.OS)
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.RecheckInterval <= 0 {
		cfg.RecheckInterval = DefaultRecheckInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := &Gateway{cfg: cfg, log: cfg.Logger, byParent: map[string]map[*session]struct{}{}}
	m, err := newGatewayMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	g.m = m
	switch {
	case cfg.Server != nil && cfg.Upstream != "":
		return nil, errors.New("a browser server URL and a managed browser server: choose one")
	case cfg.Upstream == "":
		return g, nil
	}
	u, err := upstreamURL(cfg.Upstream)
	if err != nil {
		return nil, err
	}
	g.upstream = u
	return g, nil
}

// upstreamURL is a browser server's ws:// or wss:// URL as the http:// or
// https:// URL its upgrade request goes to.
func upstreamURL(ws string) (*url.URL, error) {
	u, err := url.Parse(ws)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("browser server %q: not a URL", ws)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("browser server %q: want a ws:// or wss:// URL", ws)
	}
	return u, nil
}

// target is where a session goes now: the configured browser server, or
// the managed one's listening incarnation (nil while it restarts).
func (g *Gateway) target() *url.URL {
	if g.cfg.Server == nil {
		return g.upstream
	}
	ws := g.cfg.Server.URL()
	if ws == nil {
		return nil
	}
	u, err := upstreamURL(ws.String())
	if err != nil {
		return nil
	}
	return u
}

// proxyTo is the reverse proxy of a session to upstream. Once upstream
// answers 101, httputil.ReverseProxy hijacks the client's connection and
// copies bytes both ways: WebSocket frames are neither parsed nor
// re-framed.
func (g *Gateway) proxyTo(upstream *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:      func(pr *httputil.ProxyRequest) { rewrite(pr, upstream) },
		Transport:    g.cfg.Transport,
		ErrorHandler: g.upstreamFailed,
	}
}

// rewrite points a session's request at the upstream: the upstream's path,
// the client's query, the client's headers less its credentials.
func rewrite(pr *httputil.ProxyRequest, upstream *url.URL) {
	out := pr.Out
	out.URL.Scheme, out.URL.Host, out.URL.Path, out.URL.RawPath = upstream.Scheme, upstream.Host, upstream.Path, upstream.RawPath
	if out.URL.Path == "" {
		out.URL.Path = "/"
	}
	out.URL.RawQuery = mergeQuery(upstream.RawQuery, pr.In.URL.RawQuery)
	out.Host = upstream.Host
	out.Header.Del("Authorization")
	out.Header.Del("Cookie")
}

func mergeQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

func (g *Gateway) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the session was closed by tokend or the client
	}
	g.m.refused.WithLabelValues("upstream").Inc()
	g.log.WarnContext(r.Context(), "browser server unreachable", "err", err.Error())
	wire.WriteError(w, wire.FamilyAzureCore, wire.Errorf(http.StatusBadGateway, "BrowserServerUnavailable",
		"The browser server did not accept the session; try again."))
}

// IsUpgrade tells a WebSocket upgrade request (the gateway's) from a plain
// request on the same path.
func IsUpgrade(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// Session is what a provider tells the gateway about its sessions.
type Session struct {
	// Check re-validates the session's access token (the provider's
	// validator).
	Check tokend.TokenValidator
	// StrictOS applies the workspaces' contract (os required).
	StrictOS bool
	// Noun names the parent in messages ("account", "workspace").
	Noun string
	// Opened and Closed, if set, learn of the session's start (once
	// upstream accepted it) and end, with the client's runId ("" when none).
	Opened, Closed func(runID string)
}

// Serve runs one browser session for parent, whose pipeline already
// authenticated and authorized the request.
func (g *Gateway) Serve(w http.ResponseWriter, r *pipeline.Request, parent *tokend.PlaywrightAccount, opt Session) {
	if g == nil {
		r.Failure = "NoBrowserServer"
		wire.WriteError(w, wire.FamilyAzureCore, errNoBrowserServer)
		return
	}
	fail := func(reason string, e *wire.Error) {
		g.m.refused.WithLabelValues(reason).Inc()
		r.Failure = e.Code
		wire.WriteError(w, wire.FamilyAzureCore, e)
	}
	q := r.HTTP.URL.Query()
	if err := CheckBrowsersQuery(q, opt.StrictOS); err != nil {
		var e *wire.Error
		if errors.As(err, &e) {
			fail("bad_request", e)
		}
		return
	}
	if os := q.Get("os"); os != "" && !strings.EqualFold(os, g.cfg.OS) {
		fail("os", &wire.Error{Status: http.StatusBadRequest, Code: "UnsupportedOS", Target: "os",
			Message: "This tokend's browser server runs " + g.cfg.OS + " browsers; os '" + wire.Clip(os) + "' is not served."})
		return
	}
	upstream := g.target()
	switch {
	case upstream == nil && g.cfg.Server != nil:
		w.Header().Set("Retry-After", "2")
		fail("restarting", wire.Errorf(http.StatusServiceUnavailable, "BrowserServerRestarting",
			"tokend's browser server is restarting; try again in a few seconds."))
		return
	case upstream == nil:
		fail("no_server", errNoBrowserServer)
		return
	}
	s := &session{parent: parent.ID, check: opt.Check}
	if IsAccessToken(r.Principal) {
		s.payload, s.tokenID = bearerPayload(r.HTTP)
	}
	ctx, cancel := context.WithCancelCause(r.HTTP.Context())
	s.cancel = cancel
	if !g.acquire(s) {
		cancel(nil)
		w.Header().Set("Retry-After", "5")
		fail("limit", wire.Errorf(http.StatusTooManyRequests, "TooManySessions", fmt.Sprintf(
			"The %s '%s' has %d browser sessions open, its limit; close one or retry later.", opt.Noun, parent.ID, g.cfg.MaxSessions)))
		return
	}
	g.m.opened.Inc()
	g.m.active.Inc()
	defer func() {
		g.release(s)
		g.m.active.Dec()
		reason := "client"
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			reason = closeReason(cause)
		}
		g.m.closed.WithLabelValues(reason).Inc()
		cancel(nil)
	}()
	runID := q.Get("runId")
	sw := &upgradeWatch{ResponseWriter: w}
	if opt.Opened != nil {
		sw.opened = func() { opt.Opened(runID) }
	}
	// The relay splices to the connection the transport opened, when both
	// are plain TCP (relay.go).
	if spliceSafe(g.cfg.Transport) {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { sw.upstream.Store(&i.Conn) },
		})
	}
	g.proxyTo(upstream).ServeHTTP(sw, r.HTTP.WithContext(ctx))
	if sw.reported != nil {
		<-sw.reported
		if opt.Closed != nil {
			opt.Closed(runID)
		}
	}
}

// upgradeWatch notes the switch of protocols: the reverse proxy hijacks
// the client's connection once the upstream answered 101, and the session
// is reported opened then (off the handshake's path; Closed waits for it).
// The connection it hands the proxy is the session's relay (relay.go).
type upgradeWatch struct {
	http.ResponseWriter
	opened   func()
	reported chan struct{}
	upstream atomic.Pointer[net.Conn]
}

func (u *upgradeWatch) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(u.ResponseWriter).Hijack()
	if err == nil && u.reported == nil {
		u.reported = make(chan struct{})
		go func() {
			defer close(u.reported)
			if u.opened != nil {
				u.opened()
			}
		}()
		conn = &relayConn{Conn: conn, upstream: &u.upstream}
	}
	return conn, brw, err
}

func (u *upgradeWatch) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func closeReason(cause error) string {
	switch {
	case errors.Is(cause, errRevoked):
		return "revoked"
	case errors.Is(cause, errParentDeleted):
		return "deleted"
	case errors.Is(cause, errInvalid):
		return "invalid"
	}
	return "client"
}

// bearerPayload is the verified access token's payload and its id, read
// again from the request (the authenticator checked it; the gateway keeps
// it to re-check while the session lasts).
func bearerPayload(r *http.Request) ([]byte, string) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, ""
	}
	payload, err := jwtPayload(strings.TrimSpace(raw))
	if err != nil {
		return nil, ""
	}
	var c accessTokenClaims
	_ = json.Unmarshal(payload, &c)
	return payload, c.AccessTokenID
}

// acquire registers s unless its parent holds its limit.
func (g *Gateway) acquire(s *session) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	set := g.byParent[s.parent]
	if len(set) >= g.cfg.MaxSessions {
		return false
	}
	if set == nil {
		set = map[*session]struct{}{}
		g.byParent[s.parent] = set
	}
	set[s] = struct{}{}
	if !g.checking && s.payload != nil {
		g.checking = true
		go g.recheck()
	}
	return true
}

func (g *Gateway) release(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if set := g.byParent[s.parent]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(g.byParent, s.parent)
		}
	}
}

// Sessions is how many sessions parent has open.
func (g *Gateway) Sessions(parentID string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.byParent[parentID])
}

// Revoke closes the sessions opened with access token tokenID of parent
// (deleted or replaced).
func (g *Gateway) Revoke(parentID, tokenID string) {
	g.closeWhere(parentID, errRevoked, func(s *session) bool { return s.tokenID != "" && s.tokenID == tokenID })
}

// CloseParent closes every session of a deleted account or workspace.
func (g *Gateway) CloseParent(parentID string) {
	g.closeWhere(parentID, errParentDeleted, func(*session) bool { return true })
}

func (g *Gateway) closeWhere(parentID string, cause error, match func(*session) bool) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for s := range g.byParent[parentID] {
		if match(s) {
			s.cancel(cause)
		}
	}
}

// recheck re-validates the open sessions' access tokens every interval,
// while any is open: a token deleted on another node, or expired, closes
// its sessions here within the interval.
func (g *Gateway) recheck() {
	t := time.NewTicker(g.cfg.RecheckInterval)
	defer t.Stop()
	for range t.C {
		g.mu.Lock()
		var open []*session
		for _, set := range g.byParent {
			for s := range set {
				if s.payload != nil {
					open = append(open, s)
				}
			}
		}
		if len(open) == 0 {
			g.checking = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		for _, s := range open {
			ctx, cancel := context.WithTimeout(context.Background(), g.cfg.RecheckInterval)
			err := s.check(ctx, s.payload)
			cancel()
			var authErr *tokend.AuthenticationError
			if errors.As(err, &authErr) {
				s.cancel(errInvalid)
			}
		}
	}
}

// gatewayMetrics are the sessions' Prometheus instruments.
type gatewayMetrics struct {
	active  prometheus.Gauge
	opened  prometheus.Counter
	refused *prometheus.CounterVec
	closed  *prometheus.CounterVec
}

func newGatewayMetrics(reg prometheus.Registerer) (*gatewayMetrics, error) {
	m := &gatewayMetrics{
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tokend_playwright_browser_sessions_active", Help: "Browser sessions open through the gateway.",
		}),
		opened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tokend_playwright_browser_sessions_opened_total", Help: "Browser sessions opened through the gateway.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokend_playwright_browser_sessions_refused_total",
			Help: "Browser sessions refused after authentication, by reason (limit, os, no_server, restarting, bad_request, upstream); 401s and 403s are the route's in tokend_http_requests_total.",
		}, []string{"reason"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokend_playwright_browser_sessions_closed_total",
			Help: "Browser sessions ended, by who ended them (client, revoked, deleted, invalid).",
		}, []string{"reason"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.active, m.opened, m.refused, m.closed} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register gateway metrics: %w", err)
			}
		}
	}
	return m, nil
}
