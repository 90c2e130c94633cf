package pipeline

import (
	"context"
	"net/http"
)

// Chain runs several policies' hooks as one, in order: the first refusal
// (Admit, Authenticated) wins; Done and Header run for each.
func Chain(list ...Hooks) Hooks {
	var out Hooks
	for _, h := range list {
		out.Admit = chainAdmit(out.Admit, h.Admit)
		out.Authenticated = chainAuthenticated(out.Authenticated, h.Authenticated)
		out.Done = chainDone(out.Done, h.Done)
		out.Header = chainHeader(out.Header, h.Header)
	}
	return out
}

func chainAdmit(a, b func(context.Context, *http.Request) error) func(context.Context, *http.Request) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(ctx context.Context, r *http.Request) error {
		if err := a(ctx, r); err != nil {
			return err
		}
		return b(ctx, r)
	}
}

func chainAuthenticated(a, b func(context.Context, *Request) error) func(context.Context, *Request) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(ctx context.Context, r *Request) error {
		if err := a(ctx, r); err != nil {
			return err
		}
		return b(ctx, r)
	}
}

func chainDone(a, b func(context.Context, *Request, int)) func(context.Context, *Request, int) {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(ctx context.Context, r *Request, status int) {
		a(ctx, r, status)
		b(ctx, r, status)
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
