package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Scenario is one measured operation.
type Scenario interface {
	// Name is the scenario's --scenarios name.
	Name() string
	// Target is the figure the issues set for it, for the report ("" when
	// none).
	Target() string
	// Bound is what limits it physically (see Ceiling.For).
	Bound() Bound
	// Setup creates what the requests need, against the live server.
	// ErrNotAvailable skips the scenario.
	Setup(ctx context.Context, env *Env) error
	// Next builds a worker's next request. Called concurrently with
	// distinct worker numbers.
	Next(ctx context.Context, worker int) (*http.Request, error)
}

// Observer is a scenario whose next request depends on the previous
// answer (a refresh token's successor): it sees every 2xx body, on the
// worker's goroutine, before that worker's next Next. The body is the
// worker's buffer, good only during the call: keep copies, not slices.
type Observer interface {
	Scenario
	Observe(worker int, body []byte)
}

// BulkSeeded is a scenario whose data is too large to create over HTTP in
// reasonable time. The run calls Prepare (live server: create the parent
// resources), stops the server, calls Seed with storage opened directly,
// restarts the server, then calls Setup. Against a remote target, Seed gets
// a Seeder that goes over HTTP instead.
type BulkSeeded interface {
	Scenario
	Prepare(ctx context.Context, env *Env) error
	Seed(ctx context.Context, env *Env, s Seeder) error
}

// Scenarios returns every scenario in report order.
func Scenarios() []Scenario {
	return []Scenario{
		&tokenIssue{},
		&tokenCert{},
		&tokenMI{},
		&tokenRefresh{},
		&tokenCode{},
		&armGet{},
		&getAuthtoken{},
		&caPut{},
		&pwCreate{},
		&pwList{},
		&pwList{page: 50},
		&apimGet{},
		&apimList{},
		&resourcesList{},
	}
}

// SelectScenarios picks scenarios by name (comma-separated); empty selects
// every one.
func SelectScenarios(names string) ([]Scenario, error) {
	all := Scenarios()
	if strings.TrimSpace(names) == "" {
		return all, nil
	}
	byName := map[string]Scenario{}
	var known []string
	for _, s := range all {
		byName[s.Name()] = s
		known = append(known, s.Name())
	}
	var out []Scenario
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		s, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", n, strings.Join(known, ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

// fresh returns new instances of the scenarios (they hold per-run state).
func fresh(list []Scenario) []Scenario {
	byName := map[string]Scenario{}
	for _, s := range Scenarios() {
		byName[s.Name()] = s
	}
	out := make([]Scenario, len(list))
	for i, s := range list {
		out[i] = byName[s.Name()]
	}
	return out
}

// bearer builds a GET-style request with a bearer token and optional JSON
// body, the shape of every scenario's request.
func bearer(ctx context.Context, method, url, token string, body []byte) (*http.Request, error) {
	var req *http.Request
	var err error
	if body == nil {
		req, err = http.NewRequestWithContext(ctx, method, url, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	}
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

// checkOnce sends one request of s, so that a refusal fails the setup with
// its answer rather than the run with a wall of errors; any 2xx passes.
func checkOnce(ctx context.Context, env *Env, s Scenario) error {
	req, err := s.Next(ctx, 0)
	if err != nil {
		return err
	}
	status, b, _, err := env.send(req)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return &apiError{Method: req.Method, Path: req.URL.Path, Status: status, Body: clip(b)}
	}
	return nil
}
