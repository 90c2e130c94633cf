// Package server is tokend's HTTP edge: TLS, the top-level routing of the
// ARM, identity and data-plane surfaces, the outer middleware (request ids,
// access logs, metrics, panic recovery), health endpoints and graceful
// shutdown.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// Options configure a Server.
type Options struct {
	Logger    *slog.Logger
	Metrics   *Metrics
	Store     tokend.Store
	AccessLog bool
	// Mounts serve the paths whose first segment is the key, lower case
	// ("subscriptions" for ARM, "playwright" for a data plane). They take
	// precedence over tenant names.
	Mounts map[string]http.Handler
	// Fallback serves everything else: the identity endpoints, whose first
	// path segment is a tenant.
	Fallback http.Handler
	// BodyTimeout bounds how long after its headers a request's body may
	// take, WriteTimeout how long writing its answer may (0: the defaults,
	// 30 s and 60 s; negative: none).
	BodyTimeout, WriteTimeout time.Duration
	// Metrics exposes /metrics on this handler: PublicMetrics to anyone,
	// else MetricsToken to a bearer of that token. Neither (the default):
	// /metrics is not served here — it has a listener of its own
	// (ServeMetrics, --metrics-addr).
	PublicMetrics bool
	MetricsToken  string
	// DefaultTenant is named in the links GET / answers (home.go).
	DefaultTenant string
	// CAPEM, when set, is served at /ca.pem: the local CA's certificate
	// (public), for clients that cannot share the server's files, such
	// as a CI job next to a service container. Fetching it is trust on
	// first use; the file, where it can be copied, is better.
	CAPEM []byte
}

// Server is the composed HTTP handler.
type Server struct {
	log       *slog.Logger
	metrics   *Metrics
	store     tokend.Store
	accessLog bool
	mounts    map[string]http.Handler
	fallback  http.Handler
	handler   http.Handler

	bodyTimeout, writeTimeout time.Duration
	publicMetrics             bool
	metricsToken              string
	defaultTenant             string
	caPEM                     []byte
}

