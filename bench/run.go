package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
	// DBCores is the local PostgreSQL server's CPU over the window (absent
	// for SQLite, which runs inside tokend, and for a remote database).
	DBCores *float64 `json:"db_cores,omitempty"`
	Bound   Bound    `json:"bound"`
	// Alg is the issuer's signing algorithm (from its tokens).
	Alg string `json:"alg,omitempty"`
	// Ceiling is the physical bound in requests/s (Ceiling.For), and
	// OfCeiling the fraction of it reached.
	Ceiling   float64 `json:"ceiling_rps"`
	OfCeiling float64 `json:"of_ceiling"`
	// CPU is the measured CPU price and the rate it allows; OfCeilingCPU
	// compares that rate with the CPU-bound ceiling (Ceiling.ForCPU): the
	// fraction to trust when the machine was shared.
	CPU          CPUCost `json:"cpu"`
	OfCeilingCPU float64 `json:"of_ceiling_cpu,omitempty"`
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
	if cores > 0 {
		rep.Ceiling.HTTPSCPURate = https.Throughput * float64(runtime.NumCPU()) / cores
	}
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

// config is one engine and the cluster sizes to run it at, smallest
// first: the cluster grows between sizes on the same database, so the
// seeded data is reused (seeding a million rows again per size would cost
// more than the measurements).
type config struct {
	engine string
	nodes  []int
}

func configs(o Options) []config {
	if o.Remote.URL != "" {
		return []config{{engine: "remote", nodes: []int{1}}}
	}
	var out []config
	for _, e := range o.Engines {
		nodes := []int{1}
		if e == "postgres" {
			nodes = slices.Sorted(slices.Values(o.Nodes))
			nodes = slices.Compact(nodes)
		}
		out = append(out, config{engine: e, nodes: nodes})
	}
	return out
}

func labelFor(engine string, nodes int) string {
	if nodes > 1 {
		return fmt.Sprintf("%s×%d", engine, nodes)
	}
	return engine
}

// runConfig starts the configuration's servers, seeds, sets up and runs
// every scenario at each cluster size, and stops them. A failure before
// the scenarios run fails each of them with the reason.
func runConfig(ctx context.Context, o Options, cfg config, ceil *Ceiling, logf func(string, ...any)) []*Result {
	var out []*Result
	all := func(nodes []int, status, reason string) []*Result {
		var rs []*Result
		for _, n := range nodes {
			for _, s := range o.Scenarios {
				rs = append(rs, &Result{Engine: cfg.engine, Nodes: n, Scenario: s.Name(),
					Target: s.Target(), Bound: s.Bound(), Status: status, Reason: reason})
			}
		}
		return rs
	}
	label := labelFor(cfg.engine, cfg.nodes[0])
	logf("%s: starting", label)
	target, schema, cleanup, err := startTarget(ctx, o, cfg.engine, cfg.nodes[0])
	if err != nil {
		if errors.Is(err, errOptionalEngine) {
			logf("%s: skipped: %v", label, err)
			return all(cfg.nodes, "skipped", err.Error())
		}
		logf("%s: %v", label, err)
		return all(cfg.nodes, "failed", err.Error())
	}
	defer cleanup()

	env := &Env{Target: target, BaseURL: target.BaseURL, Client: target.Client, Group: "tokend-bench",
		Seeds: o.Seeds, Workers: o.Workers, Window: o.Warmup + o.Duration, tokens: map[string]string{}, fixtures: map[string]any{},
		Log: func(format string, args ...any) { logf("%s: "+format, append([]any{label}, args...)...) }}
	if schema != nil {
		env.analyze = schema.analyze
	}
	alg, err := prepareEnv(ctx, env)
	if err != nil {
		logf("%s: %v\n%s", label, err, target.Output())
		return all(cfg.nodes, "failed", err.Error())
	}
	if !target.Local {
		defer removeGroup(env, logf)
	}

	scenarios := fresh(o.Scenarios)
	// unusable holds the scenarios that failed or were skipped before any
	// measurement (setup, seeding): they stay so at every size.
	unusable := map[int]*Result{}
	settle := func(i int, r *Result, err error) bool {
		if err == nil {
			return true
		}
		if errors.Is(err, ErrNotAvailable) {
			r.Status, r.Reason = "skipped", err.Error()
		} else {
			r.Status, r.Reason = "failed", err.Error()
		}
		logf("%s: %s: %s", label, scenarios[i].Name(), r.Reason)
		return false
	}
	newResult := func(i, nodes int) *Result {
		s := scenarios[i]
		return &Result{Engine: cfg.engine, Nodes: nodes, Scenario: s.Name(), Target: s.Target(),
			Bound: s.Bound(), Alg: alg, Status: "ok"}
	}

	// Bulk seeding: parents over HTTP, rows straight into storage while the
	// servers are stopped (or over HTTP for a remote target).
	var seeded []int
	for i, s := range scenarios {
		if b, ok := s.(BulkSeeded); ok {
			r := newResult(i, cfg.nodes[0])
			if settle(i, r, b.Prepare(ctx, env)) {
				seeded = append(seeded, i)
			} else {
				unusable[i] = r
			}
		}
	}
	if len(seeded) > 0 {
		if err := seed(ctx, o, env, scenarios, seeded, logf, label); err != nil {
			for _, i := range seeded {
				r := newResult(i, cfg.nodes[0])
				settle(i, r, err)
				unusable[i] = r
			}
		}
	}

	for k, nodes := range cfg.nodes {
		label = labelFor(cfg.engine, nodes)
		if k > 0 {
			logf("%s: adding %d node(s) on the same database", label, nodes-cfg.nodes[k-1])
			if err := target.Grow(ctx, nodes); err != nil {
				logf("%s: %v", label, err)
				out = append(out, all(cfg.nodes[k:], "failed", err.Error())...)
				return out
			}
			env.Client = target.Client
		}
		for i, s := range scenarios {
			if u, ok := unusable[i]; ok {
				r := *u
				r.Nodes = nodes
				out = append(out, &r)
				continue
			}
			r := newResult(i, nodes)
			out = append(out, r)
			if ctx.Err() != nil {
				r.Status, r.Reason = "failed", "run stopped: "+context.Cause(ctx).Error()
				continue
			}
			if !settle(i, r, s.Setup(ctx, env)) {
				continue
			}
			measure(ctx, o, env, s, r, ceil, label)
			logf("%s: %-12s %8.0f req/s  p50 %-8s p99 %-8s errors %d", label, s.Name(), r.Throughput,
				fmtDur(r.Latency.P50), fmtDur(r.Latency.P99), r.Errors)
			for _, e := range r.ErrorSamples {
				logf("%s: %s: error: %s", label, s.Name(), e)
			}
		}
	}
	return out
}

