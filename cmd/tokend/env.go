package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tokend-dev/tokend/localca"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// newEnvCmd prints the shell exports that make azidentity's
// EnvironmentCredential (and DefaultAzureCredential) sign in to this tokend
// as the bootstrap client: eval "$(tokend env)".
func newEnvCmd(g *globalFlags) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print shell exports (AZURE_TENANT_ID, AZURE_CLIENT_ID, ...) for the bootstrap client: eval \"$(tokend env)\"",
		Example: `  eval "$(tokend env)"
  eval "$(tokend env --bootstrap /tmp/tokend-bootstrap.json)"   # after serve --in-memory --bootstrap-out`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bf, err := readBootstrap(g, file)
			if err != nil {
				return err
			}
			if bf.ClientSecret == "" {
				return errors.New("the bootstrap file holds no secret (it was lost before it could be written): run `tokend clients reset-secret " + bf.ClientID + "`, which writes the new one there too, then `tokend env` again")
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), bf.EnvExports()+envReminder)
			return err
		},
	}
	cmd.Flags().StringVar(&file, "bootstrap", "", "bootstrap file to read (default: bootstrap.json in the data directory; what serve --bootstrap-out wrote)")
	return cmd
}

// envReminder ends the exports: a shell comment, harmless under eval, for
// the one setting the environment cannot carry.
const envReminder = "# Go/.NET/Python SDKs: set DisableInstanceDiscovery (disable_instance_discovery) on the credential, or MSAL asks login.microsoftonline.com about this authority and fails offline\n"

// newTokenCmd prints an access token, for curl.
func newTokenCmd(g *globalFlags) *cobra.Command {
	var scope, clientID, clientSecret, url, file string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get an access token from the running tokend and print it (curl -H \"Authorization: Bearer $(tokend token)\")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bf, err := readBootstrap(g, file)
			if err != nil {
				return err
			}
			if clientID == "" {
				clientID, clientSecret = bf.ClientID, bf.ClientSecret
			}
			if clientSecret == "" && clientID == bf.ClientID {
				return errors.New("the bootstrap file holds no secret: run `tokend clients reset-secret " + bf.ClientID + "` (it writes the new one there too)")
			}
			if clientSecret == "" {
				return errors.New("--client-id " + clientID + " needs its secret: pass --client-secret SECRET or set TOKEND_CLIENT_SECRET (`tokend clients reset-secret " + clientID + "` makes a new one)")
			}
			base := strings.TrimRight(bf.Authority, "/")
			if url != "" {
				base = strings.TrimRight(url, "/")
			}
			hc := &http.Client{Timeout: 30 * time.Second}
			if bf.CACertFile != "" {
				pool, err := localca.Pool(bf.CACertFile)
				if err != nil {
					return err
				}
				hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
			}
			cc := clientcredentials.Config{
				ClientID: clientID, ClientSecret: clientSecret,
				TokenURL: base + "/" + bf.TenantID + "/oauth2/v2.0/token",
				Scopes:   strings.Fields(scope), AuthStyle: oauth2.AuthStyleInParams,
			}
			ctx := context.WithValue(cmd.Context(), oauth2.HTTPClient, hc)
			tok, err := cc.Token(ctx)
			if err != nil {
				return fmt.Errorf("get token: %w", err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok.AccessToken)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&scope, "scope", "https://management.core.windows.net//.default", "scope: <resource>/.default (ARM, or https://playwright.microsoft.com/.default)")
	f.StringVar(&clientID, "client-id", "", "client to sign in as (default: the bootstrap client)")
	f.StringVar(&clientSecret, "client-secret", "", "its secret [TOKEND_CLIENT_SECRET]")
	f.StringVar(&url, "url", "", "tokend base URL (default: bootstrap.json's authority)")
	f.StringVar(&file, "bootstrap", "", "bootstrap file to read (default: bootstrap.json in the data directory)")
	return cmd
}
