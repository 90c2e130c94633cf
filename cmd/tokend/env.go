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
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/localca"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// newEnvCmd prints the shell exports that make azidentity's
// EnvironmentCredential (and DefaultAzureCredential) sign in to this tokend
// as the bootstrap client: eval "$(tokend env)".
func newEnvCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "Print shell exports (AZURE_TENANT_ID, AZURE_CLIENT_ID, ...) for the bootstrap client: eval \"$(tokend env)\"",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bf, err := identity.ReadBootstrapFile(g.dataDir)
			if err != nil {
				return fmt.Errorf("%w (start `tokend serve` once with this --data directory)", err)
			}
			if bf.ClientSecret == "" {
				return errors.New("bootstrap.json holds no secret: run `tokend clients reset-secret " + bf.ClientID + "` and use that")
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), bf.EnvExports())
			return err
		},
	}
}

// newTokenCmd prints an access token, for curl.
func newTokenCmd(g *globalFlags) *cobra.Command {
	var scope, clientID, clientSecret, url string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get an access token from the running tokend and print it (curl -H \"Authorization: Bearer $(tokend token)\")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, _, _, err := clientToken(cmd.Context(), g, scope, clientID, clientSecret, url)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&scope, "scope", "https://management.core.windows.net//.default", "scope: <resource>/.default (ARM, or https://playwright.microsoft.com/.default)")
	f.StringVar(&clientID, "client-id", "", "client to sign in as (default: the bootstrap client)")
	f.StringVar(&clientSecret, "client-secret", "", "its secret [TOKEND_CLIENT_SECRET]")
	f.StringVar(&url, "url", "", "tokend base URL (default: bootstrap.json's authority)")
	return cmd
}

// clientToken signs in to the running tokend with client credentials (the
// bootstrap client unless clientID is given) and returns an access token
// for scope, an HTTP client that trusts tokend's CA, and tokend's base URL
// (url, else bootstrap.json's authority).
func clientToken(ctx context.Context, g *globalFlags, scope, clientID, clientSecret, url string) (string, *http.Client, string, error) {
	bf, err := identity.ReadBootstrapFile(g.dataDir)
	if err != nil {
		return "", nil, "", fmt.Errorf("%w (start `tokend serve` once with this --data directory)", err)
	}
	if clientID == "" {
		clientID, clientSecret = bf.ClientID, bf.ClientSecret
	}
	if clientSecret == "" {
		return "", nil, "", errors.New("no client secret: pass --client-id and --client-secret")
	}
	base := strings.TrimRight(bf.Authority, "/")
	if url != "" {
		base = strings.TrimRight(url, "/")
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if bf.CACertFile != "" {
		pool, err := localca.Pool(bf.CACertFile)
		if err != nil {
			return "", nil, "", err
		}
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	cc := clientcredentials.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		TokenURL: base + "/" + bf.TenantID + "/oauth2/v2.0/token",
		Scopes:   strings.Fields(scope), AuthStyle: oauth2.AuthStyleInParams,
	}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	if err != nil {
		return "", nil, "", fmt.Errorf("get token: %w", err)
	}
	return tok.AccessToken, hc, base, nil
}
