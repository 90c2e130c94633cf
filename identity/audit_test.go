package identity

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// TestTokenEndpointAudits: a token is recorded (who, audience, grant, its
// id hashed) durably before the client has it — the line is in the file
// the moment the response arrives — and a failed sign-in is recorded with
// its reason; neither the secret nor the token nor its id is in the file;
// when the event cannot be written the client gets 503, not a token.
func TestTokenEndpointAudits(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	hasher := audit.NewHasher([]byte("test-salt"))
	log, err := audit.Open(t.Context(), audit.Options{Node: "n1", File: path, Hasher: hasher})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, storagetest.SQLite(t), func(c *Config) { c.Audit = log })
	id, secret := ts.boot.Client.ID, ts.boot.Secret
	tokenPath := "/" + ts.tenant + "/oauth2/v2.0/token"
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret},
		"scope": {"https://management.azure.com/.default"}}

	resp, body := ts.post(t, tokenPath, form, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	// Read at once: Record returned before the answer was written.
	lines := readEvents(t, path)
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	jti := tokenID(t, tr.AccessToken)
	if len(lines) != 1 {
		t.Fatalf("%d events after the response, want 1", len(lines))
	}
	ev := lines[0]
	if ev["action"] != audit.ActionTokenIssue || ev["result"] != audit.Success || ev["grant"] != grantClientCredentials ||
		ev["audience"] != "https://management.azure.com/" || ev["principal"] != ts.boot.Client.ObjectID ||
		ev["tokenId"] != hasher.Hash(jti) || ev["requestId"] == "" || ev["source"] == "" {
		t.Fatalf("issued event %v", ev)
	}

	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("client_secret", "wrong-"+secret)
	if resp, body := ts.post(t, tokenPath, bad, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d %s", resp.StatusCode, body)
	}
	lines = readEvents(t, path)
	if ev := lines[len(lines)-1]; ev["action"] != audit.ActionAuthnFailure || ev["principal"] != "client:"+id ||
		!strings.Contains(ev["reason"].(string), "7000215") || ev["source"] == "" {
		t.Fatalf("failure event %v", ev)
	}

	raw, _ := os.ReadFile(path)
	for what, s := range map[string]string{"secret": secret, "token": tr.AccessToken, "token id": jti} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the %s is in the audit log in clear", what)
		}
	}

	log.Close() // every later event fails
	resp, body = ts.post(t, tokenPath, form, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), "access_token") ||
		!strings.Contains(string(body), "temporarily_unavailable") {
		t.Fatalf("with the audit log down: %d %s", resp.StatusCode, body)
	}
}

func readEvents(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// tokenID is a JWT's jti, read without verification.
func tokenID(t *testing.T, jwt string) string {
	t.Helper()
	jti, _ := azuretest.JWTClaims(t, jwt)["jti"].(string)
	if jti == "" {
		t.Fatalf("no jti in %.40q", jwt)
	}
	return jti
}
