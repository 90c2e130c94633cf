package bench

import (
	"context"
	"net/http"
)

// armGet is an authenticated ARM read with a cached token: GET of the bench
// resource group. It measures the bearer check (a cache hit after the
// first request), RBAC, the pipeline and one storage read.
type armGet struct {
	url, token string
}

func (*armGet) Name() string   { return "arm-get" }
func (*armGet) Target() string { return "bearer check ≤ 10 µs (cache hit)" }
func (*armGet) Bound() Bound   { return BoundHTTPS }

func (s *armGet) Setup(ctx context.Context, env *Env) error {
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return err
	}
	s.token = tok
	s.url = env.BaseURL + "/subscriptions/" + env.Subscription + "/resourcegroups/" + env.Group + "?api-version=2021-04-01"
	_, _, err = env.Call(ctx, http.MethodGet, s.url, nil, tok)
	return err
}

func (s *armGet) Next(ctx context.Context, _ int) (*http.Request, error) {
	return bearer(ctx, http.MethodGet, s.url, s.token, nil)
}
