package main

import (
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
)

func newUUID() string { return uuid.NewString() }

func newSubscriptionsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "subscriptions", Short: "Manage subscriptions"}
	var name, id string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a subscription in the default tenant and print its id",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			if id == "" {
				id = newUUID()
			} else if _, err := uuid.Parse(id); err != nil {
				return fmt.Errorf("--id %q is not a UUID", id)
			}
			s := &tokend.Subscription{ID: id, TenantID: a.tenant.ID, DisplayName: name, State: "Enabled", CreatedAt: time.Now().UTC()}
			if err := a.store.CreateSubscription(cmd.Context(), s); err != nil {
				return fmt.Errorf("create subscription: %w", err)
			}
			return emit(cmd, toSubscriptionJSON(s), func(w io.Writer) error {
				_, err := fmt.Fprintln(w, s.ID)
				return err
			})
		}),
	}
	create.Flags().StringVar(&name, "name", "Subscription", "display name")
	create.Flags().StringVar(&id, "id", "", "subscription id (a UUID; random when empty)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List subscriptions",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			subs, err := a.store.ListSubscriptions(cmd.Context())
			if err != nil {
				return fmt.Errorf("list subscriptions: %w", err)
			}
			res := make([]subscriptionJSON, 0, len(subs))
			for _, s := range subs {
				res = append(res, toSubscriptionJSON(s))
			}
			return emit(cmd, res, func(w io.Writer) error {
				for _, s := range subs {
					fmt.Fprintf(w, "%s\t%s\t%s\n", s.ID, s.TenantID, s.DisplayName)
				}
				return nil
			})
		}),
	}
	addOutputFlag(create, list)
	cmd.AddCommand(create, list)
	return cmd
}
