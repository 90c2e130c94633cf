package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// The opt-in profiling endpoint (serve --pprof-addr): Go's pprof handlers
// on a listener of their own, never on the served port, and only on a
// loopback address, since profiles expose internals (and a CPU profile
// costs CPU). `tokend bench --server-profile` uses it.
func init() {
	features = append(features, func(ctx context.Context, d *deps) error {
		if d.flags.pprofAddr == "" {
			return nil
		}
		return startPprof(ctx, d.flags.pprofAddr, d)
	})
}

func startPprof(ctx context.Context, addr string, d *deps) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--pprof-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--pprof-addr %q: only a loopback address is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.app.log.Warn("pprof server stopped", "err", err.Error())
		}
	}()
	go func() {
		<-ctx.Done()
		_ = hs.Close()
	}()
	d.app.log.Info("pprof listening", "addr", ln.Addr().String())
	return nil
}