var errOptionalEngine = errors.New("PostgreSQL does not answer")

// startTarget starts (or connects to) the configuration's servers and
// returns a cleanup that stops them and drops what was created.
func startTarget(ctx context.Context, o Options, engine string, nodes int) (*Target, *pgSchema, func(), error) {
	if engine == "remote" {
		spec := o.Remote
		spec.Workers = o.Workers
		t, err := Remote(spec)
		if err != nil {
			return nil, nil, nil, err
		}
		return t, nil, func() { t.Client.CloseIdleConnections() }, nil
	}
	spec := LocalSpec{Executable: o.Executable, Engine: engine, Nodes: nodes, Workers: o.Workers,
		ExtraArgs: o.ServeArgs, Pprof: o.ProfileDir != ""}
	var schema *pgSchema
	if engine == "postgres" {
		if err := pingPostgres(ctx, o.Postgres); err != nil {
			if o.PostgresOptional {
				return nil, nil, nil, fmt.Errorf("%w at %s: %v", errOptionalEngine, redactURL(o.Postgres), err)
			}
			return nil, nil, nil, fmt.Errorf("PostgreSQL at %s: %w", redactURL(o.Postgres), err)
		}
		var err error
		if schema, err = createSchema(ctx, o.Postgres); err != nil {
			return nil, nil, nil, err
		}
		spec.Database = schema.URL
	}
	t, err := StartLocal(ctx, spec)
	if err != nil {
		if schema != nil {
			_ = schema.drop()
		}
		return nil, nil, nil, err
	}
	return t, schema, func() {
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

// removeGroup deletes a remote target's bench resource group (and so
// everything the run created), without waiting for the deletion to end.
func removeGroup(env *Env, logf func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := env.Token(ctx, armScope)
	if err == nil {
		_, _, err = env.Call(ctx, http.MethodDelete, "/subscriptions/"+env.Subscription+"/resourcegroups/"+env.Group+"?api-version=2021-04-01", nil, tok)
	}
	if err != nil {
		logf("remove resource group %s: %v", env.Group, err)
	}
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
	if err == nil {
		err = env.Analyzed(ctx)
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
	var pids []int
	if env.Target.Local {
		pids = env.Target.PIDs()
	}
	w := &window{pids: pids}
	if env.Target.Local && env.Target.Engine == "postgres" && isLoopbackDB(env.Target.Database) {
		w.dbComm = "postgres"
	}
	profiled := make(chan error, 1)
	profiled <- nil
	if addr := env.Target.PprofAddr(); addr != "" && o.ProfileDir != "" {
		<-profiled
		path := filepath.Join(o.ProfileDir, strings.ReplaceAll(label, "×", "x")+"-"+s.Name()+".pprof")
		w.onOpen = func() { go func() { profiled <- fetchProfile(ctx, addr, o.Duration, path) }() }
	}
	spec := LoadSpec{Workers: o.Workers, Warmup: o.Warmup, Duration: o.Duration, OnWindow: w.edge}
	if obs, ok := s.(Observer); ok {
		spec.Observe = obs.Observe
	}
	res := runLoad(ctx, env.Client, spec, s.Next)
	if err := <-profiled; err != nil && o.Log != nil {
		fmt.Fprintf(o.Log, "%s: %s: CPU profile: %v\n", label, s.Name(), err)
	}
	r.LoadResult = res
	r.Client = w.client
	if w.serverOK {
		srv := w.server
		r.Server = &srv
	}
	if w.dbOK {
		r.DBCores = &w.dbCores
	}
	r.Ceiling = ceil.For(s.Bound(), r.Alg)
	if r.Ceiling > 0 {
		r.OfCeiling = r.Throughput / r.Ceiling
	}
	r.CPU = cpuCost(res.Throughput, ceil.Cores, r.Server, r.Client, w.dbCores)
	if c := ceil.ForCPU(s.Bound(), r.Alg); c > 0 && r.CPU.Rate > 0 {
		r.OfCeilingCPU = r.CPU.Rate / c
	}
	if res.Errors > 0 {
		r.Status = "failed"
		r.Reason = fmt.Sprintf("%d requests failed", res.Errors)
	}
}

// window samples the server processes and this one at the edges of the
// measured window.
type window struct {
	pids     []int
	dbComm   string // the local database server's process name, if any
	onOpen   func()
	srv      *procWatch
	self     *procWatch
	db       *dbWatch
	server   ProcUsage
	serverOK bool
	client   ProcUsage
	dbCores  float64
	dbOK     bool
}

func (w *window) edge(open bool) {
	if open {
		if len(w.pids) > 0 {
			w.srv = watchProcs(w.pids)
		}
		w.self = watchProcs([]int{0})
		if w.dbComm != "" {
			w.db = watchDB(w.dbComm)
		}
		if w.onOpen != nil {
			w.onOpen()
		}
		return
	}
	if w.srv != nil {
		w.server, w.serverOK = w.srv.stop()
	}
	if w.self != nil {
		w.client, _ = w.self.stop()
	}
	if w.db != nil {
		w.dbCores, w.dbOK = w.db.stop()
	}
}

// isLoopbackDB reports whether a database URL names this machine, whose
// server processes can then be measured.
func isLoopbackDB(dbURL string) bool {
	u, err := url.Parse(dbURL)
	if err != nil {
		return false
	}
	switch u.Hostname() {
	case "", "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// CPUCost is a scenario's CPU price, which contention on a shared machine
// distorts much less than wall-clock rates.
type CPUCost struct {
	// ServerPerRequest is the server processes' CPU time per request.
	ServerPerRequest time.Duration `json:"server_per_request_ns,omitempty"`
	// DBPerRequest is the local PostgreSQL server's CPU time per request.
	DBPerRequest time.Duration `json:"db_per_request_ns,omitempty"`
	// ClientPerRequest is the load generator's CPU time per request.
	ClientPerRequest time.Duration `json:"client_per_request_ns,omitempty"`
	// Rate is what the machine's cores would sustain if CPU were the only
	// limit: cores / (server + database + client CPU per request). An
	// I/O-bound scenario (a commit waiting on fsync) cannot reach it.
	Rate float64 `json:"rate_rps,omitempty"`
}

func cpuCost(throughput float64, cores int, server *ProcUsage, client ProcUsage, db float64) CPUCost {
	var c CPUCost
	if throughput <= 0 {
		return c
	}
	perReq := func(u float64) time.Duration { return time.Duration(u / throughput * float64(time.Second)) }
	c.ClientPerRequest = perReq(client.Cores)
	c.DBPerRequest = perReq(db)
	if server != nil {
		c.ServerPerRequest = perReq(server.Cores)
		if total := server.Cores + client.Cores + db; total > 0 {
			c.Rate = throughput * float64(cores) / total
		}
	}
	return c
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

func randomSuffix() string {
	return fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)
}

// commandLine is how this run was invoked, for the report.
func commandLine() string {
	return strings.Join(append([]string{"tokend"}, os.Args[1:]...), " ")
}
