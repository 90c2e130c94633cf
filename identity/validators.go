package identity

import (
	"context"
	"sync"
	"sync/atomic"
)

// Validator is a provider's check run on every authentication and
// introspection of a token, cache hit or not, after the signature and times
// have been checked. Returning an error refuses the token; the error's text
// becomes part of the message the client sees, so it must not carry
// secrets. A provider uses it to refuse tokens bound to a resource that has
// since been deleted.
type Validator func(ctx context.Context, c *Claims) error

// validators is a copy-on-write list: registration is rare, the hot path
// reads it without a lock.
type validators struct {
	mu   sync.Mutex
	list atomic.Pointer[[]Validator]
}

func (v *validators) add(f Validator) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var next []Validator
	if cur := v.list.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, f)
	v.list.Store(&next)
}

func (v *validators) run(ctx context.Context, c *Claims) error {
	cur := v.list.Load()
	if cur == nil {
		return nil
	}
	for _, f := range *cur {
		if err := f(ctx, c); err != nil {
			return err
		}
	}
	return nil
}
