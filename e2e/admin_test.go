package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The management API end to end, over TLS against the binary, with
// management-audience tokens from azidentity's ClientSecretCredential: the
// bootstrap client (Owner at "/") creates a client and gets its secret
// once, and the new client signs in with it; a Reader at "/" lists but
// sees no secret and may not write; a client without a role may do
// nothing; bad input is a 400 naming the field; a client made Tokend
// Administrator with `tokend roles assign` may manage; every write is in
// the audit log, without the secret, and the chains verify.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	tk := Start(t, "--audit-db")
	owner := getToken(t, tk.Credential(t), "https://management.azure.com/.default")
	clients := "/admin/v1/tenants/" + tk.Boot.TenantID + "/clients"
	call := func(token, method, path string, body any, want int) []byte {
		t.Helper()
		resp, b := tk.Do(t, method, path, body, token)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		return b
	}

	var created struct {
		ClientID, ObjectID, ClientSecret, SecretHint string
	}
	if err := json.Unmarshal(call(owner, "POST", clients, `{"displayName":"made-by-api"}`, http.StatusCreated), &created); err != nil || created.ClientSecret == "" {
		t.Fatalf("create: %v %+v", err, created)
	}
	for _, p := range []string{clients, clients + "/" + created.ClientID} {
		if b := call(owner, "GET", p, nil, http.StatusOK); strings.Contains(string(b), created.ClientSecret) || !strings.Contains(string(b), created.ClientID) {
			t.Errorf("GET %s shows the secret or not the client: %s", p, b)
		}
	}
	// The secret signs the new client in; it holds no role, so it may
	// call nothing here.
	nobody := getToken(t, tk.CredentialFor(t, created.ClientID, created.ClientSecret), "https://management.azure.com/.default")
	if b := call(nobody, "GET", clients, nil, http.StatusForbidden); !strings.Contains(string(b), `"code":"AuthorizationFailed"`) {
		t.Errorf("no role: %s", b)
	}
	call(nobody, "POST", clients, `{}`, http.StatusForbidden)
	call("", "GET", clients, nil, http.StatusUnauthorized)

	// A Reader at "/" reads without secrets and writes nothing.
	rd := tk.CreateClientWith(t, "reader", "--role", "Reader", "--scope", "/")
	reader := getToken(t, tk.CredentialFor(t, rd.ClientID, rd.ClientSecret), "https://management.azure.com/.default")
	list := call(reader, "GET", clients, nil, http.StatusOK)
	if !strings.Contains(string(list), created.ClientID) || strings.Contains(string(list), "clientSecret") {
		t.Errorf("reader's list: %s", list)
	}
	call(reader, "POST", clients, `{"displayName":"x"}`, http.StatusForbidden)
	call(reader, "POST", clients+"/"+created.ClientID+"/secrets", nil, http.StatusForbidden)
	call(reader, "DELETE", clients+"/"+created.ClientID, nil, http.StatusForbidden)
	call(reader, "POST", "/admin/v1/keys/rotate", `{}`, http.StatusForbidden)

	// Bad input names the field.
	var bad struct{ Error struct{ Code, Target string } }
	_ = json.Unmarshal(call(owner, "POST", clients, `{"displayName":"","redirectUris":[]}`, http.StatusBadRequest), &bad)
	if bad.Error.Target != "displayName" {
		t.Errorf("bad display name: %+v", bad)
	}
	_ = json.Unmarshal(call(owner, "POST", clients, `{"redirectUris":["http://app.example/cb"]}`, http.StatusBadRequest), &bad)
	if bad.Error.Target != "redirectUris" {
		t.Errorf("bad redirect URI: %+v", bad)
	}

	// The role catalog has Tokend Administrator: the CLI assigns it, and
	// the holder may manage users (once the nodes see the assignment).
	tk.CLI(t, "roles", "assign", "--role", "Tokend Administrator", "--scope", "/", "--principal", created.ClientID)
	users := "/admin/v1/tenants/" + tk.Boot.TenantID + "/users"
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, b := tk.Do(t, "POST", users, `{"userPrincipalName":"ada@contoso.example"}`, nobody)
		if resp.StatusCode == http.StatusCreated {
			if !strings.Contains(string(b), `"password"`) {
				t.Errorf("no made-up password: %s", b)
			}
			break
		}
		if resp.StatusCode != http.StatusForbidden || time.Now().After(deadline) {
			t.Fatalf("Tokend Administrator creating a user: %d %s", resp.StatusCode, b)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Every write is in the audit log, the secret is not, and the chain
	// verifies.
	events := string(call(reader, "GET", "/admin/v1/audit/events?action=Tokend/*&%24top=1000", nil, http.StatusOK))
	for _, want := range []string{`"action":"Tokend/clients/write"`, `"action":"Tokend/users/write"`, "/admin/v1/tenants/" + tk.Boot.TenantID + "/clients"} {
		if !strings.Contains(events, want) {
			t.Errorf("audit events lack %s:\n%s", want, events)
		}
	}
	denied := string(call(owner, "GET", "/admin/v1/audit/events?action=authz.denied*", nil, http.StatusOK))
	if !strings.Contains(denied, "Tokend/clients/write") {
		t.Errorf("the reader's refused write is not audited:\n%s", denied)
	}
	if strings.Contains(events+denied, created.ClientSecret) {
		t.Errorf("a client secret is in the audit log")
	}
	var verified struct{ Intact bool }
	if err := json.Unmarshal(call(owner, "GET", "/admin/v1/audit/verify", nil, http.StatusOK), &verified); err != nil || !verified.Intact {
		t.Errorf("audit chains do not verify: %v %+v", err, verified)
	}
}
