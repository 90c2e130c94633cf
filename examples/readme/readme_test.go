package readme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/tokendtest"
)

// TestAppToken runs the README's example against a tokend, with the
// environment `tokend env` would print for it.
func TestAppToken(t *testing.T) {
	srv := tokendtest.Start(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	bf := identity.BootstrapFile{TenantID: srv.TenantID, SubscriptionID: srv.SubscriptionID, ClientID: srv.ClientID,
		ClientSecret: srv.ClientSecret, Authority: srv.URL + "/", ARMEndpoint: srv.URL + "/", CACertFile: ca}
	for _, line := range strings.Split(strings.TrimSpace(bf.EnvExports()), "\n") {
		k, v, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		t.Setenv(k, strings.Trim(v, "'"))
	}
	tok, err := AppToken(t.Context(), "demo", "web")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("not a JWT: %q", tok)
	}
}

// TestREADMEQuotesTheExample: the README's Go block is this file's code
// between the README markers, so what the README shows is what compiles.
func TestREADMEQuotesTheExample(t *testing.T) {
	src, err := os.ReadFile("readme.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(src), "// README:begin\n")
	code, _, ok := strings.Cut(rest, "// README:end")
	if !ok {
		t.Fatal("readme.go lacks the README markers")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+strings.TrimSpace(code)+"\n```") {
		t.Fatal("README.md does not quote examples/readme/readme.go between its README markers verbatim: copy it into the README's Go block")
	}
}
