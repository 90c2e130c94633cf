package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/identity"
)

// newKeysCmd: tokend keys list|rotate.
func newKeysCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Inspect and rotate the issuer's signing keys"}

	list := &cobra.Command{
		Use:   "list",
		Short: "List signing keys and where each is in its life",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			keys, err := a.store.ListSigningKeys(cmd.Context())
			if err != nil {
				return fmt.Errorf("list signing keys: %w", err)
			}
			now := time.Now()
			res := make([]admin.SigningKeyView, 0, len(keys))
			for _, k := range keys {
				res = append(res, admin.ToSigningKeyView(k, now))
			}
			return emit(cmd, res, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED\tSIGNS FROM\tSIGNS UNTIL\tPUBLISHED UNTIL")
				for _, k := range keys {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, identity.KeyState(k, now),
						k.CreatedAt.Format(time.RFC3339), k.ActivateAt.Format(time.RFC3339),
						k.RetireAt.Format(time.RFC3339), k.ExpireAt.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		}),
	}

	var alg string
	var immediate bool
	var prePublish, rotation, lifetime time.Duration
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Publish a new signing key now; it signs after the pre-publish window (or at once with --immediate)",
		Long: "Publishes a new key at once. Running servers pick it up within a second and switch to it when it\n" +
			"activates; the old key stays published until every token it signed has expired. A rotation while a\n" +
			"new key is already pending returns that key. --immediate makes the new key sign at once (the old\n" +
			"key's tokens stay valid: after a compromise, use `keys revoke` as well).",
		Args: cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			if alg == "" {
				alg = activeAlg(cmd, a)
			}
			km, err := identity.NewKeyManager(a.store, a.box, identity.KeyPolicy{
				Algorithm: alg, Rotation: rotation, PrePublish: prePublish, MaxTokenLifetime: lifetime,
			}, nil)
			if err != nil {
				return err
			}
			k, err := km.Rotate(cmd.Context(), immediate)
			if err != nil {
				return err
			}
			return emit(cmd, admin.ToSigningKeyView(k, time.Now()), func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s\t%s\tsigns from %s\n", k.ID, k.Algorithm, k.ActivateAt.Format(time.RFC3339))
				return err
			})
		}),
	}
	rf := rotate.Flags()
	rf.StringVar(&alg, "signing-alg", "", "algorithm of the new key: ES256, RS256 or EdDSA (default: the current key's)")
	rf.BoolVar(&immediate, "immediate", false, "sign with the new key at once instead of after the pre-publish window")
	rf.DurationVar(&prePublish, "key-pre-publish", time.Hour, "how long the new key is published before it signs")
	rf.DurationVar(&rotation, "key-rotation", 30*24*time.Hour, "how long the new key signs")
	rf.DurationVar(&lifetime, "token-lifetime", time.Hour, "the servers' --token-lifetime (how long the old key must stay published)")
	revoke := &cobra.Command{
		Use:   "revoke KID",
		Short: "Withdraw a signing key at once (a suspected compromise): it stops signing, leaves the JWKS and its tokens are refused",
		Long: "Deletes the key. Every running server stops signing with it, drops it from the JWKS and refuses every\n" +
			"token it signed within a second. When it was the signing key, a pending key signs at once, or a new\n" +
			"key is made to (relying parties fetch the JWKS again on the unknown kid). Prints the key that signs now.",
		Example: "  tokend keys list\n  tokend keys revoke <kid> --output json\n  tokend keys revoke --output json -- -Ab3... # a kid that starts with a dash",
		Args:    cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			km, err := identity.NewKeyManager(a.store, a.box, identity.KeyPolicy{Algorithm: activeAlg(cmd, a)}, nil)
			if err != nil {
				return err
			}
			k, err := km.Revoke(cmd.Context(), args[0])
			if errors.Is(err, tokend.ErrNotFound) {
				return fmt.Errorf("no signing key %q (see `tokend keys list`)", args[0])
			}
			if err != nil {
				return err
			}
			return emit(cmd, admin.ToSigningKeyView(k, time.Now()), func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "revoked %s; %s (%s) signs now\n", args[0], k.ID, k.Algorithm)
				return err
			})
		}),
	}
	addOutputFlag(list, rotate, revoke)
	cmd.AddCommand(list, rotate, revoke)
	return cmd
}

// activeAlg is the algorithm of the key signing now, so a rotation does not
// change the algorithm unless asked.
func activeAlg(cmd *cobra.Command, a *workspace) string {
	keys, err := a.store.ListSigningKeys(cmd.Context())
	if err != nil {
		return identity.AlgES256
	}
	return identity.ActiveAlgorithm(keys, time.Now())
}
