package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
)

const apimAPI = "2024-05-01"

// apimFixture is one APIM service with Seeds.APIMServers authorization
// servers, created over HTTP (10,000 PUTs take seconds; no bulk path
// needed). Both APIM scenarios share it.
type apimFixture struct {
	once  sync.Once
	err   error
	path  string // the service's ARM path
	names []string
}

func (f *apimFixture) setup(ctx context.Context, env *Env) error {
	f.once.Do(func() { f.err = f.create(ctx, env) })
	return f.err
}

func (f *apimFixture) create(ctx context.Context, env *Env) error {
	f.path = env.armPath("/providers/Microsoft.ApiManagement/service/bench-apim")
	svc := map[string]any{
		"location": "eastus",
		"sku":      map[string]any{"name": "Developer", "capacity": 1},
		"properties": map[string]any{
			"publisherEmail": "a@b.c",
			"publisherName":  "x",
		},
	}
	if _, err := env.PutARM(ctx, f.path+"?api-version="+apimAPI, svc); err != nil {
		return err
	}
	n := env.Seeds.APIMServers
	f.names = make([]string, n)
	env.Log("  seeding %d APIM authorization servers over HTTP", n)
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return err
	}
	err = parallel(ctx, n, env.Workers*2, func(ctx context.Context, i int) error {
		name := apimServerName(i)
		f.names[i] = name
		body := map[string]any{"properties": map[string]any{
			"displayName":                apimDisplayName(i),
			"clientRegistrationEndpoint": "https://contoso.example/register",
			"authorizationEndpoint":      "https://contoso.example/authorize",
			"clientId":                   fmt.Sprintf("client-%06d", i),
			"grantTypes":                 []string{"authorizationCode", "clientCredentials"},
		}}
		_, _, err := env.Call(ctx, http.MethodPut, f.path+"/authorizationServers/"+name+"?api-version="+apimAPI, body, tok)
		return notAvailable(err)
	})
	if err != nil {
		return err
	}
	return env.Analyzed(ctx)
}

// apimServerName spreads names over a few prefixes so a startswith filter
// selects a realistic share (a quarter).
func apimServerName(i int) string {
	prefix := [...]string{"ci", "dev", "prod", "test"}[i%4]
	return fmt.Sprintf("%s-auth-%06d", prefix, i)
}

func apimDisplayName(i int) string {
	team := [...]string{"Payments", "Search", "Identity", "Billing", "Catalog"}[i%5]
	return fmt.Sprintf("%s OAuth %06d", team, i)
}

// apimGet is GET of one authorization server, a different one each request.
type apimGet struct {
	base, token string
	names       []string
	next        atomic.Uint64
}

func (*apimGet) Name() string   { return "apim-get" }
func (*apimGet) Target() string { return "≥ 8,000/s" }
func (*apimGet) Bound() Bound   { return BoundHTTPS }

func (s *apimGet) Setup(ctx context.Context, env *Env) error {
	f := fixture(env, "apim", func() *apimFixture { return &apimFixture{} })
	if err := f.setup(ctx, env); err != nil {
		return err
	}
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return err
	}
	s.token, s.names = tok, f.names
	s.base = env.BaseURL + f.path + "/authorizationServers/"
	_, _, err = env.Call(ctx, http.MethodGet, s.url(0), nil, tok)
	return err
}

func (s *apimGet) url(i uint64) string {
	return s.base + s.names[i%uint64(len(s.names))] + "?api-version=" + apimAPI
}

func (s *apimGet) Next(ctx context.Context, _ int) (*http.Request, error) {
	return bearer(ctx, http.MethodGet, s.url(s.next.Add(1)), s.token, nil)
}

// apimList is the authorization-server list with $filter and $top=100 over
// the service's Seeds.APIMServers servers.
type apimList struct {
	url, token string
}

func (*apimList) Name() string   { return "apim-list" }
func (*apimList) Target() string { return "p99 ≤ 20 ms over 10,000" }
func (*apimList) Bound() Bound   { return BoundHTTPS }

// apimListQuery is the common list: a name prefix (a quarter of the
// servers), the first 100. (Adding "and contains(displayName,'OAuth')" was
// 30 times slower on SQLite when first measured: see docs/performance.md.)
var apimListQuery = url.Values{
	"api-version": {apimAPI},
	"$filter":     {"startswith(name,'ci')"},
	"$top":        {"100"},
}.Encode()

func (s *apimList) Setup(ctx context.Context, env *Env) error {
	f := fixture(env, "apim", func() *apimFixture { return &apimFixture{} })
	if err := f.setup(ctx, env); err != nil {
		return err
	}
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return err
	}
	s.token = tok
	s.url = env.BaseURL + f.path + "/authorizationServers?" + apimListQuery
	b, _, err := env.Call(ctx, http.MethodGet, s.url, nil, tok)
	if err != nil {
		return err
	}
	var page struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return fmt.Errorf("list authorization servers: %w", err)
	}
	if want := min(100, (env.Seeds.APIMServers+3)/4); len(page.Value) != want {
		return fmt.Errorf("list authorization servers: %d items, want %d", len(page.Value), want)
	}
	return nil
}

func (s *apimList) Next(ctx context.Context, _ int) (*http.Request, error) {
	return bearer(ctx, http.MethodGet, s.url, s.token, nil)
}
