// Command tokend is a self-hosted token service that speaks Azure's REST
// contracts for Container Apps auth tokens, Playwright Testing access tokens
// and API Management authorization servers, and is its own OAuth 2.0 /
// OpenID Connect issuer.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "tokend:", err)
		os.Exit(1)
	}
}

// globalFlags are shared by every subcommand: where the state lives.
type globalFlags struct {
	dataDir  string
	database string
	logLevel string
	// migrations shows long schema migrations on a terminal (nil: not).
	migrations sqlstore.MigrationProgress
}

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "tokend",
		Short:         "A self-hosted Azure-compatible token service and OAuth 2.0 / OIDC issuer",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			g.migrations = newMigrationProgress(cmd.ErrOrStderr(), outputOf(cmd) == outputJSON, migrationProgressDelay)
			return bindEnv(cmd)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.dataDir, "data", "./tokend-data", "data directory (CA, keys, SQLite database) [TOKEND_DATA]")
	pf.StringVar(&g.database, "database", "", "database URL: empty for SQLite in the data directory, or postgres://... [TOKEND_DATABASE]")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error [TOKEND_LOG_LEVEL]")
	// Every subcommand, in one explicit list.
	root.AddCommand(
		newServeCmd(g), newEnvCmd(g), newTokenCmd(g), newVerifyCmd(g),
		newClientsCmd(g), newUsersCmd(g), newDeviceCmd(g), newManagedIdentitiesCmd(g), newRolesCmd(g), newKeysCmd(g), newSubscriptionsCmd(g),
		newPlaywrightCmd(g), newBenchCmd(g), newAuditCmd(g),
	)
	addVersion(root)                      // version.go
	root.AddCommand(newNewSecretCmd())    // bootstrap.go
	root.AddCommand(newHealthcheckCmd(g)) // healthcheck.go
	polishHelp(root)                      // examples.go: after every command is added
	return root
}

// bindEnv fills every flag the user did not set from TOKEND_<FLAG_NAME>
// (dashes become underscores), so configuration works from flags and from
// the environment alike; a flag on the command line wins.
func bindEnv(cmd *cobra.Command) error {
	var err error
	set := func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		env := "TOKEND_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	}
	cmd.Flags().VisitAll(set)
	cmd.InheritedFlags().VisitAll(set)
	return err
}
