package pipeline

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// Chain runs hooks in order; the first refusal stops the rest of Admit
// and Authenticated, while every Done and Header runs.
func TestChain(t *testing.T) {
	t.Parallel()
	var calls []string
	refuse := errors.New("refused")
	hooks := func(name string, err error) Hooks {
		return Hooks{
			Admit:         func(context.Context, *http.Request) error { calls = append(calls, name+".admit"); return err },
			Authenticated: func(context.Context, *Request) error { calls = append(calls, name+".authn"); return err },
			Done:          func(context.Context, *Request, int) error { calls = append(calls, name+".done"); return err },
			Header:        func(http.Header) { calls = append(calls, name+".header") },
		}
	}
	for _, tc := range []struct {
		name  string
		hooks []Hooks
		err   error
		want  []string
	}{
		{"none", nil, nil, nil},
		{"one, others empty", []Hooks{{}, hooks("a", nil), {}}, nil, []string{"a.admit", "a.authn", "a.done", "a.header"}},
		{"both admit", []Hooks{hooks("a", nil), hooks("b", nil)}, nil,
			[]string{"a.admit", "b.admit", "a.authn", "b.authn", "a.done", "b.done", "a.header", "b.header"}},
		{"first refuses", []Hooks{hooks("a", refuse), hooks("b", nil)}, refuse,
			[]string{"a.admit", "a.authn", "a.done", "b.done", "a.header", "b.header"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls = nil
			h := Chain(tc.hooks...)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			var errs []error
			if h.Admit != nil {
				errs = append(errs, h.Admit(context.Background(), r))
			}
			if h.Authenticated != nil {
				errs = append(errs, h.Authenticated(context.Background(), &Request{HTTP: r}))
			}
			if h.Done != nil {
				// Every Done runs; the chain fails if one did.
				errs = append(errs, h.Done(context.Background(), &Request{HTTP: r}, 200))
			}
			if h.Header != nil {
				h.Header(http.Header{})
			}
			for _, err := range errs {
				if !errors.Is(err, tc.err) {
					t.Errorf("error %v, want %v", err, tc.err)
				}
			}
			if !slices.Equal(calls, tc.want) {
				t.Errorf("calls %v, want %v", calls, tc.want)
			}
		})
	}
}
