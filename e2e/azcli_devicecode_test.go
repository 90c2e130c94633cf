package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

var azUserCode = regexp.MustCompile(`enter the code ([A-Z0-9]{9}) to authenticate`)

// `az login --use-device-code` (MSAL for Python's device flow): az prints
// Entra's message on stderr and polls; tokend device approve signs it in
// as a user, who then works on ARM with a role assignment of their own.
func TestAzureCLIDeviceCode(t *testing.T) {
	tk := Start(t)
	az := newAzCLI(t, tk)
	az.register(tk)
	tk.CLI(t, "users", "create", "ada@contoso.example")
	tk.CLI(t, "roles", "assign", "--principal", "ada@contoso.example", "--role", "Contributor", "--scope", "/")

	cmd := exec.Command("az", "login", "--use-device-code", "--tenant", tk.Boot.TenantID, "-o", "json")
	cmd.Env = az.env
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	codes := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stderr)
		var seen bytes.Buffer
		for {
			line, err := r.ReadString('\n')
			seen.WriteString(line)
			if m := azUserCode.FindStringSubmatch(seen.String()); m != nil {
				codes <- m[1]
				_, _ = io.Copy(io.Discard, r)
				return
			}
			if err != nil {
				close(codes)
				return
			}
		}
	}()
	go func() { done <- cmd.Wait() }()
	select {
	case code, ok := <-codes:
		if !ok {
			t.Fatal("az login --use-device-code printed no user code")
		}
		tk.CLI(t, "device", "approve", code, "--user", "ada@contoso.example")
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("az login --use-device-code printed no user code within 60s")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("az login --use-device-code: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("az login --use-device-code did not finish within 60s of the approval")
	}
	var subs []struct {
		ID   string `json:"id"`
		User struct{ Name, Type string }
	}
	if err := json.Unmarshal(out.Bytes(), &subs); err != nil || len(subs) != 1 || subs[0].ID != tk.Boot.SubscriptionID ||
		subs[0].User.Name != "ada@contoso.example" || subs[0].User.Type != "user" {
		t.Fatalf("az login answered %v:\n%s", err, out.String())
	}
	az.checkARM(tk, "cli-device-code")
}
