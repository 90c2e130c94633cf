package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/identity"
)

// newUsersCmd: tokend users create|list|delete|reset-password.
func newUsersCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage users: people who sign in interactively (browser, device code, password)",
	}

	var displayName, role, scope string
	var fromStdin bool
	create := &cobra.Command{
		Use:   "create <user-principal-name>",
		Short: "Create a user (name@domain); the password comes from stdin, or one is made up and printed once",
		Long: `create adds a user to the default tenant. Any name of the form name@domain
will do: the tenant has no verified-domain rule.

With --password-stdin the first line of standard input is the password (at
least 8 characters); otherwise a 20-character password is made up and
printed, only now. Only an argon2id hash of it is stored.`,
		Example: `  echo 'correct horse battery' | tokend users create ada@contoso.example --display-name "Ada Lovelace" --password-stdin
  tokend users create bob@contoso.example --role Reader --output json`,
		Args: cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			ctx := cmd.Context()
			password, err := passwordFromStdin(cmd, fromStdin)
			if err != nil {
				return err
			}
			users, err := a.users(cmd)
			if err != nil {
				return err
			}
			u, generated, err := users.Create(ctx, a.tenant.ID, args[0], displayName, password)
			if err != nil {
				return err
			}
			res := admin.CreatedUserView{UserView: admin.ToUserView(u), Password: generated}
			var assignErr error
			if role != "" {
				ra, err := assignRole(ctx, a, u.ObjectID, role, scope)
				if err != nil {
					assignErr = fmt.Errorf("user created, but assigning %s failed: %w", role, err)
				}
				res.RoleAssignment = admin.ToRoleAssignmentView(ra)
			}
			err = emit(cmd, res, func(w io.Writer) error {
				fmt.Fprintf(w, "object id:           %s\n", u.ObjectID)
				fmt.Fprintf(w, "user principal name: %s\n", u.UserPrincipalName)
				fmt.Fprintf(w, "display name:        %s\n", u.DisplayName)
				fmt.Fprintf(w, "tenant id:           %s\n", u.TenantID)
				if generated != "" {
					fmt.Fprintf(w, "password:            %s\n", generated)
				}
				if ra := res.RoleAssignment; ra != nil {
					fmt.Fprintf(w, "role:                %s at %s (assignment %s)\n", ra.Role, ra.Scope, ra.ID)
				}
				return nil
			})
			if err != nil {
				return err
			}
			return assignErr
		}),
	}
	create.Flags().StringVar(&displayName, "display-name", "", "display name (default: the part of the name before the @)")
	create.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	create.Flags().StringVar(&role, "role", "", "also assign this role (see tokend roles definitions)")
	create.Flags().StringVar(&scope, "scope", "", `scope of --role; "/" for everything (default: the default subscription)`)

	list := &cobra.Command{
		Use:     "list",
		Short:   "List users (passwords are never shown)",
		Example: "  tokend users list --output json",
		Args:    cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			list, err := a.store.ListUsers(cmd.Context())
			if err != nil {
				return fmt.Errorf("list users: %w", err)
			}
			res := make([]admin.UserView, 0, len(list))
			for _, u := range list {
				res = append(res, admin.ToUserView(u))
			}
			return emit(cmd, res, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "OBJECT ID\tUSER PRINCIPAL NAME\tDISPLAY NAME\tUPDATED")
				for _, u := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.ObjectID, u.UserPrincipalName, u.DisplayName, u.UpdatedAt.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		}),
	}

	del := &cobra.Command{
		Use:     "delete <user-principal-name | object-id>",
		Short:   "Delete a user, its role assignments and its refresh tokens",
		Example: "  tokend users delete ada@contoso.example",
		Args:    cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			users, err := a.users(cmd)
			if err != nil {
				return err
			}
			_, err = users.Delete(cmd.Context(), a.tenant.ID, args[0])
			return err
		}),
	}

	var resetStdin bool
	reset := &cobra.Command{
		Use:   "reset-password <user-principal-name | object-id>",
		Short: "Set a user's password (from stdin, or made up and printed once); the user's refresh tokens stop working",
		Example: `  echo 'another good one' | tokend users reset-password ada@contoso.example --password-stdin
  tokend users reset-password ada@contoso.example --output json`,
		Args: cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			password, err := passwordFromStdin(cmd, resetStdin)
			if err != nil {
				return err
			}
			users, err := a.users(cmd)
			if err != nil {
				return err
			}
			u, generated, err := users.ResetPassword(cmd.Context(), a.tenant.ID, args[0], password)
			if err != nil {
				return err
			}
			res := admin.CreatedUserView{UserView: admin.ToUserView(u), Password: generated}
			return emit(cmd, res, func(w io.Writer) error {
				if generated != "" {
					fmt.Fprintf(w, "password: %s\n", generated)
				} else {
					fmt.Fprintf(w, "password of %s set\n", u.UserPrincipalName)
				}
				return nil
			})
		}),
	}
	reset.Flags().BoolVar(&resetStdin, "password-stdin", false, "read the password from the first line of stdin")
	addOutputFlag(create, list, reset)
	cmd.AddCommand(create, list, del, reset)
	return cmd
}

// passwordFromStdin reads the first line of stdin when asked to ("" when
// not: the password is then made up).
func passwordFromStdin(cmd *cobra.Command, fromStdin bool) (string, error) {
	if !fromStdin {
		return "", nil
	}
	line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("--password-stdin: stdin held no password (give it on the first line)")
	}
	return pw, nil
}

// users opens the user directory of the workspace.
func (a *workspace) users(cmd *cobra.Command) (*identity.Users, error) {
	return identity.NewUsers(cmd.Context(), a.store, identity.PasswordParams{}, nil)
}
