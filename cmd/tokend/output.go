package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

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

type roleAssignmentJSON struct {
	ID          string    `json:"id"`
	PrincipalID string    `json:"principalId"`
	Role        string    `json:"role"`
	Scope       string    `json:"scope"`
	CreatedAt   time.Time `json:"createdAt"`
}

func toRoleAssignmentJSON(ra *tokend.RoleAssignment) *roleAssignmentJSON {
	if ra == nil {
		return nil
	}
	return &roleAssignmentJSON{ID: ra.ID, PrincipalID: ra.PrincipalID, Role: ra.Role, Scope: ra.Scope, CreatedAt: ra.CreatedAt.UTC()}
}

type clientJSON struct {
	ClientID       string    `json:"clientId"`
	ObjectID       string    `json:"objectId"`
	TenantID       string    `json:"tenantId"`
	DisplayName    string    `json:"displayName"`
	Kind           string    `json:"kind"`
	IdentifierURIs []string  `json:"identifierUris"`
	Public         bool      `json:"public"`
	RedirectURIs   []string  `json:"redirectUris"`
	SecretHint     string    `json:"secretHint"`
	CreatedAt      time.Time `json:"createdAt"`
}

func toClientJSON(c *tokend.Client) clientJSON {
	kind := string(c.Kind)
	if kind == "" {
		kind = string(tokend.ClientApplication)
	}
	return clientJSON{ClientID: c.ID, ObjectID: c.ObjectID, TenantID: c.TenantID, DisplayName: c.DisplayName,
		Kind: kind, IdentifierURIs: nonNil(c.IdentifierURIs), Public: c.Public, RedirectURIs: nonNil(c.RedirectURIs), SecretHint: c.SecretHint, CreatedAt: c.CreatedAt.UTC()}
}

type certificateJSON struct {
	ClientID         string    `json:"clientId"`
	Thumbprint       string    `json:"thumbprint"`
	ThumbprintSHA256 string    `json:"thumbprintSha256"`
	NotBefore        time.Time `json:"notBefore"`
	NotAfter         time.Time `json:"notAfter"`
}

func toCertificateJSON(c *tokend.ClientCertificate) certificateJSON {
	return certificateJSON{ClientID: c.ClientID, Thumbprint: c.Thumbprint, ThumbprintSHA256: c.ThumbprintSHA256,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC()}
}

type federatedCredentialJSON struct {
	ClientID  string   `json:"clientId"`
	Name      string   `json:"name"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

func toFederatedCredentialJSON(f *tokend.FederatedCredential) federatedCredentialJSON {
	return federatedCredentialJSON{ClientID: f.ClientID, Name: f.Name, Issuer: f.Issuer, Subject: f.Subject, Audiences: nonNil(f.Audiences)}
}

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
