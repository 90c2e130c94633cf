package testkit

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/resources"
	"github.com/tokend-dev/tokend/server"
)

// Stack is tokend's handler tree over providers, composed as package app
// composes it (ARM with Microsoft.Resources and the providers' routes,
// each data plane on its own router, the server's top-level routing and
// middleware) but with the authenticator and authorizer a test chooses,
// and no issuer behind the tenant paths unless Fallback is set.
type Stack struct {
	Store     tokend.Store
	Providers []*pipeline.Provider
	// Options are the pipelines' shared options (authenticator,
	// authorizer, limits); ARM the ARM surface's.
	Options pipeline.Options
	ARM     arm.Config
	// GroupPageSize sets Microsoft.Resources' page size (0: its default).
	GroupPageSize int
	// Resources, if set, configures Microsoft.Resources (its Store,
	// GroupPageSize and group hooks are filled in).
	Resources *resources.Config
	// Fallback serves the tenant paths (identity's handler).
	Fallback http.Handler
	// Mounts are further surfaces by first path segment (identity's
	// "oidc").
	Mounts map[string]http.Handler
	// Log receives what the pipelines and the server log (nil: discarded).
	Log io.Writer
}

// Handler composes the stack.
func (s Stack) Handler(t testing.TB) http.Handler {
	t.Helper()
	w := s.Log
	if w == nil {
		w = io.Discard
	}
	logger := slog.New(slog.NewTextHandler(w, nil))
	opts := s.Options
	if opts.Logger == nil {
		opts.Logger = logger
	}
	cfg := s.ARM
	cfg.Store = s.Store
	rt, surface := arm.NewRouter(cfg, &opts)
	rc := resources.Config{}
	if s.Resources != nil {
		rc = *s.Resources
	}
	rc.Store, rc.GroupPageSize, rc.OnGroupDelete, rc.Now = s.Store, s.GroupPageSize, pipeline.GroupDeleteHooks(s.Providers), cfg.Now
	rc.Providers = s.Providers
	groups := resources.New(rc)
	mounts, err := surface.Mount(rt, &opts, append([]*pipeline.Provider{groups}, s.Providers...)...)
	if err != nil {
		t.Fatalf("mount providers: %v", err)
	}
	for seg, h := range s.Mounts {
		mounts[seg] = h
	}
	// Tests read /metrics over HTTP: the kit exposes it on the served port.
	return server.New(server.Options{Logger: logger, Store: s.Store, Mounts: mounts, Fallback: s.Fallback, PublicMetrics: true}).Handler()
}

// Serve serves the stack over TLS until the test ends.
func (s Stack) Serve(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(s.Handler(t))
	t.Cleanup(srv.Close)
	return srv
}

// ServePlain serves the stack over plain HTTP until the test ends.
func (s Stack) ServePlain(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(s.Handler(t))
	t.Cleanup(srv.Close)
	return srv
}
