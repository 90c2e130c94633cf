package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
)

// newDeviceCmd: tokend device approve|deny — decide a device-code sign-in
// without a browser (CI, scripts, a headless machine): what the
// verification page does once the user has signed in and chosen Continue
// or Cancel.
func newDeviceCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "device",
		Short: "Approve or deny device-code sign-ins (the user code a device shows) without a browser",
	}
	var approveUser, denyUser string
	approve := &cobra.Command{
		Use:   "approve <user-code> --user <user-principal-name | object-id>",
		Short: "Approve a pending device-code sign-in as a user: the device's next poll gets the user's tokens",
		Long: `approve signs the device in as --user, as if that user had entered the code
on the verification page, signed in and chosen Continue. The user code is
the one the device shows (any case; dashes and spaces are ignored). It must
be pending: not expired (15 minutes), approved or denied before.`,
		Example: `  tokend device approve ABCD2EFGH --user ada@contoso.example
  tokend device approve abcd-2efgh --user ada@contoso.example --output json`,
		Args: cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			if approveUser == "" {
				return errors.New("--user is required: the user the device signs in as")
			}
			return decideDevice(cmd, a, args[0], approveUser, true)
		}),
	}
	approve.Flags().StringVar(&approveUser, "user", "", "the user the device signs in as (user principal name or object id)")
	deny := &cobra.Command{
		Use:   "deny <user-code>",
		Short: "Deny a pending device-code sign-in: the device's next poll is told authorization_declined",
		Example: `  tokend device deny ABCD2EFGH
  tokend device deny ABCD2EFGH --user ada@contoso.example --output json`,
		Args: cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			return decideDevice(cmd, a, args[0], denyUser, false)
		}),
	}
	deny.Flags().StringVar(&denyUser, "user", "", "the user who denies it (optional; recorded with the sign-in)")
	addOutputFlag(approve, deny)
	cmd.AddCommand(approve, deny)
	return cmd
}

type deviceDecisionJSON struct {
	UserCode     string    `json:"userCode"`
	Status       string    `json:"status"`
	ClientID     string    `json:"clientId"`
	TenantID     string    `json:"tenantId"`
	UserObjectID string    `json:"userObjectId,omitempty"`
	ExpiresAt    time.Time `json:"expiresAt"`
}

func decideDevice(cmd *cobra.Command, a *workspace, userCode, userRef string, approve bool) error {
	ctx := cmd.Context()
	var user *tokend.User
	if userRef != "" {
		users, err := a.users(cmd)
		if err != nil {
			return err
		}
		if user, err = users.Get(ctx, a.tenant.ID, userRef); err != nil {
			return err
		}
	}
	now := time.Now()
	d, err := identity.DecideDeviceCode(ctx, a.store, userCode, user, approve, now, now)
	if errors.Is(err, identity.ErrDeviceCodeNotPending) {
		return fmt.Errorf("%s: %w", userCode, err)
	}
	if err != nil {
		return err
	}
	res := deviceDecisionJSON{UserCode: d.UserCode, Status: string(tokend.DeviceCodeDeclined), ClientID: d.ClientID,
		TenantID: d.TenantID, ExpiresAt: d.ExpiresAt.UTC()}
	if approve {
		res.Status = string(tokend.DeviceCodeApproved)
	}
	if user != nil {
		res.UserObjectID = user.ObjectID
	}
	return emit(cmd, res, func(w io.Writer) error {
		if approve {
			_, err := fmt.Fprintf(w, "device sign-in %s approved for %s (client %s): the device's next poll gets the tokens\n",
				d.UserCode, user.UserPrincipalName, d.ClientID)
			return err
		}
		_, err := fmt.Fprintf(w, "device sign-in %s denied (client %s)\n", d.UserCode, d.ClientID)
		return err
	})
}
