package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The Azure CLI (Debian's azure-cli 2.45, MSAL for Python) against tokend:
// the cloud registered as docs/identity.md says, then every way `az login`
// signs in without a browser — a service principal's secret, its
// certificate, a user's password, and the managed identity of the Cloud
// Shell endpoint — each
// followed by ARM calls. Skipped without `az`, unless
// TOKEND_REQUIRE_AZURE_CLI=1 (CI installs it).

// azCLI runs az with its own configuration directory, trusting tokend's CA.
type azCLI struct {
	t   *testing.T
	env []string
}

func newAzCLI(t *testing.T, tk *Tokend, extraEnv ...string) *azCLI {
	t.Helper()
	if _, err := exec.LookPath("az"); err != nil {
		if os.Getenv("TOKEND_REQUIRE_AZURE_CLI") == "1" {
			t.Fatal("az is not installed (TOKEND_REQUIRE_AZURE_CLI=1)")
		}
		t.Skip("az is not installed; apt-get install azure-cli")
	}
	env := []string{
		"AZURE_CONFIG_DIR=" + t.TempDir(),
		"REQUESTS_CA_BUNDLE=" + filepath.Join(tk.DataDir, "ca.pem"),
		"AZURE_CORE_COLLECT_TELEMETRY=false", "AZURE_CORE_ONLY_SHOW_ERRORS=true",
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
	}
	return &azCLI{t: t, env: append(env, extraEnv...)}
}

func (a *azCLI) run(args ...string) string {
	a.t.Helper()
	cmd := exec.Command("az", args...)
	cmd.Env = a.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		a.t.Fatalf("az %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// register is the README's `az cloud register` for this tokend.
func (a *azCLI) register(tk *Tokend) {
	a.t.Helper()
	a.run("cloud", "register", "--name", "tokend",
		"--endpoint-resource-manager", tk.URL+"/",
		"--endpoint-active-directory", tk.URL+"/adfs",
		"--endpoint-active-directory-resource-id", "https://management.core.windows.net/")
	a.run("cloud", "set", "--name", "tokend")
}

// checkARM lists and creates resource groups as the signed-in principal.
func (a *azCLI) checkARM(tk *Tokend, group string) {
	a.t.Helper()
	var account struct {
		ID       string `json:"id"`
		TenantID string `json:"tenantId"`
	}
	if err := json.Unmarshal([]byte(a.run("account", "show", "-o", "json")), &account); err != nil || account.ID != tk.Boot.SubscriptionID || account.TenantID != tk.Boot.TenantID {
		a.t.Fatalf("az account show: %+v %v", account, err)
	}
	a.run("group", "create", "--name", group, "--location", "eastus", "-o", "none")
	if out := a.run("group", "list", "--query", "[].name", "-o", "tsv"); !strings.Contains(out, group) {
		a.t.Errorf("az group list does not show %s:\n%s", group, out)
	}
}

func TestAzureCLI(t *testing.T) {
	tk := Start(t)
	az := newAzCLI(t, tk)
	az.register(tk)

	t.Run("service principal with a secret", func(t *testing.T) {
		az.t = t
		az.run("login", "--service-principal", "-u", tk.Boot.ClientID, "-p", tk.Boot.ClientSecret, "--tenant", tk.Boot.TenantID, "-o", "none")
		az.checkARM(tk, "cli-secret")
		az.run("logout")
	})

	t.Run("service principal with a certificate", func(t *testing.T) {
		az.t = t
		// Owner of the default subscription only: az login lists the
		// subscriptions the principal holds a role in, and finds it.
		app := tk.CreateClientWith(t, "cli-cert", "--role", "Owner")
		cert := newCert(t, newRSAKey(t), "cli-cert", nil, false)
		tk.AddCertificate(t, app.ClientID, cert.CertFile)
		both := filepath.Join(t.TempDir(), "key-and-cert.pem")
		if err := os.WriteFile(both, append(append([]byte{}, cert.KeyPEM...), cert.CertPEM...), 0o600); err != nil {
			t.Fatal(err)
		}
		az.run("login", "--service-principal", "-u", app.ClientID, "-p", both, "--tenant", tk.Boot.TenantID, "-o", "none")
		az.checkARM(tk, "cli-cert")
		az.run("logout")
	})

	t.Run("user with a password (az login -u -p)", func(t *testing.T) {
		az.t = t
		// The Azure CLI's own first-party client, the password grant, and
		// the user's role on the default subscription.
		user := tk.CreateUser(t, "cli-user@contoso.example", "--role", "Owner")
		az.run("login", "-u", user.UserPrincipalName, "-p", user.Password, "--tenant", tk.Boot.TenantID, "-o", "none")
		az.checkARM(tk, "cli-user")
		var signedIn struct {
			User struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"user"`
		}
		if err := json.Unmarshal([]byte(az.run("account", "show", "-o", "json")), &signedIn); err != nil ||
			!strings.EqualFold(signedIn.User.Name, user.UserPrincipalName) || signedIn.User.Type != "user" {
			t.Errorf("az account show after a user's login: %+v %v", signedIn, err)
		}
		az.run("logout")
	})

	t.Run("managed identity (az login --identity)", func(t *testing.T) {
		tk.CreateManagedIdentity(t, "cli-identity", "--role", "Owner", "--scope", "/")
		var env []string
		for k, v := range tk.ManagedIdentityEnv(t, "cli-identity") {
			env = append(env, k+"="+v)
		}
		mi := newAzCLI(t, tk, env...)
		mi.register(tk)
		mi.run("login", "--identity", "-o", "none")
		mi.checkARM(tk, "cli-identity")
	})
}
