package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/identity"
)

// run executes the CLI with args on dataDir and returns its output.
func run(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--data", dataDir, "--log-level", "error"))
	if err := root.Execute(); err != nil {
		t.Fatalf("tokend %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func field(t *testing.T, out, label string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, label); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q in:\n%s", label, out)
	return ""
}

func TestIdentityCommands(t *testing.T) {
	dir := t.TempDir()
	out := run(t, dir, "clients", "create", "--name", "ci", "--role", "Reader")
	id, secret := field(t, out, "client id:"), field(t, out, "client secret:")
	if identity.CheckSecretFormat(secret) != nil || !strings.Contains(out, "role:          Reader at /subscriptions/") {
		t.Fatalf("create:\n%s", out)
	}
	if list := run(t, dir, "clients", "list"); !strings.Contains(list, id) || strings.Contains(list, secret) {
		t.Fatalf("list shows no client or shows its secret:\n%s", list)
	}
	fresh := field(t, run(t, dir, "clients", "reset-secret", id), "client secret:")
	if fresh == secret || identity.CheckSecretFormat(fresh) != nil {
		t.Fatal("reset-secret printed no new secret")
	}

	out = run(t, dir, "roles", "assign", "--principal", id, "--role", "Contributor", "--scope", "/Subscriptions/ABC/")
	assignment := strings.Fields(out)[0]
	if !strings.Contains(out, "Contributor\t/subscriptions/abc") {
		t.Fatalf("assign:\n%s", out)
	}
	if list := run(t, dir, "roles", "list", "--principal", id); !strings.Contains(list, assignment) || !strings.Contains(list, "Reader") {
		t.Fatalf("roles list:\n%s", list)
	}
	run(t, dir, "roles", "remove", assignment)
	if list := run(t, dir, "roles", "list"); strings.Contains(list, assignment) {
		t.Fatal("removed assignment still listed")
	}
	if defs := run(t, dir, "roles", "definitions"); !strings.Contains(defs, "Playwright Testing Reader") {
		t.Fatalf("definitions:\n%s", defs)
	}

	run(t, dir, "clients", "delete", id)
	if list := run(t, dir, "clients", "list"); strings.Contains(list, id) {
		t.Fatal("deleted client still listed")
	}

	// keys: a rotation on an empty set makes an active key; the next one
	// is pending for the pre-publish window.
	first := strings.Fields(run(t, dir, "keys", "rotate"))[0]
	second := strings.Fields(run(t, dir, "keys", "rotate"))[0]
	keys := run(t, dir, "keys", "list")
	if !strings.Contains(keys, first+"  ES256  active") || !strings.Contains(keys, second+"  ES256  pending") {
		t.Fatalf("keys list after two rotations:\n%s", keys)
	}

	if err := identity.WriteBootstrapFile(dir, &identity.BootstrapFile{TenantID: "t", ClientID: "c", ClientSecret: "s",
		Authority: "https://127.0.0.1:1/", ARMEndpoint: "https://127.0.0.1:1/"}); err != nil {
		t.Fatal(err)
	}
	if env := run(t, dir, "env"); !strings.Contains(env, "export AZURE_CLIENT_SECRET='s'") || !strings.Contains(env, "export TOKEND_URL='https://127.0.0.1:1'") {
		t.Fatalf("env:\n%s", env)
	}
}
