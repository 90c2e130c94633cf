package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/tokend-dev/tokend/console"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	tokendapp "github.com/tokend-dev/tokend/app"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/localca"
	"github.com/tokend-dev/tokend/ratelimit"
	"github.com/tokend-dev/tokend/server"
)

type serveFlags struct {
	addr                 string
	plainHTTP            bool
	certFile, keyFile    string
	tlsHosts             []string
	anyAPIVersion        bool
	strictResourceGroups bool
	maxBodyBytes         int64
	publicURL            string
	accessLog            bool
	shutdownTimeout      time.Duration
	imdsAddr             string
	locations            []string
	imdsIdentity         string
	consoleSession       time.Duration
	pprofAddr            string             // pprof.go
	gcPercent            int                // gc.go
	identity             identityFlags      // identity.go
	containerApps        containerAppsFlags // containerapps.go
	playwright           playwrightFlags    // playwright.go
	audit                auditFlags         // auditflags.go
	hardening            hardeningFlags     // hardening.go
	inMemory             inMemoryFlags      // inmemory.go
	bootstrap            bootstrapFlags     // bootstrap.go
}

func newServeCmd(g *globalFlags) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the token service",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8443", "listen address host:port; port 0 picks a free port [TOKEND_ADDR]")
	fl.BoolVar(&f.plainHTTP, "http", false, "serve plain http (behind a TLS-terminating proxy, or in tests) [TOKEND_HTTP]")
	fl.StringVar(&f.certFile, "cert", "", "TLS certificate file (PEM) instead of the local CA's [TOKEND_CERT]")
	fl.StringVar(&f.keyFile, "key", "", "TLS private key file (PEM), with --cert [TOKEND_KEY]")
	fl.StringSliceVar(&f.tlsHosts, "tls-hosts", localca.DefaultHosts, "names the local CA's server certificate covers [TOKEND_TLS_HOSTS]")
	fl.BoolVar(&f.anyAPIVersion, "any-api-version", false, "serve unknown api-versions with the newest behaviour [TOKEND_ANY_API_VERSION]")
	fl.BoolVar(&f.strictResourceGroups, "strict-resource-groups", false, "answer ResourceGroupNotFound to a PUT into a missing group, as Azure does [TOKEND_STRICT_RESOURCE_GROUPS]")
	fl.Int64Var(&f.maxBodyBytes, "max-body-bytes", 1<<20, "largest accepted request body [TOKEND_MAX_BODY_BYTES]")
	fl.StringVar(&f.publicURL, "public-url", "", "base URL clients reach tokend at, for links and the issuer (default: the request's own) [TOKEND_PUBLIC_URL]")
	fl.DurationVar(&f.consoleSession, "console-session-lifetime", console.DefaultSessionLifetime, "how long a web console sign-in lasts at most; then the console asks to sign in again [TOKEND_CONSOLE_SESSION_LIFETIME]")
	fl.BoolVar(&f.accessLog, "access-log", true, "write a JSON access log line per request [TOKEND_ACCESS_LOG]")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on shutdown [TOKEND_SHUTDOWN_TIMEOUT]")
	fl.StringSliceVar(&f.locations, "locations", nil, "regions subscriptions list, as names or name=Display Name (default: Azure's public regions) [TOKEND_LOCATIONS]")
	fl.StringVar(&f.imdsAddr, "imds-addr", "", "also serve the IMDS managed-identity endpoint over plain HTTP on this address (where a route for 169.254.169.254 leads; see docs/identity.md) [TOKEND_IMDS_ADDR]")
	fl.StringVar(&f.imdsIdentity, "imds-identity", "", "managed identity the IMDS and Cloud Shell endpoints answer for when a request names none (default: the only one) [TOKEND_IMDS_IDENTITY]")
	addIdentityFlags(fl, &f.identity)
	addContainerAppsFlags(fl, &f.containerApps)
	addPlaywrightFlags(fl, &f.playwright)
	addAuditFlags(fl, &f.audit)
	addHardeningFlags(fl, &f.hardening)
	fl.IntVar(&f.gcPercent, "gc-percent", defaultGCPercent, "Go garbage-collection target (GOGC), unless the GOGC variable is set; GOMEMLIMIT caps the heap as usual [TOKEND_GC_PERCENT]")
	addInMemoryFlags(fl, &f.inMemory)
	addBootstrapFlags(fl, &f.bootstrap)
	fl.StringVar(&f.pprofAddr, "pprof-addr", "", "serve Go's pprof profiles on this loopback address (off by default; for profiling only) [TOKEND_PPROF_ADDR]")
	return cmd
}

