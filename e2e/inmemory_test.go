package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/azuretest"
)

// memoryTokend is one `tokend serve --in-memory` process, run from an
// empty working directory and with a --data directory that must never
// appear.
type memoryTokend struct {
	cmd                  *exec.Cmd
	out                  *azuretest.SyncBuffer
	exited               chan struct{}
	work, data, ca, boot string
}

func startMemory(t testing.TB, env []string, extra ...string) *memoryTokend {
	t.Helper()
	m := &memoryTokend{work: t.TempDir(), out: &azuretest.SyncBuffer{}, exited: make(chan struct{})}
	m.data = filepath.Join(m.work, "tokend-data")
	m.ca, m.boot = filepath.Join(m.work, "ca.pem"), filepath.Join(m.work, "boot.json")
	args := append([]string{"serve", "--in-memory", "--data", m.data, "--addr", "127.0.0.1:0", "--access-log=false",
		"--ca-out", m.ca, "--bootstrap-out", m.boot}, extra...)
	m.cmd = exec.Command(binary, args...)
	m.cmd.Dir = m.work
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	m.cmd.Env = append(append(os.Environ(), "TOKEND_LOG_LEVEL=warn"), env...)
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = m.cmd.Wait(); close(m.exited) }()
	t.Cleanup(m.stop)
	return m
}

func (m *memoryTokend) stop() {
	if m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(os.Interrupt)
	select {
	case <-m.exited:
	case <-time.After(20 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
}

// ready waits for the bootstrap file and a 200 from /readyz.
func (m *memoryTokend) ready(t testing.TB) (*identity.BootstrapFile, *http.Client) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var bf *identity.BootstrapFile
	var hc *http.Client
	for {
		if bf == nil {
			if b, err := identity.ReadBootstrapFileAt(m.boot); err == nil {
				bf = b
				pem, err := os.ReadFile(m.ca)
				if err != nil {
					t.Fatalf("--ca-out: %v", err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					t.Fatal("--ca-out holds no certificate")
				}
				hc = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			}
		}
		if hc != nil {
			if resp, err := hc.Get(strings.TrimRight(bf.ARMEndpoint, "/") + "/readyz"); err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return bf, hc
				}
			}
		}
		select {
		case <-m.exited:
			t.Fatalf("tokend exited during start:\n%s", m.out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 30s:\n%s", m.out.String())
		}
	}
}

// serve --in-memory: the fixed bootstrap credentials sign in through the
// official SDK, the notice says nothing survives, and nothing but the two
// files asked for is written.
func TestServeInMemory(t *testing.T) {
	t.Parallel()
	clientID := "0e3c6a4b-1f6e-4a53-9d0e-8b1c9a7d2e11"
	m := startMemory(t, nil, "--bootstrap-client-id", clientID)
	bf, hc := m.ready(t)
	if bf.ClientID != clientID {
		t.Errorf("bootstrap client %s, want the fixed %s", bf.ClientID, clientID)
	}
	resp, err := hc.Get(strings.TrimRight(bf.ARMEndpoint, "/") + "/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if written, _ := os.ReadFile(m.ca); string(served) != string(written) {
		t.Errorf("/ca.pem serves %q, --ca-out holds %q", served, written)
	}
	if !strings.Contains(m.out.String(), "nothing is written to disk") {
		t.Errorf("no in-memory notice:\n%s", m.out.String())
	}
	entries, _ := os.ReadDir(m.work)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "boot.json ca.pem" {
		t.Errorf("the working directory holds %v, want only boot.json and ca.pem", names)
	}
	cred, err := azidentity.NewClientSecretCredential(bf.TenantID, bf.ClientID, bf.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: bf.Authority}, Transport: hc},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}}); err != nil {
		t.Fatalf("sign in with the bootstrap file: %v", err)
	}
}

// The secret can be fixed too (from the environment), and a fixed one is
// never printed.
func TestServeInMemoryFixedSecret(t *testing.T) {
	t.Parallel()
	secret := identity.NewSecret()
	m := startMemory(t, []string{"TOKEND_BOOTSTRAP_CLIENT_SECRET=" + secret})
	bf, _ := m.ready(t)
	if bf.ClientSecret != secret {
		t.Errorf("bootstrap file secret %q, want the fixed one", bf.ClientSecret)
	}
	if strings.Contains(m.out.String(), secret) {
		t.Error("the fixed secret is printed")
	}
	var raw map[string]any
	b, _ := os.ReadFile(m.boot)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(m.boot); st.Mode().Perm() != 0o600 {
		t.Errorf("bootstrap file mode %v, want 0600", st.Mode().Perm())
	}
}

// A taken port fails before the bootstrap client exists, and says how to
// pick another.
func TestServePortTakenHint(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	out, err := exec.Command(binary, "serve", "--data", dir, "--addr", ln.Addr().String()).CombinedOutput()
	if err == nil {
		t.Fatalf("serve on a taken port succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "--addr 127.0.0.1:0") || strings.Contains(string(out), "bootstrap client id") {
		t.Errorf("output:\n%s", out)
	}
}

// BenchmarkServeInMemoryReady is a cold `tokend serve --in-memory`, from
// exec to a 200 from /readyz (the target: 100 ms).
func BenchmarkServeInMemoryReady(b *testing.B) {
	for b.Loop() {
		m := startMemory(b, nil)
		m.ready(b)
		b.StopTimer()
		m.stop()
		b.StartTimer()
	}
}

// A second serve on a data directory in use is refused, naming the first.
func TestSecondServeOnDataDirRefused(t *testing.T) {
	t.Parallel()
	first := Start(t)
	out, err := exec.Command(binary, "serve", "--data", first.DataDir, "--addr", "127.0.0.1:0").CombinedOutput()
	if err == nil {
		t.Fatalf("a second serve started:\n%s", out)
	}
	want := fmt.Sprintf("another tokend serve (pid %d)", first.cmd.Process.Pid)
	if !strings.Contains(string(out), want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	// The first one's files are untouched: it still answers at its address.
	resp, _ := first.Do(t, http.MethodGet, "/healthz", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("first server: %d", resp.StatusCode)
	}
}

// tokend healthcheck (the image's HEALTHCHECK) finds the server through
// the data directory, and fails when none answers.
func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	if out, err := exec.Command(binary, "healthcheck", "--data", tk.DataDir).CombinedOutput(); err != nil {
		t.Fatalf("healthcheck: %v\n%s", err, out)
	}
	tk.Stop()
	if out, err := exec.Command(binary, "healthcheck", "--data", tk.DataDir).CombinedOutput(); err == nil {
		t.Fatalf("healthcheck of a stopped server succeeded:\n%s", out)
	}
}

// In memory there is no address file or CA file: the healthcheck finds the
// server by its listen address and probes loopback without the CA.
func TestHealthcheckInMemory(t *testing.T) {
	t.Parallel()
	m := startMemory(t, nil)
	bf, _ := m.ready(t)
	addr := strings.TrimPrefix(strings.TrimRight(bf.ARMEndpoint, "/"), "https://")
	out, err := exec.Command(binary, "healthcheck", "--data", m.data, "--addr", addr).CombinedOutput()
	if err != nil {
		t.Fatalf("healthcheck: %v\n%s", err, out)
	}
}
