package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/tokend-dev/tokend/audit"
)

// cliAuditNode is the database chain CLI events go to: any number of CLI
// runs, on any host, append to it under its lock (audit.AppendOnce).
const cliAuditNode = "cli"

// auditedCommands are the commands that change something, with the
// action their audit events name. Every such command is listed here, in
// one place; runWithWorkspace records their events.
var auditedCommands = map[string]string{
	"tokend clients create":                      "client.create",
	"tokend clients update":                      "client.update",
	"tokend clients delete":                      "client.delete",
	"tokend clients reset-secret":                "client.secret.reset",
	"tokend clients add-certificate":             "client.certificate.add",
	"tokend clients remove-certificate":          "client.certificate.remove",
	"tokend clients add-federated-credential":    "client.federatedCredential.add",
	"tokend clients remove-federated-credential": "client.federatedCredential.remove",
	"tokend users create":                        "user.create",
	"tokend users delete":                        "user.delete",
	"tokend users reset-password":                "user.password.reset",
	"tokend device approve":                      "deviceCode.approve",
	"tokend device deny":                         "deviceCode.decline",
	"tokend managed-identities create":           "managedIdentity.create",
	"tokend managed-identities delete":           "managedIdentity.delete",
	"tokend roles assign":                        "roleAssignment.create",
	"tokend roles remove":                        "roleAssignment.delete",
	"tokend keys rotate":                         "key.rotate",
	"tokend keys revoke":                         "key.revoke",
	"tokend subscriptions create":                "subscription.create",
}

// runAudited runs a changing command and records its event in the
// database before its output is shown (the CLI's response): the output is
// held back until the event is committed, and withheld, with an error,
// when it cannot be.
func runAudited(cmd *cobra.Command, args []string, a *workspace, action string, run func() error) error {
	out := cmd.OutOrStdout()
	var held bytes.Buffer
	cmd.SetOut(&held)
	err := run()
	cmd.SetOut(out)
	ev := &audit.Event{
		RequestID: uuid.NewString(), Principal: cliPrincipal(), Source: "cli",
		Action: action, Target: strings.Join(args, " "), Result: audit.Success,
	}
	if err != nil {
		ev.Result, ev.Reason = audit.Failure, clip(err.Error())
	}
	// Not the command's context: an interrupted command's event is still
	// worth its few milliseconds.
	if aerr := audit.AppendOnce(context.WithoutCancel(cmd.Context()), a.store, cliAuditNode, ev); aerr != nil {
		if err == nil {
			return fmt.Errorf("the change was made but could not be recorded in the audit log, so its output is withheld: %w", aerr)
		}
		return errors.Join(err, aerr)
	}
	if _, werr := held.WriteTo(out); werr != nil && err == nil {
		return fmt.Errorf("write output: %w", werr)
	}
	return err
}

// cliPrincipal is "cli:<os user>".
func cliPrincipal() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	return "cli:" + name
}

// clip bounds a reason's length.
func clip(s string) string {
	const max = 300
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
