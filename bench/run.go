package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Options configure a run.
type Options struct {
	// Executable is the tokend binary to start (the running one).
	Executable string
	// Remote, when its URL is set, targets a running tokend instead.
	Remote RemoteSpec
	// Engines to run on: "sqlite", "postgres".
	Engines []string
	// Postgres is the base URL a fresh schema is created in.
	Postgres string
	// PostgresOptional skips the PostgreSQL runs (reported as skipped)
	// when the server does not answer, instead of failing.
	PostgresOptional bool
	// Nodes lists the cluster sizes to run on PostgreSQL (SQLite runs one
	// node: it cannot be shared).
	Nodes     []int
	Workers   int
	Warmup    time.Duration
	Duration  time.Duration
	SignTime  time.Duration
	Scenarios []Scenario
	Seeds     Seeds
	// OpenStore opens a stopped cluster's storage for bulk seeding; nil
	// seeds over HTTP.
	OpenStore OpenStore
	// ServeArgs go to every started `tokend serve`.
	ServeArgs []string
	// ProfileDir, when set, receives a CPU profile of node 0 for every
	// scenario's measured window (<config>-<scenario>.pprof).
	ProfileDir string
	// Log receives progress lines.
	Log io.Writer
}

// OpenStore opens storage the way `tokend serve` would for the data
// directory, database URL and key-encryption key, and returns a Seeder and
// a function that closes it.
type OpenStore func(ctx context.Context, dataDir, database, masterKey string) (Seeder, func() error, error)

// Result is one scenario on one configuration.
type Result struct {
	Engine   string `json:"engine"`
	Nodes    int    `json:"nodes"`
	Scenario string `json:"scenario"`
	Target   string `json:"target,omitempty"`
	// Status is "ok", "skipped" (provider not available, or an engine
	// that could not be reached and was optional) or "failed".
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	LoadResult
	// Server is the tokend processes' summed usage (absent for a remote
	// target); Client is this process's (the load generator).
	Server *ProcUsage `json:"server,omitempty"`
	Client ProcUsage  `json:"client"`
	Bound  Bound      `json:"bound"`
	// Alg is the issuer's signing algorithm (from its tokens).
	Alg string `json:"alg,omitempty"`
	// Ceiling is the physical bound in requests/s (Ceiling.For), and
	// OfCeiling the fraction of it reached.
	Ceiling   float64 `json:"ceiling_rps"`
	OfCeiling float64 `json:"of_ceiling"`
}

// Label names the configuration: engine, and node count when clustered.
func (r *Result) Label() string {
	if r.Nodes > 1 {
		return fmt.Sprintf("%s×%d", r.Engine, r.Nodes)
	}
	return r.Engine
}

// Report is a whole run, as written with --json.
type Report struct {
	Date     time.Time `json:"date"`
	Command  string    `json:"command"`
	Machine  Machine   `json:"machine"`
	Workers  int       `json:"workers"`
	Warmup   Duration  `json:"warmup"`
	Duration Duration  `json:"duration"`
	Seeds    Seeds     `json:"seeds"`
	Ceiling  Ceiling   `json:"ceiling"`
	Results  []*Result `json:"results"`
	// Elapsed is the whole run's wall time.
	Elapsed Duration `json:"elapsed"`
}

// Failed reports whether any scenario failed or saw an error.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == "failed" || res.Errors > 0 {
			return true
		}
	}
	return false
}

