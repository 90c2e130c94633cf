package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The first hour's errors say what to do.
func TestFirstHourErrors(t *testing.T) {
	t.Parallel()
	t.Run("corrupt database", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tokend.db"), []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := execCLI(dir, "clients", "list")
		if err == nil || !strings.Contains(err.Error(), "is not a SQLite database") || !strings.Contains(err.Error(), "restore it from a backup") {
			t.Fatalf("corrupt database: %v", err)
		}
	})
	runSteps(t, []cliStep{
		{name: "assign to nobody", args: []string{"roles", "assign", "--principal", "00000000-0000-0000-0000-00000000abcd", "--role", "Reader"},
			wantErr: "no client, managed identity or user has the id or object id"},
		{name: "cert without key", args: []string{"serve", "--cert", "cert.pem"}, wantErr: "--cert and --key go together"},
		{name: "ca-out without in-memory", args: []string{"serve", "--ca-out", "ca.pem"}, wantErr: "--ca-out is for --in-memory"},
		{name: "in-memory with a database", args: []string{"serve", "--in-memory", "--database", "postgres://x"}, wantErr: "drop --database"},
		{name: "bad fixed secret", args: []string{"serve", "--in-memory", "--addr", "127.0.0.1:0", "--bootstrap-client-secret", "hunter2"}, wantErr: "tokend new-secret"},
		{name: "new secret", args: []string{"new-secret"}, check: func(t *testing.T, out string, _ map[string]string) {
			if !strings.HasPrefix(out, "tkd_") {
				t.Errorf("new-secret printed %q", out)
			}
		}},
	})
}

// A bootstrap file without its secret (lost before it was written):
// `tokend env` says to reset it, and reset-secret writes the new one into
// the file, so `tokend env` works right after.
func TestResetSecretRepairsBootstrapFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A client whose secret we drop from the bootstrap file it is named in.
	out, err := execCLI(dir, "clients", "create", "--name", "boot", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ ClientID string }
	decode(t, out, &c)
	bf := `{"tenantId":"t","subscriptionId":"s","clientId":"` + c.ClientID + `","authority":"https://127.0.0.1:8443/","armEndpoint":"https://127.0.0.1:8443/"}`
	if err := os.WriteFile(filepath.Join(dir, "bootstrap.json"), []byte(bf), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := execCLI(dir, "env"); err == nil || !strings.Contains(err.Error(), "tokend clients reset-secret "+c.ClientID) {
		t.Fatalf("env without a secret: %v", err)
	}
	if _, err := execCLI(dir, "token", "--client-id", "6f0c2c4e-7a4b-4f7e-9e55-2d7e1a2b3c4d"); err == nil || !strings.Contains(err.Error(), "--client-secret") {
		t.Fatalf("token --client-id without a secret: %v", err)
	}
	if _, err := execCLI(dir, "clients", "reset-secret", c.ClientID); err != nil {
		t.Fatal(err)
	}
	out, err = execCLI(dir, "env")
	if err != nil || !strings.Contains(out, "AZURE_CLIENT_SECRET='tkd_") || !strings.Contains(out, "DisableInstanceDiscovery") {
		t.Fatalf("env after reset-secret: %v\n%s", err, out)
	}
}
