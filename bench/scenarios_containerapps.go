package bench

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
)

// getAuthtoken is Container Apps' getAuthtoken: POST .../containerApps/{app}/getAuthtoken.
// Every request signs a new token for the app.
type getAuthtoken struct {
	url, token string
}

func (*getAuthtoken) Name() string   { return "getauthtoken" }
func (*getAuthtoken) Target() string { return "≥ 3,000/s" }
func (*getAuthtoken) Bound() Bound   { return BoundSign }

const containerAppsAPI = "2025-01-01"

func (s *getAuthtoken) Setup(ctx context.Context, env *Env) error {
	path := env.armPath("/providers/Microsoft.App/containerApps/bench-app")
	body := map[string]any{
		"location": "eastus",
		"properties": map[string]any{
			"template": map[string]any{
				"containers": []map[string]any{{"name": "main", "image": "nginx"}},
			},
		},
	}
	if _, err := env.PutARM(ctx, path+"?api-version="+containerAppsAPI, body); err != nil {
		return err
	}
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return err
	}
	s.token = tok
	s.url = env.BaseURL + path + "/getAuthtoken?api-version=" + containerAppsAPI
	_, _, err = env.Call(ctx, http.MethodPost, s.url, nil, tok)
	return err
}

func (s *getAuthtoken) Next(ctx context.Context, _ int) (*http.Request, error) {
	return bearer(ctx, http.MethodPost, s.url, s.token, nil)
}

// caPut is Container Apps' CreateOrUpdate of a new app each request (PUT
// .../containerApps/{new name}): one validated document written in one
// transaction, no signature. It is the write whose cost synchronous=FULL
// shows most plainly.
type caPut struct {
	base, token string
	body        []byte
	seq         atomic.Uint64
}

func (*caPut) Name() string   { return "ca-put" }
func (*caPut) Target() string { return "" }
func (*caPut) Bound() Bound   { return BoundHTTPS }

func (s *caPut) Setup(ctx context.Context, env *Env) error {
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return err
	}
	s.token = tok
	s.base = env.BaseURL + env.armPath("/providers/Microsoft.App/containerApps/")
	s.body = []byte(`{"location":"eastus","properties":{"template":{"containers":[{"name":"main","image":"nginx"}]}}}`)
	return checkOnce(ctx, env, s)
}

func (s *caPut) Next(ctx context.Context, _ int) (*http.Request, error) {
	name := "put-" + strconv.FormatUint(s.seq.Add(1), 36)
	return bearer(ctx, http.MethodPut, s.base+name+"?api-version="+containerAppsAPI, s.token, s.body)
}