// Run measures the ceiling, then every scenario on every configuration.
func Run(ctx context.Context, o Options) (*Report, error) {
	start := time.Now()
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	rep := &Report{Date: start.UTC(), Machine: readMachine(), Workers: o.Workers,
		Warmup: Duration(o.Warmup), Duration: Duration(o.Duration), Seeds: o.Seeds}
	rep.Command = commandLine()

	logf("ceiling: signing (%s per algorithm and operation, one goroutine)", o.SignTime)
	sign, err := measureSigning(ctx, o.SignTime)
	if err != nil {
		return rep, fmt.Errorf("ceiling: %w", err)
	}
	spec := LoadSpec{Workers: o.Workers, Warmup: o.Warmup, Duration: o.Duration}
	logf("ceiling: bare HTTPS round trip (%d workers, %s + %s warm-up)", o.Workers, o.Duration, o.Warmup)
	https, cores, err := measureHTTPS(ctx, spec, o.Workers)
	if err != nil {
		return rep, fmt.Errorf("ceiling: %w", err)
	}
	rep.Ceiling = Ceiling{Cores: runtime.NumCPU(), Sign: sign, HTTPS: https, HTTPSCores: cores}
	logf("ceiling: HTTPS %.0f req/s, p50 %s, p99 %s", https.Throughput, fmtDur(https.Latency.P50), fmtDur(https.Latency.P99))

	for _, cfg := range configs(o) {
		if ctx.Err() != nil {
			break
		}
		results := runConfig(ctx, o, cfg, &rep.Ceiling, logf)
		rep.Results = append(rep.Results, results...)
	}
	rep.Machine.LoadAfter = loadAverage()
	rep.Elapsed = Duration(time.Since(start))
	if ctx.Err() != nil {
		return rep, fmt.Errorf("run stopped: %w", context.Cause(ctx))
	}
	return rep, nil
}

// config is one engine and cluster size.
type config struct {
	engine string
	nodes  int
}

func configs(o Options) []config {
	if o.Remote.URL != "" {
		return []config{{engine: "remote", nodes: 1}}
	}
	var out []config
	for _, e := range o.Engines {
		if e != "postgres" {
			out = append(out, config{engine: e, nodes: 1})
			continue
		}
		for _, n := range o.Nodes {
			out = append(out, config{engine: e, nodes: n})
		}
	}
	return out
}

// runConfig starts the configuration's servers, sets up and runs every
// scenario, and stops them. A failure before the scenarios run fails each
// of them with the reason.
func runConfig(ctx context.Context, o Options, cfg config, ceil *Ceiling, logf func(string, ...any)) []*Result {
	label := cfg.engine
	if cfg.nodes > 1 {
		label = fmt.Sprintf("%s×%d", cfg.engine, cfg.nodes)
	}
	all := func(status, reason string) []*Result {
		var out []*Result
		for _, s := range o.Scenarios {
			out = append(out, &Result{Engine: cfg.engine, Nodes: cfg.nodes, Scenario: s.Name(),
				Target: s.Target(), Bound: s.Bound(), Status: status, Reason: reason})
		}
		return out
	}
	logf("%s: starting", label)
	target, cleanup, err := startTarget(ctx, o, cfg)
	if err != nil {
		if errors.Is(err, errOptionalEngine) {
			logf("%s: skipped: %v", label, err)
			return all("skipped", err.Error())
		}
		logf("%s: %v", label, err)
		return all("failed", err.Error())
	}
	defer cleanup()

	env := &Env{Target: target, BaseURL: target.BaseURL, Client: target.Client, Group: "tokend-bench",
		Seeds: o.Seeds, Workers: o.Workers, tokens: map[string]string{}, fixtures: map[string]any{},
		Log: func(format string, args ...any) { logf("%s: "+format, append([]any{label}, args...)...) }}
	alg, err := prepareEnv(ctx, env)
	if err != nil {
		logf("%s: %v\n%s", label, err, target.Output())
		return all("failed", err.Error())
	}

	scenarios := fresh(o.Scenarios)
	results := make([]*Result, len(scenarios))
	for i, s := range scenarios {
		results[i] = &Result{Engine: cfg.engine, Nodes: cfg.nodes, Scenario: s.Name(), Target: s.Target(),
			Bound: s.Bound(), Alg: alg, Status: "ok"}
	}
	settle := func(i int, err error) bool {
		if err == nil {
			return true
		}
		if errors.Is(err, ErrNotAvailable) {
			results[i].Status, results[i].Reason = "skipped", "not available: "+err.Error()
		} else {
			results[i].Status, results[i].Reason = "failed", err.Error()
		}
		logf("%s: %s: %s", label, scenarios[i].Name(), results[i].Reason)
		return false
	}

	// Bulk seeding: parents over HTTP, rows straight into storage while the
	// servers are stopped (or over HTTP for a remote target).
	var seeded []int
	for i, s := range scenarios {
		if b, ok := s.(BulkSeeded); ok && settle(i, b.Prepare(ctx, env)) {
			seeded = append(seeded, i)
		}
	}
	if len(seeded) > 0 {
		err := seed(ctx, o, env, scenarios, seeded, logf, label)
		for _, i := range seeded {
			settle(i, err)
		}
	}

	for i, s := range scenarios {
		if results[i].Status != "ok" || ctx.Err() != nil {
			continue
		}
		if !settle(i, s.Setup(ctx, env)) {
			continue
		}
		measure(ctx, o, env, s, results[i], ceil, label)
		r := results[i]
		logf("%s: %-12s %8.0f req/s  p50 %-8s p99 %-8s errors %d", label, s.Name(), r.Throughput,
			fmtDur(r.Latency.P50), fmtDur(r.Latency.P99), r.Errors)
		if r.Errors > 0 {
			for _, e := range r.ErrorSamples {
				logf("%s: %s: error: %s", label, s.Name(), e)
			}
		}
	}
	return results
}

