package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/identity"
)

// newClientsCmd: tokend clients create|list|update|delete|reset-secret and
// the credential subcommands (clientcredentials.go).
func newClientsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth clients (applications with secrets, certificates or federated credentials)"}

	var name, role, scope string
	var uris, redirects []string
	var public bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Register a client and print its id and secret (the secret is shown only now)",
		Long: `create registers an application with its service principal.

A confidential client (the default) gets a secret, printed only now. A public
client (--public: a native app, a CLI, a single-page app) gets none: it signs
users in with PKCE from its redirect URIs. For a public client,
http://localhost and http://127.0.0.1 match any port, as Entra allows native
apps; other redirect URIs match exactly.`,
		Example: `  tokend clients create --name deployer --role Contributor
  tokend clients create --name desktop --public --redirect-uri http://localhost --output json
  tokend clients create --name web --redirect-uri https://app.example/signin-oidc`,
		Args: cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			ctx := cmd.Context()
			clients, err := a.clients(ctx)
			if err != nil {
				return err
			}
			c, secret, err := clients.Register(ctx, identity.Registration{TenantID: a.tenant.ID, DisplayName: name,
				Public: public, RedirectURIs: nonEmpty(redirects), IdentifierURIs: nonEmpty(uris)})
			if err != nil {
				return err
			}
			out, text := cmd.OutOrStdout(), outputOf(cmd) == outputText
			if text {
				fmt.Fprintf(out, "client id:     %s\n", c.ID)
				fmt.Fprintf(out, "object id:     %s\n", c.ObjectID)
				fmt.Fprintf(out, "tenant id:     %s\n", c.TenantID)
				if c.Public {
					fmt.Fprintf(out, "public client: no secret; sign-ins use PKCE\n")
				} else {
					fmt.Fprintf(out, "client secret: %s\n", secret)
				}
				for _, u := range c.IdentifierURIs {
					fmt.Fprintf(out, "identifier uri: %s\n", u)
				}
				for _, u := range c.RedirectURIs {
					fmt.Fprintf(out, "redirect uri:  %s\n", u)
				}
			}
			res := admin.CreatedClientView{ClientView: admin.ToClientView(c), ClientSecret: secret}
			var assignErr error
			if role != "" {
				ra, err := assignRole(ctx, a, c.ObjectID, role, scope)
				if err != nil {
					assignErr = fmt.Errorf("client created, but assigning %s failed: %w", role, err)
				} else {
					res.RoleAssignment = admin.ToRoleAssignmentView(ra)
					if text {
						fmt.Fprintf(out, "role:          %s at %s (assignment %s)\n", ra.Role, ra.Scope, ra.ID)
					}
				}
			}
			if !text {
				// Printed even when the assignment failed: the secret
				// exists only here.
				if err := printJSON(out, res); err != nil {
					return err
				}
			}
			return assignErr
		}),
	}
	create.Flags().StringVar(&name, "name", "app", "display name")
	create.Flags().StringVar(&role, "role", "", "also assign this built-in role (see `tokend roles definitions`)")
	create.Flags().StringVar(&scope, "scope", "", `scope of --role; "/" for everything (default: the default subscription)`)
	create.Flags().BoolVar(&public, "public", false, "a public client: no secret, PKCE required (native apps, CLIs, single-page apps)")
	create.Flags().StringArrayVar(&redirects, "redirect-uri", nil, "where sign-ins may send the browser back; repeatable")
	create.Flags().StringArrayVar(&uris, "identifier-uri", nil, `application ID URI, e.g. api://orders: "<uri>/.default" then asks for a token for this client; repeatable`)

	list := &cobra.Command{
		Use:   "list",
		Short: "List clients (secrets are never shown; the hint is their first characters)",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			list, err := a.store.ListClients(cmd.Context())
			if err != nil {
				return fmt.Errorf("list clients: %w", err)
			}
			res := make([]admin.ClientView, 0, len(list))
			for _, c := range list {
				res = append(res, admin.ToClientView(c))
			}
			return emit(cmd, res, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CLIENT ID\tOBJECT ID\tNAME\tSECRET\tUPDATED")
				for _, c := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.ObjectID, c.DisplayName, c.SecretHint, c.UpdatedAt.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		}),
	}

	var updateURIs, updateRedirects []string
	update := &cobra.Command{
		Use:     "update <client-id>",
		Short:   "Change a client: --identifier-uri or --redirect-uri replaces that list (--identifier-uri= clears it)",
		Example: `  tokend clients update 3f2c... --redirect-uri http://localhost --redirect-uri https://app.example/cb`,
		Args:    cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			idChanged, redirectChanged := cmd.Flags().Changed("identifier-uri"), cmd.Flags().Changed("redirect-uri")
			if !idChanged && !redirectChanged {
				return errors.New("nothing to update: give --identifier-uri URI or --redirect-uri URI (repeatable; --identifier-uri= or --redirect-uri= clears the list)")
			}
			clients, err := a.clients(cmd.Context())
			if err != nil {
				return err
			}
			if idChanged {
				if err := clients.SetIdentifierURIs(cmd.Context(), args[0], nonEmpty(updateURIs)); err != nil {
					return err
				}
			}
			if redirectChanged {
				return clients.SetRedirectURIs(cmd.Context(), args[0], nonEmpty(updateRedirects))
			}
			return nil
		}),
	}
	update.Flags().StringArrayVar(&updateURIs, "identifier-uri", nil, "application ID URI; repeatable; replaces the client's list")
	update.Flags().StringArrayVar(&updateRedirects, "redirect-uri", nil, "redirect URI; repeatable; replaces the client's list")

	del := &cobra.Command{
		Use:   "delete <client-id>",
		Short: "Delete a client and its role assignments",
		Args:  cobra.ExactArgs(1),
		RunE: runWithClients(g, func(cmd *cobra.Command, args []string, a *workspace, clients *identity.Clients) error {
			return clients.Delete(cmd.Context(), args[0])
		}),
	}

	reset := &cobra.Command{
		Use:   "reset-secret <client-id>",
		Short: "Replace a client's secret and print the new one (the old one stops working)",
		Args:  cobra.ExactArgs(1),
		RunE: runWithClients(g, func(cmd *cobra.Command, args []string, a *workspace, clients *identity.Clients) error {
			secret, err := clients.ResetSecret(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := updateBootstrapSecret(g, args[0], secret); err != nil {
				return err
			}
			res := struct {
				ClientID     string `json:"clientId"`
				ClientSecret string `json:"clientSecret"`
			}{strings.ToLower(args[0]), secret}
			return emit(cmd, res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "client secret: %s\n", secret)
				return err
			})
		}),
	}
	addOutputFlag(create, list, reset)
	cmd.AddCommand(create, list, update, del, reset)
	cmd.AddCommand(clientCredentialCmds(g)...)
	return cmd
}

// clients opens the client registry of the workspace.
func (a *workspace) clients(ctx context.Context) (*identity.Clients, error) {
	return identity.NewClients(ctx, a.store, a.box, nil)
}

// runWithClients is runWithWorkspace for the commands that work on the
// client registry.
func runWithClients(g *globalFlags, run func(cmd *cobra.Command, args []string, a *workspace, clients *identity.Clients) error) func(*cobra.Command, []string) error {
	return runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
		clients, err := a.clients(cmd.Context())
		if err != nil {
			return err
		}
		return run(cmd, args, a, clients)
	})
}

// assignRole grants role to principal at scope; an empty scope is the
// default subscription ("/" is everything).
func assignRole(ctx context.Context, a *workspace, principal, role, scope string) (*tokend.RoleAssignment, error) {
	if scope == "" {
		scope = "/subscriptions/" + a.sub.ID
	}
	as, err := a.assignments(ctx)
	if err != nil {
		return nil, err
	}
	return as.Assign(ctx, principal, role, scope)
}

// nonEmpty drops empty values (so --identifier-uri= means none).
func nonEmpty(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
