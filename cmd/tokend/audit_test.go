package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/audit"
)

// TestAuditedCommandsExist: every command the audit table names exists,
// so a renamed command cannot silently stop being audited.
func TestAuditedCommandsExist(t *testing.T) {
	paths := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		paths[c.CommandPath()] = true
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	for path := range auditedCommands {
		if !paths[path] {
			t.Errorf("audited command %q does not exist", path)
		}
	}
}

// TestCLIChangesAreAudited: changing commands record events (principal
// cli:<user>) in the database that `audit list` shows, and the secret a
// command prints is not among them; reads record nothing.
func TestCLIChangesAreAudited(t *testing.T) {
	dir := t.TempDir()
	out, err := execCLI(dir, "clients", "create", "--name", "audited", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var created admin.CreatedClientView
	decode(t, out, &created)
	out, err = execCLI(dir, "clients", "reset-secret", created.ClientID, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var reset struct{ ClientSecret string }
	decode(t, out, &reset)
	if _, err := execCLI(dir, "clients", "delete", "no-such-client"); err == nil {
		t.Fatal("deleting an unknown client succeeded")
	}
	if _, err := execCLI(dir, "clients", "list"); err != nil {
		t.Fatal(err)
	}
	out, err = execCLI(dir, "audit", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var events []audit.Event
	decode(t, out, &events)
	if len(events) != 3 {
		t.Fatalf("%d events, want 3:\n%s", len(events), out)
	}
	want := []struct{ action, target, result string }{
		{"client.delete", "no-such-client", audit.Failure},
		{"client.secret.reset", created.ClientID, audit.Success},
		{"client.create", "", audit.Success},
	}
	for i, w := range want {
		ev := events[i]
		if ev.Action != w.action || ev.Target != w.target || ev.Result != w.result || !strings.HasPrefix(ev.Principal, "cli:") || ev.Node != cliAuditNode {
			t.Errorf("event %d = %+v, want %+v", i, ev, w)
		}
	}
	for _, s := range []string{reset.ClientSecret, created.ClientSecret} {
		if strings.Contains(out, s) {
			t.Fatal("a client secret is in the audit events")
		}
	}
	out, err = execCLI(dir, "audit", "list", "--action", "client.secret.*")
	if err != nil || strings.Count(out, "client.secret.reset") != 1 || strings.Contains(out, "client.create") {
		t.Fatalf("filtered list: %v\n%s", err, out)
	}
}

// TestAuditVerifyCommand: verify passes an intact file, names the line an
// edit broke with a non-zero exit, and answers JSON with --output json.
func TestAuditVerifyCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(context.Background(), audit.Options{Node: "n", File: path, Hasher: audit.NewHasher([]byte("s"))})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "b", "c"} {
		if err := l.Record(context.Background(), &audit.Event{RequestID: p, Principal: p, Action: "x", Result: audit.Success}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if out, err := execCLI(t.TempDir(), "audit", "verify", path); err != nil || !strings.HasPrefix(out, "OK: 3 lines") {
		t.Fatalf("intact: %v %s", err, out)
	}
	raw, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(raw), `"principal":"a"`, `"principal":"z"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := execCLI(t.TempDir(), "audit", "verify", path, "-o", "json")
	if err == nil {
		t.Fatalf("edited file verified:\n%s", out)
	}
	var res audit.Verified
	if jerr := json.Unmarshal([]byte(out), &res); jerr != nil || res.Break == nil || res.Break.Line != 2 {
		t.Fatalf("edited: %v %s", jerr, out)
	}
}
