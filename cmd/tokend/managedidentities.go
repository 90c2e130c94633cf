package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/identity"
)

// newManagedIdentitiesCmd: tokend managed-identities create|env|list|delete.
func newManagedIdentitiesCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "managed-identities",
		Short: "Manage managed identities (service principals workloads reach through the managed-identity endpoints)",
	}
	var baseURL string
	urlFlag := func(c *cobra.Command) {
		c.Flags().StringVar(&baseURL, "url", "", "base URL tokend is reached at (default: the one in bootstrap.json, else the last address served)")
	}
	baseOf := func() string {
		if base := strings.TrimRight(baseURL, "/"); base != "" {
			return base
		}
		return servedURL(g.dataDir)
	}

	var role, scope string
	create := &cobra.Command{
		Use:   "create <name>",
		Short: "Create a managed identity and print its ids and identity header",
		Long: `create makes a user-assigned managed identity: a service principal without a
secret. A workload gets its tokens from the managed-identity endpoint with the
identity header (IDENTITY_HEADER) as its credential; run
  eval "$(tokend managed-identities env <name>)"
in the workload's environment. --role assigns a role like clients create.`,
		Args: cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			ctx := cmd.Context()
			mis, err := a.managedIdentities(cmd)
			if err != nil {
				return err
			}
			mi, err := mis.Create(ctx, a.tenant.ID, args[0])
			if err != nil {
				return err
			}
			res := admin.ToCreatedManagedIdentityView(mi, baseOf())
			var assignErr error
			if role != "" {
				ra, err := assignRole(ctx, a, mi.PrincipalID, role, scope)
				if err != nil {
					assignErr = fmt.Errorf("managed identity created, but assigning %s failed: %w", role, err)
				}
				res.RoleAssignment = admin.ToRoleAssignmentView(ra)
			}
			err = emit(cmd, res, func(w io.Writer) error {
				fmt.Fprintf(w, "name:              %s\n", res.Name)
				fmt.Fprintf(w, "client id:         %s\n", res.ClientID)
				fmt.Fprintf(w, "principal id:      %s\n", res.PrincipalID)
				fmt.Fprintf(w, "tenant id:         %s\n", res.TenantID)
				fmt.Fprintf(w, "identity endpoint: %s\n", res.IdentityEndpoint)
				fmt.Fprintf(w, "identity header:   %s\n", res.IdentityHeader)
				if ra := res.RoleAssignment; ra != nil {
					fmt.Fprintf(w, "role:              %s at %s (assignment %s)\n", ra.Role, ra.Scope, ra.ID)
				}
				return nil
			})
			if err != nil {
				return err
			}
			return assignErr
		}),
	}
	create.Flags().StringVar(&role, "role", "", "also assign this built-in role (see `tokend roles definitions`)")
	create.Flags().StringVar(&scope, "scope", "", `scope of --role; "/" for everything (default: the default subscription)`)
	urlFlag(create)

	var imdsIdentity string
	var isDefault bool
	env := &cobra.Command{
		Use:   "env <name>",
		Short: "Print shell exports that make a workload sign in as the managed identity: eval \"$(tokend managed-identities env NAME)\"",
		Long: `env prints the variables Azure's hosts give a workload with a managed
identity: IDENTITY_ENDPOINT and IDENTITY_HEADER (App Service / Container Apps,
what azidentity's ManagedIdentityCredential and DefaultAzureCredential use) and
AZURE_CLIENT_ID (the identity's client id).

MSI_ENDPOINT (Cloud Shell: what az login --identity uses) is printed too when
the identity is the one the Cloud Shell and IMDS endpoints answer for, since
those name no identity: the identity named by --imds-identity (the same flag
and TOKEND_IMDS_IDENTITY as tokend serve's) or, without it, the only managed
identity there is. --default prints it regardless.`,
		Args: cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			ctx := cmd.Context()
			mis, err := a.managedIdentities(cmd)
			if err != nil {
				return err
			}
			env, err := mis.Environment(ctx, args[0], baseOf(), imdsIdentity, isDefault)
			if err != nil {
				return err
			}
			res := admin.ToEnvironmentView(env)
			return emit(cmd, res, func(w io.Writer) error {
				line := func(k, v string) {
					if v != "" {
						fmt.Fprintf(w, "export %s=%s\n", k, shellQuote(v))
					}
				}
				line("IDENTITY_ENDPOINT", res.IdentityEndpoint)
				line("IDENTITY_HEADER", res.IdentityHeader)
				line("AZURE_CLIENT_ID", res.ClientID)
				line("MSI_ENDPOINT", res.MSIEndpoint)
				return nil
			})
		}),
	}
	env.Flags().StringVar(&imdsIdentity, "imds-identity", "", "the managed identity tokend serve answers for on the Cloud Shell and IMDS endpoints (default: the only one) [TOKEND_IMDS_IDENTITY]")
	env.Flags().BoolVar(&isDefault, "default", false, "print MSI_ENDPOINT: the identity is the default of the Cloud Shell and IMDS endpoints")
	urlFlag(env)

	list := &cobra.Command{
		Use:   "list",
		Short: "List managed identities (identity headers are shown only by env)",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			mis, err := a.managedIdentities(cmd)
			if err != nil {
				return err
			}
			list, err := mis.List(cmd.Context())
			if err != nil {
				return err
			}
			res := make([]admin.ManagedIdentityView, 0, len(list))
			for _, mi := range list {
				res = append(res, admin.ToManagedIdentityView(mi))
			}
			return emit(cmd, res, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tCLIENT ID\tPRINCIPAL ID\tCREATED")
				for _, mi := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", mi.Name, mi.ClientID, mi.PrincipalID, mi.CreatedAt.UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		}),
	}

	del := &cobra.Command{
		Use:   "delete <name>",
		Short: "Delete a managed identity, its service principal and its role assignments",
		Args:  cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			mis, err := a.managedIdentities(cmd)
			if err != nil {
				return err
			}
			return mis.Delete(cmd.Context(), args[0])
		}),
	}
	addOutputFlag(create, env, list)
	cmd.AddCommand(create, env, list, del)
	return cmd
}

// managedIdentities opens the managed identity registry of the workspace.
func (a *workspace) managedIdentities(cmd *cobra.Command) (*identity.ManagedIdentities, error) {
	clients, err := a.clients(cmd.Context())
	if err != nil {
		return nil, err
	}
	return identity.NewManagedIdentities(a.store, a.box, clients, nil), nil
}
