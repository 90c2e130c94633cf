package wire

import "context"

// Trace is the per-request record that the outer middleware (logging,
// metrics, panic recovery) reads after the inner handlers filled it in.
type Trace struct {
	RequestID string
	Route     string // bounded label: the route pattern, never the raw path
	Family    Family // error envelope for anything the middleware must answer
	Caller    string // the principal's object id, once authenticated
	// ErrorCode is the error code answered (ARM's code, OAuth's error
	// with its AADSTS number), for the access log: a 401 says why.
	ErrorCode string
}

type traceKey struct{}

// WithTrace attaches t to ctx.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// TraceFrom returns the request's Trace, or a throwaway one so callers never
// need a nil check.
func TraceFrom(ctx context.Context) *Trace {
	if t, ok := ctx.Value(traceKey{}).(*Trace); ok {
		return t
	}
	return &Trace{}
}
