package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/server"
)

// playwrightFlags configure Playwright Testing (serve).
type playwrightFlags struct {
	maxTokenLifetime time.Duration
	browserServer    string
	browsers         string
	cli              string
	serverArgs       []string
	browserOS        string
	maxSessions      int
}

func addPlaywrightFlags(fl *pflag.FlagSet, f *playwrightFlags) {
	fl.DurationVar(&f.maxTokenLifetime, "playwright-max-token-lifetime", playwright.DefaultMaxTokenLifetime,
		"longest lifetime (expiryAt - now) a Playwright access token may be created with [TOKEND_PLAYWRIGHT_MAX_TOKEN_LIFETIME]")
	fl.StringVar(&f.browserServer, "playwright-browser-server", "",
		"the Playwright browser server (ws://HOST:PORT/ of `npx playwright run-server`) browser sessions are proxied to; none: sessions get 503 [TOKEND_PLAYWRIGHT_BROWSER_SERVER]")
	fl.StringVar(&f.browsers, "playwright-browsers", "",
		"managed: tokend runs `playwright run-server` itself on a loopback port, restarts it when it exits and stops it on shutdown (instead of --playwright-browser-server) [TOKEND_PLAYWRIGHT_BROWSERS]")
	fl.StringVar(&f.cli, "playwright-cli", "",
		"with --playwright-browsers managed: the Playwright CLI, an executable or a cli.js run with node (default: node_modules/.bin/playwright here or in a parent directory, else playwright on PATH) [TOKEND_PLAYWRIGHT_CLI]")
	fl.StringSliceVar(&f.serverArgs, "playwright-server-args", nil,
		"with --playwright-browsers managed: more arguments for run-server, e.g. --unsafe (lets sessions choose the browser executable: any Contributor's token runs programs on this host) or --max-clients=N [TOKEND_PLAYWRIGHT_SERVER_ARGS]")
	fl.StringVar(&f.browserOS, "playwright-browser-os", playwright.OSLinux,
		"the OS of that server's browsers, Linux or Windows: sessions asking for another are refused [TOKEND_PLAYWRIGHT_BROWSER_OS]")
	fl.IntVar(&f.maxSessions, "playwright-max-sessions", playwright.DefaultMaxSessions,
		"concurrent browser sessions per account or workspace; more get 429 [TOKEND_PLAYWRIGHT_MAX_SESSIONS]")
}

// gateway is the gateway's configuration; with --playwright-browsers
// managed it starts the browser server, which the caller stops with
// stop once the server has shut down.
func (f *playwrightFlags) gateway(ctx context.Context, log *slog.Logger, reg prometheus.Registerer) (gwc playwright.GatewayConfig, stop func(), err error) {
	gwc = playwright.GatewayConfig{Upstream: f.browserServer, OS: f.browserOS, MaxSessions: f.maxSessions}
	stop = func() {}
	switch f.browsers {
	case "":
		if f.cli != "" || len(f.serverArgs) > 0 {
			return gwc, stop, errors.New("--playwright-cli and --playwright-server-args go with --playwright-browsers managed")
		}
		return gwc, stop, nil
	case "managed":
	default:
		return gwc, stop, fmt.Errorf("--playwright-browsers %q: the one value is managed (or --playwright-browser-server URL for a server of your own)", f.browsers)
	}
	if f.browserServer != "" {
		return gwc, stop, errors.New("--playwright-browsers managed and --playwright-browser-server: choose one")
	}
	bs, err := playwright.StartBrowserServer(ctx, playwright.BrowserServerConfig{CLI: f.cli, Args: f.serverArgs, Logger: log, Registerer: reg})
	if err != nil {
		return gwc, stop, fmt.Errorf("--playwright-browsers managed: %w", err)
	}
	gwc.Server = bs
	return gwc, func() { _ = bs.Close() }, nil
}

// maxPlaywrightTokenLifetime bounds --playwright-max-token-lifetime: the
// issuer keeps a signing key published until every token it signed has
// expired, so the bound is how long a retired key may have to stay.
const maxPlaywrightTokenLifetime = 366 * 24 * time.Hour

func newPlaywrightCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "playwright", Short: "Playwright Testing accounts and Playwright access tokens"}
	accounts := &cobra.Command{Use: "accounts", Short: "Playwright Testing accounts"}
	var baseURL string
	list := &cobra.Command{
		Use:   "list",
		Short: "List accounts with their data-plane account id and dashboardUri",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			list, err := playwright.Accounts(cmd.Context(), a.store)
			if err != nil {
				return err
			}
			base := baseURL
			if base == "" {
				base = servedURL(g.dataDir)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tLOCATION\tACCOUNT ID\tDASHBOARD URI\tRESOURCE ID")
			for _, acct := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", acct.Name, acct.Location, acct.AccountID,
					playwright.DashboardURI(base, acct.AccountID), acct.ResourceID)
			}
			return tw.Flush()
		}),
	}
	list.Flags().StringVar(&baseURL, "url", "", "base URL tokend is reached at (default: the one in bootstrap.json, else the last address served)")
	accounts.AddCommand(list)
	cmd.AddCommand(accounts, newPlaywrightTokensCmd(g))
	return cmd
}

// servedURL is where the data directory's tokend is reached: its
// bootstrap.json's endpoint (the public URL when one is set), else the
// address it last listened on.
func servedURL(dataDir string) string {
	if bf, err := identity.ReadBootstrapFile(dataDir); err == nil && bf.ARMEndpoint != "" {
		return strings.TrimRight(bf.ARMEndpoint, "/")
	}
	if b, err := os.ReadFile(filepath.Join(dataDir, server.AddressFile)); err == nil {
		return strings.TrimSpace(string(b))
	}
	return "https://127.0.0.1:8443"
}
