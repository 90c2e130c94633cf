package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
	"github.com/tokend-dev/tokend/wire"
)

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument wraps every request: Azure's request-id headers, the per-request
// trace, panic recovery, the access log and the metrics. It is the outermost
// layer, so whatever happens inside is logged and counted once.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := uuid.NewString()
		s.applyDeadlines(w, r)
		h := w.Header()
		setSecurityHeaders(h, r.TLS != nil)
		h.Set("x-ms-request-id", reqID)
		corr := r.Header.Get("x-ms-correlation-request-id")
		if corr == "" {
			corr = reqID
		}
		h.Set("x-ms-correlation-request-id", corr)
		if c := r.Header.Get("x-ms-client-request-id"); c != "" {
			h.Set("x-ms-client-request-id", c)
		}
		if c := r.Header.Get("client-request-id"); c != "" && r.Header.Get("return-client-request-id") == "true" {
			h.Set("client-request-id", c)
		}
		trace := &wire.Trace{RequestID: reqID, Route: "other"}
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(wire.WithTrace(r.Context(), trace))

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", "request_id", reqID, "method", r.Method,
					"path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					wire.WriteError(sw, trace.Family, wire.InternalError(reqID))
				}
			}
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			elapsed := time.Since(start)
			s.metrics.observe(trace.Route, r.Method, sw.status, elapsed)
			if s.accessLog {
				attrs := []slog.Attr{
					slog.String("request_id", reqID),
					slog.String("correlation_id", corr),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("route", trace.Route),
					slog.Int("status", sw.status),
					slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
					slog.String("caller", trace.Caller),
					slog.String("remote", r.RemoteAddr),
				}
				if trace.ErrorCode != "" {
					attrs = append(attrs, slog.String("error_code", trace.ErrorCode))
				}
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
