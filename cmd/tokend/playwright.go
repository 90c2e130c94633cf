package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

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
	browserOS        string
	maxSessions      int
}

func addPlaywrightFlags(fl *pflag.FlagSet, f *playwrightFlags) {
	fl.DurationVar(&f.maxTokenLifetime, "playwright-max-token-lifetime", playwright.DefaultMaxTokenLifetime,
		"longest lifetime (expiryAt - now) a Playwright access token may be created with [TOKEND_PLAYWRIGHT_MAX_TOKEN_LIFETIME]")
	fl.StringVar(&f.browserServer, "playwright-browser-server", "",
		"the Playwright browser server (ws://HOST:PORT/ of `npx playwright run-server`) browser sessions are proxied to; none: sessions get 503 [TOKEND_PLAYWRIGHT_BROWSER_SERVER]")
	fl.StringVar(&f.browserOS, "playwright-browser-os", playwright.OSLinux,
		"the OS of that server's browsers, Linux or Windows: sessions asking for another are refused [TOKEND_PLAYWRIGHT_BROWSER_OS]")
	fl.IntVar(&f.maxSessions, "playwright-max-sessions", playwright.DefaultMaxSessions,
		"concurrent browser sessions per account or workspace; more get 429 [TOKEND_PLAYWRIGHT_MAX_SESSIONS]")
}

// browsers is the gateway's configuration.
func (f *playwrightFlags) browsers() playwright.GatewayConfig {
	return playwright.GatewayConfig{Upstream: f.browserServer, OS: f.browserOS, MaxSessions: f.maxSessions}
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
