package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveLoopback serves h over plain HTTP on a loopback address (flag names
// the setting, for errors) until ctx is done, and returns the address
// bound. Operator endpoints live there, never on the served port.
func serveLoopback(ctx context.Context, flag, addr string, h http.Handler, log *slog.Logger) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", flag, addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("%s %q: only a loopback address is allowed", flag, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("listener stopped", "flag", flag, "err", err.Error())
		}
	}()
	go func() {
		<-ctx.Done()
		_ = hs.Close()
	}()
	bound := ln.Addr().String()
	log.Info("operator listener open", "flag", flag, "addr", bound)
	return bound, nil
}
