package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/audit"
)

func newAuditCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Check and read the audit log (docs/audit.md)"}

	var partial bool
	verify := &cobra.Command{
		Use:   "verify FILE...",
		Short: "Check that audit log files, a rotated sequence given oldest first, form one unbroken chain",
		Long: `Checks each line's prev (the SHA-256 of the line before it) from the first
file's first line to the last file's last, with no other input: no data
directory, database or salt. Reports the first broken line — edited, deleted
or reordered lines, a truncated file, a file missing from the sequence — and
exits non-zero. Give rotated files oldest first: PATH.000001 PATH.000002 … PATH.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := audit.Verifier{Partial: partial}
			for _, name := range args {
				if err := verifyFile(&v, name); err != nil {
					return err
				}
				if v.Result().Break != nil {
					break
				}
			}
			res := v.Result()
			if err := emit(cmd, res, func(w io.Writer) error {
				if res.Break != nil {
					_, err := fmt.Fprintf(w, "BROKEN at %s line %d: %s\n", res.Break.File, res.Break.Line, res.Break.Reason)
					return err
				}
				_, err := fmt.Fprintf(w, "OK: %d lines in %d files, one chain; last line seq %d, hash %s\n", res.Lines, res.Files, res.LastSeq, res.LastHash)
				return err
			}); err != nil {
				return err
			}
			if res.Break != nil {
				return errors.New("audit log chain broken")
			}
			return nil
		},
	}
	verify.Flags().BoolVar(&partial, "partial", false, "accept a sequence that starts after files since removed (its first line need not be the chain's first)")

	var q tokend.AuditQuery
	var since time.Duration
	list := &cobra.Command{
		Use:   "list",
		Short: "List audit events from the database (every node's chain, newest first; serve with --audit-db)",
		Args:  cobra.NoArgs,
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, _ []string, a *workspace) error {
			if since > 0 {
				q.Since = time.Now().Add(-since)
			}
			recs, err := a.store.ListAuditRecords(cmd.Context(), q)
			if err != nil {
				return err
			}
			events := make([]json.RawMessage, 0, len(recs))
			for _, r := range recs {
				events = append(events, json.RawMessage(r.Line))
			}
			return emit(cmd, events, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tNODE\tSEQ\tPRINCIPAL\tACTION\tRESULT\tREQUEST ID")
				for _, r := range recs {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.RFC3339Nano), r.Node, r.Seq, r.Principal, r.Action, r.Result, r.RequestID)
				}
				return tw.Flush()
			})
		}),
	}
	fl := list.Flags()
	fl.StringVar(&q.Principal, "principal", "", "only this principal (an object id, client:<id>, cli:<user>)")
	fl.StringVar(&q.Action, "action", "", "only this action (a trailing * matches a prefix)")
	fl.DurationVar(&since, "since", 0, "only events this recent (e.g. 1h)")
	fl.StringVar(&q.Node, "node", "", "only this node's chain")
	fl.IntVar(&q.Limit, "limit", 100, "at most this many events")
	addOutputFlag(verify, list)
	cmd.AddCommand(verify, list)
	return cmd
}

func verifyFile(v *audit.Verifier, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	v.File(name, f)
	return nil
}
