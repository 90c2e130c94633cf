package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Scopes of the two token audiences the scenarios use.
const (
	armScope        = "https://management.core.windows.net//.default"
	playwrightScope = "https://playwright.microsoft.com/.default"
)

// ErrNotAvailable marks a scenario whose provider this tokend does not serve
// (404 InvalidResourceNamespace on setup): it is reported as skipped.
var ErrNotAvailable = errors.New("not available")

// Env is what scenarios set up against: the target, its credentials, the
// seed sizes and the fixtures scenarios share.
type Env struct {
	Target *Target
	// BaseURL is the logical URL every request addresses.
	BaseURL string
	Client  *http.Client
	// Subscription and Group hold every bench resource.
	Subscription string
	Group        string
	Seeds        Seeds
	// Workers is the number of closed-loop workers (and so of setup
	// requests in flight).
	Workers int
	// Window is how long a scenario's requests run (warm-up and measured
	// time), for scenarios that prepare their requests ahead.
	Window time.Duration
	Log    func(format string, args ...any)

	// analyze refreshes the database's planner statistics after a bulk
	// load (PostgreSQL started by bench; nil otherwise).
	analyze func(ctx context.Context) error

	mu       sync.Mutex
	tokens   map[string]string
	fixtures map[string]any
}

// Analyzed refreshes planner statistics after a bulk load, where bench
// owns the database; a production database's autovacuum does it on its own.
func (e *Env) Analyzed(ctx context.Context) error {
	if e.analyze == nil {
		return nil
	}
	start := time.Now()
	if err := e.analyze(ctx); err != nil {
		return err
	}
	e.Log("  analyzed the database in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// Seeds are the data sizes the scenarios create.
type Seeds struct {
	// PlaywrightTokens is how many access tokens the listed account holds;
	// PlaywrightOtherTokens are spread over PlaywrightOtherAccounts others.
	PlaywrightTokens        int `json:"playwright_tokens"`
	PlaywrightOtherTokens   int `json:"playwright_other_tokens"`
	PlaywrightOtherAccounts int `json:"playwright_other_accounts"`
	// APIMServers is how many authorization servers the listed service holds.
	APIMServers int `json:"apim_servers"`
	// Resources is how many resources the subscription's generic list
	// walks.
	Resources int `json:"resources"`
}

// Token returns an access token for scope, obtained once per Env with the
// client-credentials grant (as azidentity's ClientSecretCredential does).
func (e *Env) Token(ctx context.Context, scope string) (string, error) {
	e.mu.Lock()
	tok, ok := e.tokens[scope]
	e.mu.Unlock()
	if ok {
		return tok, nil
	}
	req, err := e.tokenRequest(ctx, scope)
	if err != nil {
		return "", err
	}
	status, body, _, err := e.send(req)
	if err != nil {
		return "", fmt.Errorf("token for %s: %w", scope, err)
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("token for %s: HTTP %d %s", scope, status, clip(body))
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("token for %s: no access_token in %s", scope, clip(body))
	}
	e.mu.Lock()
	e.tokens[scope] = tr.AccessToken
	e.mu.Unlock()
	return tr.AccessToken, nil
}

// tokenRequest is a client-credentials token request for scope.
func (e *Env) tokenRequest(ctx context.Context, scope string) (*http.Request, error) {
	b := e.Target.Boot
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {b.ClientID},
		"client_secret": {b.ClientSecret},
		"scope":         {scope},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		e.BaseURL+"/"+b.TenantID+"/oauth2/v2.0/token", strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// fixture returns the shared value under name, creating it with make once.
func fixture[T any](e *Env, name string, make func() *T) *T {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.fixtures[name]; ok {
		return v.(*T)
	}
	v := make()
	e.fixtures[name] = v
	return v
}

// apiError is a non-2xx answer, with the Azure error code when there is one.
type apiError struct {
	Method, Path string
	Status       int
	Code         string
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.Path, e.Status, e.Body)
}

// notAvailable turns the answer of a tokend that lacks a provider into
// ErrNotAvailable.
func notAvailable(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound &&
		(ae.Code == "InvalidResourceNamespace" || ae.Code == "InvalidResourceType" || ae.Code == "NoRegisteredProviderFound") {
		return fmt.Errorf("%w (%s)", ErrNotAvailable, ae.Code)
	}
	return err
}

// Call sends one request with a JSON body (nil for none) and bearer token,
// and returns the body of a 2xx answer or an *apiError.
func (e *Env) Call(ctx context.Context, method, target string, body any, token string) ([]byte, http.Header, error) {
	req, err := e.newRequest(ctx, method, target, body, token)
	if err != nil {
		return nil, nil, err
	}
	status, b, h, err := e.send(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, req.URL.Path, err)
	}
	if status/100 != 2 {
		ae := &apiError{Method: method, Path: req.URL.Path, Status: status, Body: clip(b)}
		var env struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &env) == nil {
			ae.Code = env.Error.Code
		}
		return b, h, ae
	}
	return b, h, nil
}

