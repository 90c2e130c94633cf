package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tokend-dev/tokend/identity"
)

// newClientsCmd: tokend clients create|list|delete|reset-secret.
func newClientsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth clients (applications with client secrets)"}

	var name, role, scope string
	create := &cobra.Command{
		Use:   "create",
		Short: "Register a client and print its id and secret (the secret is shown only now)",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			clients, err := identity.NewClients(cmd.Context(), a.store, a.box, nil)
			if err != nil {
				return err
			}
			c, secret, err := clients.Create(cmd.Context(), a.tenant.ID, name)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "client id:     %s\n", c.ID)
			fmt.Fprintf(out, "object id:     %s\n", c.ObjectID)
			fmt.Fprintf(out, "tenant id:     %s\n", c.TenantID)
			fmt.Fprintf(out, "client secret: %s\n", secret)
			if role != "" {
				if scope == "" {
					scope = "/subscriptions/" + a.sub.ID
				}
				as, err := a.assignments()
				if err != nil {
					return err
				}
				ra, err := as.Assign(cmd.Context(), c.ObjectID, role, scope)
				if err != nil {
					return fmt.Errorf("client created, but assigning %s failed: %w", role, err)
				}
				fmt.Fprintf(out, "role:          %s at %s (assignment %s)\n", ra.Role, ra.Scope, ra.ID)
			}
			return nil
		}),
	}
	create.Flags().StringVar(&name, "name", "app", "display name")
	create.Flags().StringVar(&role, "role", "", "also assign this built-in role (see `tokend roles definitions`)")
	create.Flags().StringVar(&scope, "scope", "", `scope of --role; "/" for everything (default: the default subscription)`)

	list := &cobra.Command{
		Use:   "list",
		Short: "List clients (secrets are never shown; the hint is their first characters)",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			list, err := a.store.ListClients(cmd.Context())
			if err != nil {
				return fmt.Errorf("list clients: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CLIENT ID\tOBJECT ID\tNAME\tSECRET\tUPDATED")
			for _, c := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.ObjectID, c.DisplayName, c.SecretHint, c.UpdatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}),
	}

	del := &cobra.Command{
		Use:   "delete <client-id>",
		Short: "Delete a client and its role assignments",
		Args:  cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			clients, err := identity.NewClients(cmd.Context(), a.store, a.box, nil)
			if err != nil {
				return err
			}
			return clients.Delete(cmd.Context(), args[0])
		}),
	}

	reset := &cobra.Command{
		Use:   "reset-secret <client-id>",
		Short: "Replace a client's secret and print the new one (the old one stops working)",
		Args:  cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			clients, err := identity.NewClients(cmd.Context(), a.store, a.box, nil)
			if err != nil {
				return err
			}
			secret, err := clients.ResetSecret(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "client secret: %s\n", secret)
			return nil
		}),
	}
	cmd.AddCommand(create, list, del, reset)
	return cmd
}
