package bench

import (
	"context"
	"net/http"
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