// newRequest builds a request; target is a path (joined to BaseURL) or an
// absolute URL (a nextLink, an async-operation URL).
func (e *Env) newRequest(ctx context.Context, method, target string, body any, token string) (*http.Request, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	u := target
	if !strings.HasPrefix(target, "https://") && !strings.HasPrefix(target, "http://") {
		u = e.BaseURL + target
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

func (e *Env) send(req *http.Request) (int, []byte, http.Header, error) {
	resp, err := e.Client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// PutARM creates or replaces an ARM resource and waits for a long-running
// create to finish (Azure-AsyncOperation or Location polling), returning the
// resource as a GET then shows it.
func (e *Env) PutARM(ctx context.Context, path string, body any) ([]byte, error) {
	tok, err := e.Token(ctx, armScope)
	if err != nil {
		return nil, err
	}
	b, h, err := e.Call(ctx, http.MethodPut, path, body, tok)
	if err != nil {
		return nil, notAvailable(err)
	}
	op := h.Get("Azure-AsyncOperation")
	loc := h.Get("Location")
	if op == "" && loc == "" {
		return b, nil
	}
	if err := e.waitOperation(ctx, op, loc, tok); err != nil {
		return nil, fmt.Errorf("PUT %s: %w", path, err)
	}
	b, _, err = e.Call(ctx, http.MethodGet, path, nil, tok)
	return b, err
}

// waitOperation polls a long-running operation until it ends.
func (e *Env) waitOperation(ctx context.Context, op, loc, tok string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if op != "" {
			b, _, err := e.Call(ctx, http.MethodGet, op, nil, tok)
			if err != nil {
				return err
			}
			var st struct {
				Status string `json:"status"`
			}
			_ = json.Unmarshal(b, &st)
			switch strings.ToLower(st.Status) {
			case "succeeded":
				return nil
			case "failed", "canceled", "cancelled":
				return fmt.Errorf("operation %s: %s", st.Status, clip(b))
			}
		} else {
			req, err := e.newRequest(ctx, http.MethodGet, loc, nil, tok)
			if err != nil {
				return err
			}
			status, b, _, err := e.send(req)
			if err != nil {
				return err
			}
			switch {
			case status == http.StatusOK || status == http.StatusNoContent || status == http.StatusCreated:
				return nil
			case status != http.StatusAccepted:
				return fmt.Errorf("operation: HTTP %d %s", status, clip(b))
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("operation did not finish within 2 minutes")
}

// armPath is a path below the bench resource group.
func (e *Env) armPath(rest string) string {
	return "/subscriptions/" + e.Subscription + "/resourceGroups/" + e.Group + rest
}

// parallel runs fn(i) for i in [0, n) on up to workers goroutines and
// returns the first error (the others stop early).
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// clip shortens a body for an error message.
func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > maxSampleBody {
		s = s[:maxSampleBody] + "…"
	}
	return s
}
