package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tokend-dev/tokend/identity"
)

// bootstrapFlags fix the bootstrap client's credentials in advance and say
// where its file goes (serve).
type bootstrapFlags struct {
	clientID, clientSecret string
	out                    string
}

func addBootstrapFlags(fl *pflag.FlagSet, f *bootstrapFlags) {
	fl.StringVar(&f.clientID, "bootstrap-client-id", "", "the bootstrap client's id (a UUID) on first start, instead of a generated one: CI knows it in advance [TOKEND_BOOTSTRAP_CLIENT_ID]")
	fl.StringVar(&f.clientSecret, "bootstrap-client-secret", "", "the bootstrap client's secret on first start (make one with 'tokend new-secret'); prefer the variable, a flag shows in ps [TOKEND_BOOTSTRAP_CLIENT_SECRET]")
	fl.StringVar(&f.out, "bootstrap-out", "", "write the bootstrap file (tenant, client id and secret, URLs, CA file; mode 0600) here; default: bootstrap.json in the data directory, none with --in-memory [TOKEND_BOOTSTRAP_OUT]")
}

func (f *bootstrapFlags) credentials() identity.BootstrapCredentials {
	return identity.BootstrapCredentials{ClientID: f.clientID, Secret: f.clientSecret}
}

// bootstrapPath is where the bootstrap file goes: --bootstrap-out, else
// bootstrap.json in the data directory ("" in memory: nowhere).
func (f *bootstrapFlags) path(a *workspace) string {
	if f.out != "" {
		return f.out
	}
	if a.dataDir == "" {
		return ""
	}
	return filepath.Join(a.dataDir, identity.BootstrapFileName)
}

// ensureBootstrap creates the bootstrap client on first start and, before
// anything else can fail, writes the bootstrap file for the URL already
// bound (the secret is never stored, so a start that failed after making
// it but before writing it lost it), then announces it.
func ensureBootstrap(ctx context.Context, a *workspace, svc *identity.Service, out io.Writer, f *bootstrapFlags, url, publicURL, caFile string) error {
	boot, err := svc.EnsureBootstrapAs(ctx, f.credentials())
	if err != nil {
		return fmt.Errorf("bootstrap client: %w", err)
	}
	path := f.path(a)
	if path != "" {
		if err := writeBootstrapFile(a, boot, path, url, publicURL, caFile); err != nil {
			if boot.Created && boot.Secret != "" && isTerminal(out) {
				fmt.Fprintf(out, "bootstrap client id:     %s\nbootstrap client secret: %s   (shown once: %s could not be written)\n", boot.Client.ID, boot.Secret, path)
			}
			return fmt.Errorf("write the bootstrap file: %w", err)
		}
	}
	if boot.Created {
		printBootstrap(out, boot, path, f.clientSecret != "")
	}
	return nil
}

// writeBootstrapFile writes the bootstrap file for the URL just bound. The
// secret is known only on the first start (or when it is fixed): later
// starts keep the one the file already holds, and only refresh the URLs.
func writeBootstrapFile(a *workspace, boot *identity.Bootstrap, path, url, publicURL, caFile string) error {
	if boot.Client == nil {
		return nil // the bootstrap client was deleted: nothing to sign in with
	}
	base := strings.TrimRight(url, "/")
	if publicURL != "" {
		base = strings.TrimRight(publicURL, "/")
	}
	bf := &identity.BootstrapFile{
		TenantID: a.tenant.ID, SubscriptionID: a.sub.ID, ClientID: boot.Client.ID, ClientSecret: boot.Secret,
		Authority: base + "/", ARMEndpoint: base + "/", CACertFile: caFile,
	}
	if bf.ClientSecret == "" {
		if old, err := identity.ReadBootstrapFileAt(path); err == nil && old.ClientID == bf.ClientID {
			bf.ClientSecret = old.ClientSecret
		}
	}
	return identity.WriteBootstrapFileTo(path, bf)
}

// newNewSecretCmd prints a fresh client secret in tokend's format, for
// --bootstrap-client-secret (CI keeps it as a secret variable).
func newNewSecretCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "new-secret",
		Short: "Print a fresh client secret in tokend's format (for --bootstrap-client-secret)",
		Example: `  export TOKEND_BOOTSTRAP_CLIENT_SECRET=$(tokend new-secret)
  tokend serve --in-memory --bootstrap-client-id "$(uuidgen)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), identity.NewSecret())
			return err
		},
	}
}

// readBootstrap reads the bootstrap file `tokend env` and `tokend token`
// sign in with: --bootstrap FILE (what serve --in-memory wrote with
// --bootstrap-out), else the data directory's.
func readBootstrap(g *globalFlags, file string) (*identity.BootstrapFile, error) {
	if file == "" {
		file = filepath.Join(g.dataDir, identity.BootstrapFileName)
	}
	bf, err := identity.ReadBootstrapFileAt(file)
	if os.IsNotExist(err) || (err != nil && strings.Contains(err.Error(), "no such file")) {
		return nil, fmt.Errorf("%w (start `tokend serve` once with this --data directory, or point --bootstrap at the file `serve --bootstrap-out` wrote)", err)
	}
	return bf, err
}

// updateBootstrapSecret writes a reset secret of the bootstrap client into
// the data directory's bootstrap file, so `tokend env` and `tokend token`
// use it at once (they read nothing else).
func updateBootstrapSecret(g *globalFlags, clientID, secret string) error {
	path := filepath.Join(g.dataDir, identity.BootstrapFileName)
	bf, err := identity.ReadBootstrapFileAt(path)
	if err != nil || !strings.EqualFold(bf.ClientID, clientID) {
		return nil // no bootstrap file, or another client's secret
	}
	bf.ClientSecret = secret
	if err := identity.WriteBootstrapFileTo(path, bf); err != nil {
		return fmt.Errorf("the secret was reset, but writing it to %s failed (set AZURE_CLIENT_SECRET by hand): %w", path, err)
	}
	return nil
}