func serve(ctx context.Context, cmd *cobra.Command, g *globalFlags, f *serveFlags) error {
	if err := f.inMemory.check(g, f.certFile); err != nil {
		return err
	}
	if (f.certFile == "") != (f.keyFile == "") {
		return errors.New("--cert and --key go together: give both the certificate and its private key (PEM files), or neither for the local CA")
	}
	metrics := server.NewMetrics()
	open := openWorkspace
	if f.inMemory.enabled {
		open = openMemoryWorkspace
	} else {
		if err := os.MkdirAll(g.dataDir, 0o700); err != nil {
			return fmt.Errorf("create data directory %s: %w", g.dataDir, err)
		}
		release, err := lockDataDir(g.dataDir) // datalock.go
		if err != nil {
			return err
		}
		defer release()
	}
	a, err := open(ctx, g, metrics.ObserveStorage)
	if err != nil {
		return err
	}
	defer a.close()
	applyGCPercent(f.gcPercent, a.log)
	auditLog, out, err := f.audit.open(ctx, a, cmd.OutOrStdout())
	if err != nil {
		return err
	}
	defer auditLog.Close()

	var tlsConf *tls.Config
	var caPEM []byte // served at /ca.pem
	caFile := ""
	if !f.plainHTTP {
		var pair tls.Certificate
		switch {
		case f.certFile != "":
			pair, err = tls.LoadX509KeyPair(f.certFile, f.keyFile)
			if err != nil {
				return fmt.Errorf("load --cert %s / --key %s: %w", f.certFile, f.keyFile, err)
			}
		case f.inMemory.enabled:
			var ca *localca.Ephemeral
			if ca, caFile, err = f.inMemory.memoryTLS(f.tlsHosts); err != nil {
				return err
			}
			pair, caPEM = ca.Cert, ca.CAPEM
		default:
			files := localca.FilesIn(g.dataDir)
			pair, err = localca.Ensure(files, f.tlsHosts, time.Now())
			if err != nil {
				return fmt.Errorf("local CA: %w", err)
			}
			caFile, _ = filepath.Abs(files.CACert)
			if caPEM, err = os.ReadFile(files.CACert); err != nil {
				return fmt.Errorf("local CA: %w", err)
			}
		}
		tlsConf = server.TLSConfig(pair)
	}

	if err := checkLifetime("--containerapp-token-lifetime", f.containerApps.tokenLifetime, maxContainerAppTokenLifetime); err != nil {
		return err
	}
	if err := checkLifetime("--playwright-max-token-lifetime", f.playwright.maxTokenLifetime, maxPlaywrightTokenLifetime); err != nil {
		return err
	}
	idc, err := f.identity.config()
	if err != nil {
		return err
	}
	idc.IMDSIdentity = f.imdsIdentity
	if f.inMemory.enabled {
		idc.PasswordParams = identity.EphemeralPasswordParams
	}
	limits, err := f.hardening.limits()
	if err != nil {
		return err
	}
	proxies, err := ratelimit.ParseProxies(f.hardening.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	browsers, stopBrowsers, err := f.playwright.gateway(ctx, a.log, metrics.Registry)
	if err != nil {
		return err
	}
	defer stopBrowsers()
	composed, err := tokendapp.New(ctx, tokendapp.Config{
		Store: a.store, Box: a.box, TenantID: a.tenant.ID, Logger: a.log, Metrics: metrics,
		Identity: idc, PublicURL: f.publicURL, AnyAPIVersion: f.anyAPIVersion,
		StrictResourceGroups: f.strictResourceGroups, MaxBodyBytes: f.maxBodyBytes, AccessLog: f.accessLog,
		Locations:                  f.locations,
		ContainerAppTokenLifetime:  f.containerApps.tokenLifetime,
		PlaywrightMaxTokenLifetime: f.playwright.maxTokenLifetime,
		PlaywrightBrowsers:         browsers,
		Audit:                      auditLog,
		RateLimits:                 limits,
		BodyTimeout:                f.hardening.bodyTimeout,
		WriteTimeout:               f.hardening.writeTimeout,
		MetricsToken:               f.hardening.metricsToken,
		CAPEM:                      caPEM,
		ConsoleSessionLifetime:     f.consoleSession,
	})
	if err != nil {
		return err
	}
	go composed.Run(ctx)
	// Bound before the bootstrap client is made, and its file written
	// right after, so that no later failure (a taken port, say) loses a
	// secret that was shown once.
	ln, err := server.Listen(f.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	url := "http://" + ln.Addr().String()
	if tlsConf != nil {
		url = "https://" + ln.Addr().String()
	}
	if err := ensureBootstrap(ctx, a, composed.Identity, out, &f.bootstrap, url, f.publicURL, caFile); err != nil {
		return err
	}
	if f.imdsAddr != "" {
		ln, err := net.Listen("tcp", f.imdsAddr)
		if err != nil {
			return fmt.Errorf("--imds-addr %s: %w", f.imdsAddr, err)
		}
		_ = ln.Close()
		go func() {
			if err := composed.IMDS.Serve(ctx, server.ListenConfig{Addr: f.imdsAddr, ShutdownTimeout: f.shutdownTimeout}); err != nil {
				a.log.Error("IMDS listener stopped", "err", err.Error())
			}
		}()
		fmt.Fprintf(out, "IMDS:         http://%s%s\n", f.imdsAddr, identity.IMDSPath)
	}
	if f.hardening.metricsAddr != "" {
		bound, err := serveLoopback(ctx, "--metrics-addr", f.hardening.metricsAddr, metricsOnly(metrics), a.log)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "metrics:      http://%s/metrics\n", bound)
	}
	if f.pprofAddr != "" {
		if err := startPprof(ctx, f.pprofAddr, a.log); err != nil {
			return err
		}
	}
	srv := composed.Server

	if f.inMemory.enabled {
		fmt.Fprintln(out, inMemoryNotice)
	}
	fmt.Fprintf(out, "tenant:       %s\n", a.tenant.ID)
	fmt.Fprintf(out, "subscription: %s\n", a.sub.ID)
	if browsers.Server != nil {
		fmt.Fprintf(out, "browsers:     %s   (playwright run-server, managed)\n", browsers.Server.URL())
	}
	if caFile != "" {
		fmt.Fprintf(out, "CA file:      %s   (trust it: SSL_CERT_FILE=%s)\n", caFile, caFile)
	}
	return srv.Serve(ctx, server.ListenConfig{
		Addr: f.addr, Listener: ln, TLS: tlsConf, DataDir: a.dataDir, ShutdownTimeout: f.shutdownTimeout,
		MaxHeaderBytes: f.hardening.maxHeaderBytes, MaxConns: f.hardening.maxConns,
		MaxConnsPerAddr: f.hardening.maxConnsPerAddr, ConnLimitExempt: proxies.Trusts,
		Ready: func(url string) {
			fmt.Fprintf(out, "listening:    %s\n", url)
			a.log.Info("tokend listening", "url", url)
			composed.Identity.SetBaseURL(url)
		},
	})
}

// checkLifetime bounds a token-lifetime flag: positive, and no longer than
// max, since the issuer keeps a signing key published until every token it
// signed has expired.
func checkLifetime(flag string, v, max time.Duration) error {
	if v <= 0 || v > max {
		return fmt.Errorf("%s %s: want more than 0 and at most %s", flag, v, max)
	}
	return nil
}
