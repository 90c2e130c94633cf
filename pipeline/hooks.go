package pipeline

import (
	"context"
	"errors"
	"net/http"
)

// Chain runs several policies' hooks as one, in order: the first refusal
// (Admit, Authenticated) wins; Done and Header run for each, and Done
// fails when any of them does.
func Chain(list ...Hooks) Hooks {
	var out Hooks
	for _, h := range list {
		out.Admit = chainChecks(out.Admit, h.Admit)
		out.Authenticated = chainChecks(out.Authenticated, h.Authenticated)
		out.Done = chainDone(out.Done, h.Done)
		out.Header = chainHeader(out.Header, h.Header)
	}
	return out
}

// chainChecks runs a, then b unless a refused.
func chainChecks[T any](a, b func(context.Context, T) error) func(context.Context, T) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(ctx context.Context, v T) error {
		if err := a(ctx, v); err != nil {
			return err
		}
		return b(ctx, v)
	}
}

func chainDone(a, b func(context.Context, *Request, int) error) func(context.Context, *Request, int) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(ctx context.Context, r *Request, status int) error {
		return errors.Join(a(ctx, r, status), b(ctx, r, status))
	}
}

func chainHeader(a, b func(http.Header)) func(http.Header) {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(h http.Header) {
		a(h)
		b(h)
	}
}
