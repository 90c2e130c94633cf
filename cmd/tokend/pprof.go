package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
)

// The opt-in profiling endpoint (serve --pprof-addr): Go's pprof handlers
// on a listener of their own, never on the served port, and only on a
// loopback address, since profiles expose internals (and a CPU profile
// costs CPU). `tokend bench --server-profile` uses it.

func startPprof(ctx context.Context, addr string, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	_, err := serveLoopback(ctx, "--pprof-addr", addr, mux, log)
	return err
}
