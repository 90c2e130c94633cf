package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/tokend-dev/tokend/bench"
	"github.com/tokend-dev/tokend/storage"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

type benchFlags struct {
	workers          int
	duration, warmup time.Duration
	signTime         time.Duration
	scenarios        string
	engines          []string
	postgres         string
	nodes            []int
	smoke            bool
	jsonPath         string
	target, ca       string
	seeds            bench.Seeds
	timeout          time.Duration
	serveArgs        []string
	profileDir       string
}

// defaultWorkers is 8 per core: the load generator and tokend share the
// cores, and every request spends part of its life in the client, on the
// loopback and in the server, so a closed loop needs several requests in
// flight per core before the server's cores are busy. Measured on the
// 2-core machine (docs/performance.md), throughput grows up to 16 workers
// and is flat at 32 while latency doubles with each doubling: 16 is the
// knee, the most throughput for the least queueing.
func defaultWorkers() int { return 8 * runtime.GOMAXPROCS(0) }

func newBenchCmd(g *globalFlags) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test tokend: every scenario on SQLite and PostgreSQL, next to the machine's ceiling",
		Long: `bench starts tokend (this binary) on a fresh data directory, or targets a
running one with --target, seeds what each scenario needs and drives each
scenario over HTTPS with keep-alive from --workers closed-loop workers for
--duration after --warmup. It prints a table (and writes --json) with
requests/s, latency percentiles, errors, the server's CPU and memory, and
each scenario as a fraction of its physical ceiling: signing cost per core
and a bare HTTPS round trip, measured in the same run.

Any failed request (non-2xx) fails the run. --smoke runs every scenario
briefly on small seeds (CI). See docs/performance.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.workers, "workers", defaultWorkers(), "closed-loop workers (connections), 8 per core by default")
	fl.DurationVar(&f.duration, "duration", 10*time.Second, "measured time per scenario")
	fl.DurationVar(&f.warmup, "warmup", 2*time.Second, "unmeasured warm-up per scenario")
	fl.DurationVar(&f.signTime, "sign-time", time.Second, "time per algorithm and operation for the signing ceiling")
	fl.StringVar(&f.scenarios, "scenarios", "", "comma-separated scenarios (default all): "+scenarioNames())
	fl.StringSliceVar(&f.engines, "engines", []string{"sqlite", "postgres"}, "engines to run on: sqlite, postgres, and SQLite variants to compare with sqlite in one run: sqlite-normal (synchronous=normal instead of the durable default), sqlite-bare (no rate limits, no audit log), sqlite-hardened (rate limits and an fsynced audit log)")
	fl.StringVar(&f.postgres, "postgres", envOr("TOKEND_TEST_POSTGRES", bench.DefaultPostgres), "PostgreSQL URL; each run uses a fresh schema in it, dropped after [TOKEND_TEST_POSTGRES]")
	fl.IntSliceVar(&f.nodes, "nodes", []int{1}, "cluster sizes to run on PostgreSQL, e.g. 1,2 (nodes share the database and TOKEND_MASTER_KEY)")
	fl.BoolVar(&f.smoke, "smoke", false, "every scenario for 3s after 1s warm-up on small seeds (CI: checks it runs with zero errors)")
	fl.StringVar(&f.jsonPath, "json", "", "also write the results as JSON to this file (charts: go run ./cmd/tokend-plot --in FILE)")
	fl.StringVar(&f.target, "target", "", "benchmark a running tokend at this URL instead (credentials from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)")
	fl.StringVar(&f.ca, "ca", "", "CA certificate (PEM) to trust for --target")
	fl.IntVar(&f.seeds.PlaywrightTokens, "pw-tokens", 1_000_000, "access tokens in the listed Playwright account")
	fl.IntVar(&f.seeds.PlaywrightOtherTokens, "pw-other-tokens", 1_000_000, "access tokens spread over other Playwright accounts")
	fl.IntVar(&f.seeds.PlaywrightOtherAccounts, "pw-other-accounts", 100, "how many other Playwright accounts")
	fl.IntVar(&f.seeds.APIMServers, "apim-servers", 10_000, "authorization servers in the listed APIM service")
	fl.IntVar(&f.seeds.Resources, "resources", 100_000, "resources (container apps, APIM services) the subscription's generic list walks")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop the whole run after this long (default: 5m with --smoke, else 60m)")
	fl.StringArrayVar(&f.serveArgs, "serve-arg", nil, "extra argument for every started `tokend serve` (repeatable)")
	fl.StringVar(&f.profileDir, "server-profile", "", "save a CPU profile of the (first) server for every scenario's measured window into this directory (starts servers with --pprof-addr)")
	return cmd
}

func runBench(cmd *cobra.Command, f *benchFlags) error {
	fl := cmd.Flags()
	if f.smoke {
		// Small enough that both engines fit CI's ~90 s budget; large
		// enough that page 50 of the Playwright list exists (a quarter of
		// the names start with "ci", three quarters are active).
		setUnless(fl.Changed("duration"), &f.duration, 3*time.Second)
		setUnless(fl.Changed("warmup"), &f.warmup, time.Second)
		setUnless(fl.Changed("sign-time"), &f.signTime, 200*time.Millisecond)
		setUnless(fl.Changed("pw-tokens"), &f.seeds.PlaywrightTokens, 4000)
		setUnless(fl.Changed("pw-other-tokens"), &f.seeds.PlaywrightOtherTokens, 4000)
		setUnless(fl.Changed("pw-other-accounts"), &f.seeds.PlaywrightOtherAccounts, 4)
		setUnless(fl.Changed("apim-servers"), &f.seeds.APIMServers, 400)
		setUnless(fl.Changed("resources"), &f.seeds.Resources, 1000)
	}
	if f.target != "" {
		// A running server is seeded over HTTP, one PUT per token: a
		// million would take an hour. Page 50 needs 2,667 (see --smoke).
		setUnless(fl.Changed("pw-tokens"), &f.seeds.PlaywrightTokens, 4000)
		setUnless(fl.Changed("pw-other-tokens"), &f.seeds.PlaywrightOtherTokens, 4000)
		setUnless(fl.Changed("pw-other-accounts"), &f.seeds.PlaywrightOtherAccounts, 4)
		setUnless(fl.Changed("resources"), &f.seeds.Resources, 200)
	}
	if f.timeout == 0 {
		f.timeout = 60 * time.Minute
		if f.smoke {
			f.timeout = 5 * time.Minute
		}
	}
	if f.workers < 1 || f.duration <= 0 || f.warmup < 0 {
		return errors.New("--workers must be at least 1 and --duration positive")
	}
	scenarios, err := bench.SelectScenarios(f.scenarios)
	if err != nil {
		return err
	}
	for _, e := range f.engines {
		if e != "postgres" && !slices.Contains(bench.SQLiteEngines, e) {
			return fmt.Errorf("--engines: unknown engine %q (postgres, %s)", e, strings.Join(bench.SQLiteEngines, ", "))
		}
	}
	for _, n := range f.nodes {
		if n < 1 || n > 8 {
			return fmt.Errorf("--nodes: %d is not between 1 and 8", n)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the tokend binary: %w", err)
	}
	o := bench.Options{
		Executable: exe, Engines: f.engines, Postgres: f.postgres, Nodes: f.nodes,
		// PostgreSQL is skipped rather than failed only when nobody asked
		// for it explicitly and the environment does not require it.
		PostgresOptional: !fl.Changed("engines") && os.Getenv("TOKEND_REQUIRE_POSTGRES") != "1",
		Workers:          f.workers, Warmup: f.warmup, Duration: f.duration, SignTime: f.signTime,
		Scenarios: scenarios, Seeds: f.seeds, OpenStore: openBenchStore, ServeArgs: f.serveArgs,
		ProfileDir: f.profileDir,
		Log:        cmd.ErrOrStderr(),
	}
	if f.target != "" {
		o.Remote = bench.RemoteSpec{URL: f.target, CAFile: f.ca, TenantID: os.Getenv("AZURE_TENANT_ID"),
			ClientID: os.Getenv("AZURE_CLIENT_ID"), ClientSecret: os.Getenv("AZURE_CLIENT_SECRET"),
			SubscriptionID: os.Getenv("AZURE_SUBSCRIPTION_ID")}
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, f.timeout, fmt.Errorf("--timeout %s reached", f.timeout))
	defer cancel()
	// The run honours ctx everywhere; this is the backstop for a cleanup
	// that itself hangs. Started servers die with this process (Pdeathsig).
	watchdog := time.AfterFunc(f.timeout+2*time.Minute, func() {
		fmt.Fprintln(os.Stderr, "tokend bench: still running two minutes past --timeout; exiting")
		os.Exit(3)
	})
	defer watchdog.Stop()

	rep, runErr := bench.Run(ctx, o)
	if rep != nil {
		if err := bench.WriteTable(cmd.OutOrStdout(), rep); err != nil {
			return err
		}
		if f.jsonPath != "" {
			if err := bench.WriteJSON(f.jsonPath, rep); err != nil {
				return err
			}
		}
	}
	if runErr != nil {
		return runErr
	}
	if rep.Failed() {
		return errors.New("bench: some scenarios failed or saw errors (see above)")
	}
	return nil
}

// openBenchStore opens a stopped cluster's storage as `tokend serve` does,
// for bulk seeding, with a progress bar on a terminal (benchprogress.go).
func openBenchStore(ctx context.Context, dataDir, database, _ string) (bench.Seeder, func() error, error) {
	store, err := storage.Open(ctx, database, dataDir, sqlstore.Options{})
	if err != nil {
		return nil, nil, err
	}
	seeder, done := withSeedProgress(bench.StoreSeeder(store), os.Stderr)
	return seeder, func() error { done(); return store.Close() }, nil
}

func scenarioNames() string {
	var names []string
	for _, s := range bench.Scenarios() {
		names = append(names, s.Name())
	}
	return strings.Join(names, ",")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func setUnless[T any](changed bool, dst *T, v T) {
	if !changed {
		*dst = v
	}
}
