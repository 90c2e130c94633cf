package identity

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BootstrapFileName is the bootstrap file's name in the data directory.
const BootstrapFileName = "bootstrap.json"

// BootstrapFile is what a client needs to sign in to this tokend: written
// (0600: it holds the bootstrap secret) once the listening URL is known,
// read by `tokend env` and `tokend token`.
type BootstrapFile struct {
	TenantID       string `json:"tenantId"`
	SubscriptionID string `json:"subscriptionId"`
	ClientID       string `json:"clientId"`
	ClientSecret   string `json:"clientSecret,omitempty"`
	// Authority is the authority host (AZURE_AUTHORITY_HOST): tokend's
	// base URL with a trailing slash; MSAL appends the tenant.
	Authority   string `json:"authority"`
	ARMEndpoint string `json:"armEndpoint"`
	CACertFile  string `json:"caCertFile,omitempty"`
}

// ReadBootstrapFile reads <dataDir>/bootstrap.json.
func ReadBootstrapFile(dataDir string) (*BootstrapFile, error) {
	return ReadBootstrapFileAt(filepath.Join(dataDir, BootstrapFileName))
}

// ReadBootstrapFileAt reads a bootstrap file at path.
func ReadBootstrapFileAt(path string) (*BootstrapFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var f BootstrapFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &f, nil
}

// WriteBootstrapFile writes <dataDir>/bootstrap.json with mode 0600,
// through a temporary file and a rename so a reader never sees half of it.
func WriteBootstrapFile(dataDir string, f *BootstrapFile) error {
	return WriteBootstrapFileTo(filepath.Join(dataDir, BootstrapFileName), f)
}

// WriteBootstrapFileTo writes the file at path, as WriteBootstrapFile does
// (`tokend serve --in-memory --bootstrap-out PATH`).
func WriteBootstrapFileTo(path string, f *BootstrapFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bootstrap-*.json")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// EnvExports renders the file as POSIX shell exports, the variables
// azidentity's EnvironmentCredential (and DefaultAzureCredential) read.
func (f *BootstrapFile) EnvExports() string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
		}
	}
	line("AZURE_TENANT_ID", f.TenantID)
	line("AZURE_SUBSCRIPTION_ID", f.SubscriptionID)
	line("AZURE_CLIENT_ID", f.ClientID)
	line("AZURE_CLIENT_SECRET", f.ClientSecret)
	line("AZURE_AUTHORITY_HOST", f.Authority)
	line("SSL_CERT_FILE", f.CACertFile)
	line("TOKEND_URL", strings.TrimRight(f.ARMEndpoint, "/"))
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