var errOptionalEngine = errors.New("PostgreSQL does not answer")

// startTarget starts (or connects to) the configuration's servers and
// returns a cleanup that stops them and drops what was created.
func startTarget(ctx context.Context, o Options, cfg config) (*Target, func(), error) {
	if cfg.engine == "remote" {
		spec := o.Remote
		spec.Workers = o.Workers
		t, err := Remote(spec)
		if err != nil {
			return nil, nil, err
		}
		return t, func() { t.Client.CloseIdleConnections() }, nil
	}
	spec := LocalSpec{Executable: o.Executable, Engine: cfg.engine, Nodes: cfg.nodes, Workers: o.Workers,
		ExtraArgs: o.ServeArgs, Pprof: o.ProfileDir != ""}
	var schema *pgSchema
	if cfg.engine == "postgres" {
		if err := pingPostgres(ctx, o.Postgres); err != nil {
			if o.PostgresOptional {
				return nil, nil, fmt.Errorf("%w at %s: %v", errOptionalEngine, redactURL(o.Postgres), err)
			}
			return nil, nil, fmt.Errorf("PostgreSQL at %s: %w", redactURL(o.Postgres), err)
		}
		var err error
		if schema, err = createSchema(ctx, o.Postgres); err != nil {
			return nil, nil, err
		}
		spec.Database = schema.URL
	}
	t, err := StartLocal(ctx, spec)
	if err != nil {
		if schema != nil {
			_ = schema.drop()
		}
		return nil, nil, err
	}
	return t, func() {
		t.Close()
		if schema != nil {
			if err := schema.drop(); err != nil && o.Log != nil {
				fmt.Fprintf(o.Log, "drop schema: %v\n", err)
			}
		}
	}, nil
}

// prepareEnv signs in, finds the subscription and creates the bench
// resource group; it returns the issuer's signing algorithm.
func prepareEnv(ctx context.Context, env *Env) (string, error) {
	alg, err := issuerAlg(ctx, env)
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	env.Subscription = env.Target.Boot.SubscriptionID
	if env.Subscription == "" {
		if env.Subscription, err = firstSubscription(ctx, env); err != nil {
			return "", err
		}
	}
	if !env.Target.Local {
		// A shared server: a group of our own, removed afterwards.
		env.Group = "tokend-bench-" + randomSuffix()
	}
	path := "/subscriptions/" + env.Subscription + "/resourcegroups/" + env.Group + "?api-version=2021-04-01"
	if _, err := env.PutARM(ctx, path, map[string]any{"location": "eastus"}); err != nil {
		return "", fmt.Errorf("create resource group: %w", err)
	}
	return alg, nil
}