// New composes the handler tree.
func New(o Options) *Server {
	s := &Server{log: o.Logger, metrics: o.Metrics, store: o.Store, accessLog: o.AccessLog,
		mounts: o.Mounts, fallback: o.Fallback, bodyTimeout: o.BodyTimeout, writeTimeout: o.WriteTimeout,
		publicMetrics: o.PublicMetrics, metricsToken: o.MetricsToken, defaultTenant: o.DefaultTenant, caPEM: o.CAPEM}
	if s.bodyTimeout == 0 {
		s.bodyTimeout = DefaultBodyTimeout
	}
	if s.writeTimeout == 0 {
		s.writeTimeout = DefaultWriteTimeout
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	s.handler = s.instrument(http.HandlerFunc(s.route))
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	// A doubled leading slash ("//subscriptions/…", which clients that
	// join an endpoint ending in "/" with a path starting with one send)
	// means the single-slash path, as ARM treats it; the routers trim
	// slashes themselves.
	first := strings.TrimLeft(r.URL.Path, "/")
	if i := strings.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	}
	switch strings.ToLower(first) {
	case "":
		if strings.Trim(r.URL.Path, "/") == "" {
			s.serveHome(w, r)
			return
		}
	case "ca.pem":
		if len(s.caPEM) > 0 && strings.Trim(r.URL.Path, "/") == "ca.pem" {
			wire.TraceFrom(r.Context()).Route = "ca.pem"
			w.Header().Set("Content-Type", "application/x-pem-file")
			_, _ = w.Write(s.caPEM)
			return
		}
	case "healthz":
		wire.TraceFrom(r.Context()).Route = "healthz"
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
		return
	case "readyz":
		s.ready(w, r)
		return
	case "metrics":
		if s.serveMetrics(w, r) {
			return
		}
	}
	seg := strings.ToLower(first)
	if h, ok := s.mounts[seg]; ok {
		h.ServeHTTP(w, r)
		return
	}
	if s.fallback != nil && !reserved[seg] {
		s.fallback.ServeHTTP(w, r)
		return
	}
	notFound(w, r)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	wire.TraceFrom(r.Context()).Route = "not-found"
	wire.WriteError(w, wire.FamilyARM, wire.Errorf(http.StatusNotFound, "NotFound", "No route matches '"+r.URL.Path+"'."))
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	wire.TraceFrom(r.Context()).Route = "readyz"
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err.Error())
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("storage unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// ListenConfig says where and how to serve.
type ListenConfig struct {
	Addr string
	// Listener, when set, is used instead of listening on Addr: the caller
	// bound it early, so that a taken port fails the start before anything
	// else happens.
	Listener net.Listener
	TLS      *tls.Config // nil serves plain http
	DataDir  string      // the bound address is written to <DataDir>/address
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout time.Duration
	// Ready is called with the bound URL once the listener is open, before
	// the address file is written.
	Ready func(url string)
	// MaxHeaderBytes bounds a request's header block (0: DefaultMaxHeaderBytes).
	MaxHeaderBytes int
	// MaxConns caps open connections in all, MaxConnsPerAddr from one peer
	// address (0: the defaults; negative: no cap). Peers ConnLimitExempt
	// accepts (trusted proxies) have no per-address cap.
	MaxConns, MaxConnsPerAddr int
	ConnLimitExempt           func(netip.Addr) bool
}

// DefaultMaxHeaderBytes is a request's largest header block: room for a
// few bearer tokens and cookies, not Go's 1 MB default.
const DefaultMaxHeaderBytes = 64 << 10

// orDefault is v, or def when v is 0, or 0 (none) when v is negative.
func orDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// AddressFile is where the bound address is written in the data directory.
const AddressFile = "address"

// Serve listens and serves until ctx is done, then shuts down gracefully:
// the listener closes, in-flight requests finish (up to ShutdownTimeout).
func (s *Server) Serve(ctx context.Context, lc ListenConfig) error {
	ln := lc.Listener
	if ln == nil {
		var err error
		if ln, err = Listen(lc.Addr); err != nil {
			return err
		}
	}
	ln = limitConns(ln, orDefault(lc.MaxConns, DefaultMaxConns), orDefault(lc.MaxConnsPerAddr, DefaultMaxConnsPerAddr),
		lc.ConnLimitExempt, s.metrics.connRefused)
	scheme := "http"
	handler := s.handler
	if lc.TLS != nil {
		scheme = "https"
		ln = tls.NewListener(ln, lc.TLS)
		handler = restoreTLS(handler)
	}
	maxHeader := orDefault(lc.MaxHeaderBytes, DefaultMaxHeaderBytes)
	// Above TLS, so that it reads the requests (requestline.go).
	ln = requestLineListener{Listener: ln, maxHead: maxHeader + 4096}
	url := scheme + "://" + ln.Addr().String()
	// Ready runs before the address file appears: waiters treat the file as
	// "started", so whatever Ready writes (bootstrap.json) must be there by
	// then.
	if lc.Ready != nil {
		lc.Ready(url)
	}
	if lc.DataDir != "" {
		if err := os.WriteFile(filepath.Join(lc.DataDir, AddressFile), []byte(url+"\n"), 0o644); err != nil {
			_ = ln.Close()
			return fmt.Errorf("write address file: %w", err)
		}
	}
	hs := &http.Server{
		Handler:           handler,
		ConnContext:       withConn,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	timeout := lc.ShutdownTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Listen binds addr for Serve. A port in use says how to pick another.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: the port is in use (another tokend?): pick another with --addr, e.g. --addr 127.0.0.1:0 for any free port (the URL is printed and written to the data directory's address file)", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (set the address with --addr host:port)", addr, err)
	}
	return ln, nil
}

// ReservedSegments are first path segments that name surfaces, served or
// to come (managed identity, OIDC userinfo, Playwright Workspaces, the
// console, the management API, ARM locations): no tenant is reached by
// them, so a surface added later never changes what an existing URL
// means. "common", "organizations", "consumers" and "adfs" stay tenant
// aliases.
var ReservedSegments = []string{
	"subscriptions", "providers", "tenants", "playwright", "healthz", "readyz", "metrics", "ca.pem",
	"metadata", "msi", "oidc", "accounts", "playwrightworkspaces", "console", "admin", "locations",
}

var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range ReservedSegments {
		m[s] = true
	}
	return m
}()
