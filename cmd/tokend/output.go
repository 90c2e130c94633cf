package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
)

// outputFormat is the value of -o/--output: "text" (the default, for
// people) or "json" (for scripts). It refuses anything else when parsed.
type outputFormat string

const (
	outputText outputFormat = "text"
	outputJSON outputFormat = "json"
)

func (o *outputFormat) String() string { return string(*o) }
func (o *outputFormat) Type() string   { return "format" }
func (o *outputFormat) Set(v string) error {
	switch f := outputFormat(strings.ToLower(strings.TrimSpace(v))); f {
	case outputText, outputJSON:
		*o = f
		return nil
	}
	return fmt.Errorf("want text or json")
}

// addOutputFlag gives each of cmds the -o/--output flag.
func addOutputFlag(cmds ...*cobra.Command) {
	for _, cmd := range cmds {
		o := outputText
		cmd.Flags().VarP(&o, "output", "o", "output format: text or json")
	}
}

// outputOf is the --output cmd was run with (text when it has no such flag).
func outputOf(cmd *cobra.Command) outputFormat {
	if f := cmd.Flags().Lookup("output"); f != nil {
		if o, ok := f.Value.(*outputFormat); ok {
			return *o
		}
	}
	return outputText
}

// emit prints v as JSON when cmd was run with --output json, else runs
// text on cmd's output.
func emit(cmd *cobra.Command, v any, text func(io.Writer) error) error {
	if outputOf(cmd) == outputJSON {
		return printJSON(cmd.OutOrStdout(), v)
	}
	return text(cmd.OutOrStdout())
}

// printJSON writes v as indented JSON and a newline.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// nonNil makes a nil list print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// The JSON shapes the commands print: camelCase keys, times in RFC 3339
// (UTC).

type subscriptionJSON struct {
	SubscriptionID string `json:"subscriptionId"`
	TenantID       string `json:"tenantId"`
	DisplayName    string `json:"displayName"`
	State          string `json:"state"`
}

func toSubscriptionJSON(s *tokend.Subscription) subscriptionJSON {
	return subscriptionJSON{SubscriptionID: s.ID, TenantID: s.TenantID, DisplayName: s.DisplayName, State: s.State}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
