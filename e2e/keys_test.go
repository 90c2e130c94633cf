package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/internal/azuretest"
)

// `tokend keys revoke` (a suspected compromise), run against a serving
// node's database: within a second that node refuses every token the key
// signed, drops it from its JWKS and signs with another key.
func TestKeyRevocation(t *testing.T) {
	t.Parallel()
	for _, engine := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(*testing.T) []string { return nil }},
		{"postgres", func(t *testing.T) []string { return []string{"--database", PostgresURL(t)} }},
	} {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()
			testKeyRevocation(t, Start(t, engine.args(t)...))
		})
	}
}

func testKeyRevocation(t *testing.T, tk *Tokend) {
	kid := func(token string) string {
		kid, _ := azuretest.JWTHeader(t, token)["kid"].(string)
		return kid
	}
	status := func(token string) int {
		resp, _ := tk.Do(t, http.MethodGet, "/subscriptions?api-version=2022-12-01", nil, token)
		return resp.StatusCode
	}
	old := tk.ARMToken(t)
	if got := status(old); got != http.StatusOK {
		t.Fatalf("before: %d", got)
	}
	var signer struct {
		Kid   string `json:"kid"`
		State string `json:"state"`
	}
	tk.cliJSON(t, &signer, "keys", "revoke", "--", kid(old))
	if signer.Kid == "" || signer.Kid == kid(old) || signer.State != "active" {
		t.Fatalf("keys revoke printed %+v", signer)
	}
	start := time.Now()
	for status(old) != http.StatusUnauthorized {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the revoked key's token is still accepted after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("refused after %v", time.Since(start).Round(time.Millisecond))
	_, jwks := tk.Do(t, http.MethodGet, "/"+tk.Boot.TenantID+"/discovery/v2.0/keys", nil, "")
	if strings.Contains(string(jwks), kid(old)) || !strings.Contains(string(jwks), signer.Kid) {
		t.Errorf("JWKS after the revocation: %s", jwks)
	}
	fresh := tk.ARMToken(t)
	if kid(fresh) != signer.Kid || status(fresh) != http.StatusOK {
		t.Errorf("a new token: kid %s, status %d", kid(fresh), status(fresh))
	}
	if _, errOut, err := tk.runCLI("keys", "revoke", "--", kid(old)); err == nil || !strings.Contains(string(errOut), "keys list") {
		t.Errorf("revoking an unknown key: %v %s", err, errOut)
	}
}
