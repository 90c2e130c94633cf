package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tokend-dev/tokend/admin"
	tokendapp "github.com/tokend-dev/tokend/app"

	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
)

// newRolesCmd: tokend roles assign|list|remove|definitions.
func newRolesCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "roles", Short: "Manage role assignments (Azure RBAC)"}

	var principal, role, scope string
	assign := &cobra.Command{
		Use:   "assign",
		Short: "Grant a built-in role to a principal at a scope and everything below it",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			oid, err := resolvePrincipal(cmd.Context(), a.store, principal)
			if err != nil {
				return err
			}
			if oid, err = principalByObjectID(cmd.Context(), a.store, oid); err != nil {
				return err
			}
			ra, err := assignRole(cmd.Context(), a, oid, role, scope)
			if err != nil {
				return err
			}
			return emit(cmd, admin.ToRoleAssignmentView(ra), func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", ra.ID, ra.PrincipalID, ra.Role, ra.Scope)
				return err
			})
		}),
	}
	assign.Flags().StringVar(&principal, "principal", "", "object id of the principal, a client id or a user principal name (name@domain)")
	assign.Flags().StringVar(&role, "role", "", "built-in role name or Azure role definition id, e.g. Reader")
	assign.Flags().StringVar(&scope, "scope", "", `scope, e.g. /subscriptions/<id>/resourceGroups/<rg>; "/" for everything (default: the default subscription)`)
	_ = assign.MarkFlagRequired("principal")
	_ = assign.MarkFlagRequired("role")

	var listPrincipal string
	list := &cobra.Command{
		Use:   "list",
		Short: "List role assignments",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			oid := ""
			if listPrincipal != "" {
				var err error
				if oid, err = resolvePrincipal(cmd.Context(), a.store, listPrincipal); err != nil {
					return err
				}
			}
			as, err := a.assignments(cmd.Context())
			if err != nil {
				return err
			}
			list, err := as.List(cmd.Context(), oid)
			if err != nil {
				return err
			}
			res := make([]*admin.RoleAssignmentView, 0, len(list))
			for _, ra := range list {
				res = append(res, admin.ToRoleAssignmentView(ra))
			}
			return emit(cmd, res, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tPRINCIPAL\tROLE\tSCOPE\tCREATED")
				for _, ra := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ra.ID, ra.PrincipalID, ra.Role, ra.Scope, ra.CreatedAt.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		}),
	}
	list.Flags().StringVar(&listPrincipal, "principal", "", "only this principal's (object id or client id)")

	remove := &cobra.Command{
		Use:   "remove <assignment-id>",
		Short: "Remove a role assignment",
		Args:  cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			as, err := a.assignments(cmd.Context())
			if err != nil {
				return err
			}
			return as.Remove(cmd.Context(), args[0])
		}),
	}

	defs := &cobra.Command{
		Use:   "definitions",
		Short: "List the roles (built-in, the providers' and custom ones) and what they allow",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			roles, err := tokendapp.Roles(cmd.Context(), a.store, a.box)
			if err != nil {
				return err
			}
			res := make([]roleDefinitionJSON, 0, len(roles.List()))
			for _, r := range roles.List() {
				def := roleDefinitionJSON{Name: r.Name, ID: r.ID, Description: r.Description,
					Actions: nonNil(r.Actions), NotActions: nonNil(r.NotActions),
					DataActions: nonNil(r.DataActions), NotDataActions: nonNil(r.NotDataActions)}
				if r.Custom != nil {
					def.AssignableScopes = r.Custom.AssignableScopes
				}
				res = append(res, def)
			}
			return emit(cmd, res, func(out io.Writer) error {
				for _, r := range roles.List() {
					fmt.Fprintf(out, "%s", r.Name)
					if r.ID != "" {
						fmt.Fprintf(out, " (%s)", r.ID)
					}
					fmt.Fprintf(out, "\n  %s\n", r.Description)
					if r.Custom != nil {
						fmt.Fprintf(out, "  %-15s %s\n", "Assignable at:", strings.Join(r.Custom.AssignableScopes, ", "))
					}
					for _, l := range []struct {
						k string
						v []string
					}{{"Actions", r.Actions}, {"NotActions", r.NotActions}, {"DataActions", r.DataActions}, {"NotDataActions", r.NotDataActions}} {
						if len(l.v) > 0 {
							fmt.Fprintf(out, "  %-15s %s\n", l.k+":", strings.Join(l.v, ", "))
						}
					}
				}
				return nil
			})
		}),
	}
	addOutputFlag(assign, list, defs)
	cmd.AddCommand(assign, list, remove, defs)
	return cmd
}

// roleDefinitionJSON is a role of `roles definitions --output json`.
type roleDefinitionJSON struct {
	Name           string   `json:"name"`
	ID             string   `json:"id,omitempty"`
	Description    string   `json:"description"`
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
	// Custom roles only: where they may be assigned.
	AssignableScopes []string `json:"assignableScopes,omitempty"`
}

// resolvePrincipal maps a client id or a user's principal name to its
// object id; anything else is taken as an object id (principals of trusted
// external issuers included).
func resolvePrincipal(ctx context.Context, store tokend.Store, p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", errors.New("--principal is empty")
	}
	if strings.Contains(p, "@") {
		users, err := store.ListUsers(ctx)
		if err != nil {
			return "", fmt.Errorf("look up user %s: %w", p, err)
		}
		for _, u := range users {
			if strings.EqualFold(u.UserPrincipalName, p) {
				return u.ObjectID, nil
			}
		}
		return "", fmt.Errorf("no user is named %s (see tokend users list)", p)
	}
	c, err := store.GetClient(ctx, strings.ToLower(p))
	switch {
	case err == nil:
		return c.ObjectID, nil
	case errors.Is(err, tokend.ErrNotFound):
		return strings.ToLower(p), nil
	}
	return "", fmt.Errorf("look up client %s: %w", p, err)
}

// principalByObjectID checks that an object id names a principal, so an
// assignment to a typo is refused rather than granting nothing silently
// (Azure answers PrincipalNotFound).
func principalByObjectID(ctx context.Context, store tokend.Store, oid string) (string, error) {
	clients, err := store.ListClients(ctx)
	if err != nil {
		return "", fmt.Errorf("look up principal %s: %w", oid, err)
	}
	for _, c := range clients {
		if strings.EqualFold(c.ObjectID, oid) {
			return c.ObjectID, nil
		}
	}
	u, err := store.GetUser(ctx, strings.ToLower(oid))
	switch {
	case err == nil:
		return u.ObjectID, nil
	case !errors.Is(err, tokend.ErrNotFound):
		return "", fmt.Errorf("look up principal %s: %w", oid, err)
	}
	return "", fmt.Errorf("no client, managed identity or user has the id or object id %s: check it with `tokend clients list`, `tokend managed-identities list` or `tokend users list`", oid)
}