func firstSubscription(ctx context.Context, env *Env) (string, error) {
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return "", err
	}
	b, _, err := env.Call(ctx, http.MethodGet, "/subscriptions?api-version=2022-12-01", nil, tok)
	if err != nil {
		return "", fmt.Errorf("list subscriptions: %w", err)
	}
	var list struct {
		Value []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"value"`
	}
	if err := json.Unmarshal(b, &list); err != nil || len(list.Value) == 0 {
		return "", fmt.Errorf("the client sees no subscription: set AZURE_SUBSCRIPTION_ID")
	}
	return list.Value[0].SubscriptionID, nil
}

// seed stops the servers, seeds the bulk scenarios through storage and
// restarts them (or seeds over HTTP when the target is remote or no
// OpenStore was given).
func seed(ctx context.Context, o Options, env *Env, scenarios []Scenario, idx []int, logf func(string, ...any), label string) error {
	t := env.Target
	if !t.Local || o.OpenStore == nil {
		s := remoteSeeder(env)
		for _, i := range idx {
			if err := scenarios[i].(BulkSeeded).Seed(ctx, env, s); err != nil {
				return err
			}
		}
		return nil
	}
	logf("%s: stopping the servers to seed storage directly", label)
	t.Stop()
	s, closeStore, err := o.OpenStore(ctx, t.DataDir(), t.Database, t.MasterKey)
	if err != nil {
		return fmt.Errorf("open storage for seeding: %w", err)
	}
	for _, i := range idx {
		if err = scenarios[i].(BulkSeeded).Seed(ctx, env, s); err != nil {
			break
		}
	}
	if cerr := closeStore(); err == nil && cerr != nil {
		err = fmt.Errorf("close storage after seeding: %w", cerr)
	}
	if err != nil {
		return err
	}
	if err := t.Restart(ctx); err != nil {
		return err
	}
	return nil
}

// measure runs one scenario's load and fills r.
func measure(ctx context.Context, o Options, env *Env, s Scenario, r *Result, ceil *Ceiling, label string) {
	runtime.GC() // the load generator's garbage from setup is not the scenario's
	spec := LoadSpec{Workers: o.Workers, Warmup: o.Warmup, Duration: o.Duration}
	var srv *procWatch
	if env.Target.Local {
		srv = watchProcs(env.Target.PIDs())
	}
	self := watchProcs([]int{0})
	// Start the CPU window after the warm-up: the watchers sample at the
	// window's edges.
	var res LoadResult
	done := make(chan struct{})
	go func() {
		defer close(done)
		res = runLoad(ctx, env.Client, spec, s.Next)
	}()
	select {
	case <-time.After(o.Warmup):
		if srv != nil {
			srv = watchProcs(env.Target.PIDs())
		}
		self = watchProcs([]int{0})
	case <-done:
	}
	profiled := make(chan error, 1)
	if addr := env.Target.PprofAddr(); addr != "" && o.ProfileDir != "" {
		path := filepath.Join(o.ProfileDir, strings.ReplaceAll(label, "×", "x")+"-"+s.Name()+".pprof")
		go func() { profiled <- fetchProfile(ctx, addr, o.Duration, path) }()
	} else {
		profiled <- nil
	}
	timer := time.NewTimer(o.Duration)
	var su, cu ProcUsage
	var sok bool
	select {
	case <-timer.C:
		if srv != nil {
			su, sok = srv.stop()
		}
		cu, _ = self.stop()
		<-done
	case <-done:
		timer.Stop()
		if srv != nil {
			su, sok = srv.stop()
		}
		cu, _ = self.stop()
	}
	if err := <-profiled; err != nil && o.Log != nil {
		fmt.Fprintf(o.Log, "%s: %s: CPU profile: %v\n", label, s.Name(), err)
	}
	r.LoadResult = res
	r.Client = cu
	if sok {
		r.Server = &su
	}
	r.Ceiling = ceil.For(s.Bound(), r.Alg)
	if r.Ceiling > 0 {
		r.OfCeiling = r.Throughput / r.Ceiling
	}
	if res.Errors > 0 {
		r.Status = "failed"
		r.Reason = fmt.Sprintf("%d requests failed", res.Errors)
	}
}

func randomSuffix() string {
	return fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)
}

func commandLine() string {
	args := append([]string{"tokend"}, os.Args[1:]...)
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}

// fetchProfile saves a CPU profile of d (whole seconds, at least one) from
// a node's pprof endpoint.
func fetchProfile(ctx context.Context, addr string, d time.Duration, path string) error {
	secs := max(1, int(d/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: d + time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
