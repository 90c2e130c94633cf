package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/localca"
)

// binary is the tokend executable built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tokend-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tokend")
	build := exec.Command("go", "build", "-o", binary, "../cmd/tokend")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build tokend:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// Bootstrap is <data>/bootstrap.json: what a new user needs to sign in.
type Bootstrap struct {
	TenantID       string `json:"tenantId"`
	SubscriptionID string `json:"subscriptionId"`
	ClientID       string `json:"clientId"`
	ClientSecret   string `json:"clientSecret"`
	Authority      string `json:"authority"`
	ARMEndpoint    string `json:"armEndpoint"`
	CACertFile     string `json:"caCertFile"`
}

// Tokend is one running tokend process.
type Tokend struct {
	t       testing.TB
	DataDir string
	Args    []string
	URL     string
	Boot    Bootstrap
	HTTP    *http.Client
	cmd     *exec.Cmd
	out     *azuretest.SyncBuffer
	exited  chan struct{}
}

// Start runs tokend on a free port with a fresh data directory and waits
// until it is ready. Extra args go to `tokend serve`.
func Start(t testing.TB, args ...string) *Tokend {
	t.Helper()
	tk := &Tokend{t: t, DataDir: t.TempDir(), Args: args}
	tk.start()
	t.Cleanup(func() { tk.Stop() })
	return tk
}

// Output is everything the process printed so far.
func (tk *Tokend) Output() string { return tk.out.String() }

func (tk *Tokend) start() {
	t := tk.t
	t.Helper()
	_ = os.Remove(filepath.Join(tk.DataDir, "address"))
	args := append([]string{"serve", "--data", tk.DataDir, "--addr", "127.0.0.1:0", "--access-log=false"}, tk.Args...)
	tk.cmd = exec.Command(binary, args...)
	tk.out = &azuretest.SyncBuffer{}
	tk.cmd.Stdout, tk.cmd.Stderr = tk.out, tk.out
	tk.cmd.Env = append(os.Environ(), "TOKEND_LOG_LEVEL=warn")
	if err := tk.cmd.Start(); err != nil {
		t.Fatalf("start tokend: %v", err)
	}
	tk.exited = make(chan struct{})
	go func() { _ = tk.cmd.Wait(); close(tk.exited) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(tk.DataDir, "address")); err == nil && len(b) > 0 {
			tk.URL = strings.TrimSpace(string(b))
			break
		}
		select {
		case <-tk.exited:
			t.Fatalf("tokend exited during start:\n%s", tk.Output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("tokend did not start within 30s:\n%s", tk.Output())
		}
	}
	tk.HTTP = &http.Client{Timeout: 30 * time.Second}
	if strings.HasPrefix(tk.URL, "https://") {
		pool, err := localca.Pool(filepath.Join(tk.DataDir, "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		tk.HTTP.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}
	}
	if b, err := os.ReadFile(filepath.Join(tk.DataDir, "bootstrap.json")); err == nil {
		if err := json.Unmarshal(b, &tk.Boot); err != nil {
			t.Fatalf("bootstrap.json: %v", err)
		}
	}
	for {
		resp, err := tk.HTTP.Get(tk.URL + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tokend not ready within 30s (%v):\n%s", err, tk.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the process with SIGTERM (graceful) and waits.
func (tk *Tokend) Stop() {
	if tk.cmd == nil || tk.cmd.Process == nil {
		return
	}
	select {
	case <-tk.exited:
		return
	default:
	}
	_ = tk.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-tk.exited:
	case <-time.After(20 * time.Second):
		_ = tk.cmd.Process.Kill()
		<-tk.exited
	}
}

// Kill ends the process with SIGKILL: no shutdown, no flush.
func (tk *Tokend) Kill() {
	_ = tk.cmd.Process.Kill()
	<-tk.exited
}

// Restart starts the process again on the same data directory.
func (tk *Tokend) Restart() {
	tk.Stop()
	tk.start()
}

// Cloud is the azcore cloud configuration pointing at this tokend.
func (tk *Tokend) Cloud() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: tk.URL + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Audience: "https://management.core.windows.net/", Endpoint: tk.URL},
		},
	}
}

// ClientOptions are azcore client options trusting the test CA and talking
// to this tokend.
func (tk *Tokend) ClientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Cloud: tk.Cloud(), Transport: tk.HTTP,
		Retry: policy.RetryOptions{MaxRetries: -1}}
}

// ARMOptions are the options for an official arm* client.
func (tk *Tokend) ARMOptions() *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: tk.ClientOptions()}
}

// Credential signs in as the bootstrap client with the official azidentity.
func (tk *Tokend) Credential(t testing.TB) azcore.TokenCredential {
	return tk.CredentialFor(t, tk.Boot.ClientID, tk.Boot.ClientSecret)
}

// CredentialFor signs in as any client.
func (tk *Tokend) CredentialFor(t testing.TB, clientID, secret string) azcore.TokenCredential {
	t.Helper()
	if clientID == "" {
		t.Fatal("no client id: bootstrap.json missing?")
	}
	cred, err := azidentity.NewClientSecretCredential(tk.Boot.TenantID, clientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: tk.ClientOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatalf("credential: %v", err)
	}
	return cred
}

// Token gets an access token for scope as the bootstrap client.
func (tk *Tokend) Token(t testing.TB, scope string) string {
	t.Helper()
	tok, err := tk.Credential(t).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		t.Fatalf("get token for %s: %v", scope, err)
	}
	return tok.Token
}

// ARMToken is a management-plane token for the bootstrap client.
func (tk *Tokend) ARMToken(t testing.TB) string {
	return tk.Token(t, "https://management.core.windows.net//.default")
}

// Do sends a request to tokend (path is relative to its URL unless it is
// absolute) and returns the response with its body read; see
// azuretest.NewRequest for body, token and headers.
func (tk *Tokend) Do(t testing.TB, method, path string, body any, token string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = tk.URL + path
	}
	return azuretest.Send(t, tk.HTTP, azuretest.NewRequest(t, method, u, body, token, headers...))
}

// Query encodes query parameters the way the SDKs do.
func Query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

// errorsAs is errors.As for tests that inspect azcore.ResponseError.
func responseError(err error) *azcore.ResponseError {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re
	}
	return nil
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// CreateClient registers a client holding role at the default
// subscription through the CLI, as a user would, and returns its id and
// secret.
func (tk *Tokend) CreateClient(t testing.TB, name, role string) (id, secret string) {
	t.Helper()
	c := tk.CreateClientWith(t, name, "--role", role)
	return c.ClientID, c.ClientSecret
}

// Introspect asks the issuer's RFC 7662 endpoint, as the bootstrap client,
// whether token is active.
func (tk *Tokend) Introspect(t testing.TB, token string) bool {
	t.Helper()
	form := url.Values{"token": {token}, "client_id": {tk.Boot.ClientID}, "client_secret": {tk.Boot.ClientSecret}}
	resp, b := tk.Do(t, http.MethodPost, "/"+tk.Boot.TenantID+"/oauth2/v2.0/introspect", form.Encode(), "",
		"Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		Active bool `json:"active"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil {
		t.Fatalf("introspect: %d %s", resp.StatusCode, b)
	}
	return out.Active
}
