package admin_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/internal/testkit"
)

type list[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink"`
}

// Certificates (JSON or a PEM upload) and federated credentials: added,
// listed, read, removed; a repeated PUT is answered as it is, a different
// one under a taken name is a conflict.
func TestCredentials(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		var c admin.CreatedClientView
		h.must(owner, "POST", base+"/clients", `{"displayName":"wl"}`, 201, &c)
		cp := base + "/clients/" + c.ClientID

		upload := func() string {
			b, _ := json.Marshal(map[string]string{"certificate": string(selfSigned(t))})
			return string(b)
		}
		var cert, cert2 admin.CertificateView
		h.must(tokendAdm, "POST", cp+"/certificates", upload(), 201, &cert)
		h.must(owner, "POST", cp+"/certificates", upload(), 201, &cert2)
		var certs list[admin.CertificateView]
		h.must(reader, "GET", cp+"/certificates", "", 200, &certs)
		if len(certs.Value) != 2 || cert.Thumbprint == "" || len(cert.ThumbprintSHA256) != 64 {
			t.Fatalf("certificates %+v after adding %+v", certs, cert)
		}
		h.must(owner, "DELETE", cp+"/certificates/"+cert.Thumbprint, "", 204, nil)
		h.must(owner, "DELETE", cp+"/certificates/"+cert.Thumbprint, "", 404, nil)
		h.must(reader, "DELETE", cp+"/certificates/"+cert2.Thumbprint, "", 403, nil)

		fed := `{"issuer":"https://token.actions.githubusercontent.com","subject":"repo:o/r:ref:refs/heads/main"}`
		var f admin.FederatedCredentialView
		h.must(owner, "PUT", cp+"/federatedCredentials/gh-main", fed, 201, &f)
		if f.Name != "gh-main" || len(f.Audiences) != 1 || f.Audiences[0] != "api://AzureADTokenExchange" {
			t.Errorf("federated credential %+v", f)
		}
		h.must(owner, "PUT", cp+"/federatedCredentials/gh-main", fed, 200, nil)
		h.must(owner, "PUT", cp+"/federatedCredentials/gh-main", `{"issuer":"https://token.actions.githubusercontent.com","subject":"other"}`, 409, nil)
		h.must(reader, "GET", cp+"/federatedCredentials/gh-main", "", 200, &f)
		var feds list[admin.FederatedCredentialView]
		h.must(reader, "GET", cp+"/federatedCredentials", "", 200, &feds)
		if len(feds.Value) != 1 {
			t.Errorf("federated credentials %+v", feds)
		}
		h.must(owner, "DELETE", cp+"/federatedCredentials/gh-main", "", 204, nil)
		h.must(owner, "GET", cp+"/federatedCredentials/gh-main", "", 404, nil)
		h.must(owner, "DELETE", cp+"/federatedCredentials/gh-main", "", 404, nil)
	})
}

// Users: a made-up password is answered once and signs in; a given one is
// never echoed; a reset makes the old password fail; delete by name.
func TestUsers(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		var ada admin.CreatedUserView
		h.must(owner, "POST", base+"/users", `{"userPrincipalName":"ada@contoso.example","displayName":"Ada"}`, 201, &ada)
		if ada.Password == "" || ada.DisplayName != "Ada" || ada.ObjectID == "" {
			t.Fatalf("created %+v", ada)
		}
		status, b := h.do(owner, "POST", base+"/users", `{"userPrincipalName":"bob@contoso.example","password":"correct horse battery"}`)
		if status != 201 || strings.Contains(string(b), "correct horse") || strings.Contains(string(b), `"password"`) {
			t.Errorf("create with a password: %d %s", status, b)
		}
		h.must(owner, "POST", base+"/users", `{"userPrincipalName":"ADA@contoso.example"}`, 409, nil)
		var users list[admin.UserView]
		h.must(reader, "GET", base+"/users", "", 200, &users)
		if len(users.Value) != 2 || strings.Contains(fmt.Sprint(users), ada.Password) {
			t.Errorf("users %+v", users)
		}
		var got admin.UserView
		h.must(reader, "GET", base+"/users/ada@contoso.example", "", 200, &got)
		if got.ObjectID != ada.ObjectID {
			t.Errorf("by name: %+v", got)
		}
		var reset admin.CreatedUserView
		h.must(owner, "POST", base+"/users/"+ada.ObjectID+"/resetPassword", "", 200, &reset)
		if reset.Password == "" || reset.Password == ada.Password {
			t.Errorf("reset %+v", reset)
		}
		reset = admin.CreatedUserView{}
		h.must(owner, "POST", base+"/users/"+ada.ObjectID+"/resetPassword", `{"password":"another good one"}`, 200, &reset)
		if reset.Password != "" {
			t.Errorf("a given password was echoed")
		}
		h.must(reader, "POST", base+"/users/"+ada.ObjectID+"/resetPassword", "", 403, nil)
		h.must(owner, "DELETE", base+"/users/ada@contoso.example", "", 204, nil)
		h.must(owner, "GET", base+"/users/"+ada.ObjectID, "", 404, nil)
	})
}

// Managed identities: created with their header, listed and read without
// it, the environment (a credential) only for whom holds the action.
func TestManagedIdentities(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		var mi admin.CreatedManagedIdentityView
		h.must(owner, "POST", base+"/managedIdentities", `{"name":"web"}`, 201, &mi)
		if mi.IdentityHeader == "" || mi.IdentityEndpoint != "https://tokend.test/msi/token" || mi.ClientID == "" {
			t.Fatalf("created %+v", mi)
		}
		h.must(owner, "POST", base+"/managedIdentities", `{"name":"web"}`, 409, nil)
		for _, p := range []string{base + "/managedIdentities", base + "/managedIdentities/web"} {
			status, b := h.do(reader, "GET", p, "")
			if status != 200 || strings.Contains(string(b), mi.IdentityHeader) || !strings.Contains(string(b), mi.PrincipalID) {
				t.Errorf("GET %s as reader: %d %s", p, status, b)
			}
		}
		h.must(reader, "POST", base+"/managedIdentities/web/environment", "", 403, nil)
		var env admin.EnvironmentView
		h.must(tokendAdm, "POST", base+"/managedIdentities/web/environment", "", 200, &env)
		if env.IdentityHeader != mi.IdentityHeader || env.ClientID != mi.ClientID || env.MSIEndpoint != env.IdentityEndpoint {
			t.Errorf("environment of the only identity %+v", env)
		}
		h.must(owner, "POST", base+"/managedIdentities", `{"name":"api"}`, 201, nil)
		env = admin.EnvironmentView{}
		h.must(owner, "POST", base+"/managedIdentities/web/environment", "", 200, &env)
		if env.MSIEndpoint != "" {
			t.Errorf("one of two identities got MSI_ENDPOINT: %+v", env)
		}
		h.must(owner, "POST", base+"/managedIdentities/web/environment", `{"default":true}`, 200, &env)
		if env.MSIEndpoint == "" {
			t.Errorf("default: no MSI_ENDPOINT")
		}
		// A managed identity is not an application.
		h.must(owner, "GET", base+"/clients/"+mi.ClientID, "", 404, nil)
		h.must(owner, "DELETE", base+"/managedIdentities/web", "", 204, nil)
		h.must(owner, "GET", base+"/managedIdentities/web", "", 404, nil)
	})
}

// Keys: a rotation pre-publishes a key (pending), an immediate one signs
// at once, a revocation answers the key that signs now.
func TestKeys(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		var keys list[admin.SigningKeyView]
		h.must(reader, "GET", "/admin/v1/keys", "", 200, &keys)
		if len(keys.Value) != 1 || keys.Value[0].State != "active" || keys.Value[0].Algorithm != "ES256" {
			t.Fatalf("keys %+v", keys)
		}
		first := keys.Value[0].Kid
		var pending admin.SigningKeyView
		h.must(owner, "POST", "/admin/v1/keys/rotate", "", 200, &pending)
		if pending.State != "pending" || pending.Kid == first {
			t.Errorf("rotation: %+v", pending)
		}
		var now admin.SigningKeyView
		h.must(owner, "POST", "/admin/v1/keys/rotate", `{"immediate":true}`, 200, &now)
		if now.State != "active" || now.Kid != pending.Kid {
			t.Errorf("immediate rotation with a pending key: %+v, want %s active", now, pending.Kid)
		}
		var rs admin.SigningKeyView
		h.must(owner, "POST", "/admin/v1/keys/rotate", `{"immediate":true,"algorithm":"RS256"}`, 200, &rs)
		if rs.Algorithm != "RS256" || rs.State != "active" {
			t.Errorf("RS256 rotation: %+v", rs)
		}
		var signer admin.SigningKeyView
		h.must(owner, "POST", "/admin/v1/keys/"+rs.Kid+"/revoke", "", 200, &signer)
		if signer.Kid == rs.Kid || signer.State != "active" {
			t.Errorf("after revoking the signing key, %+v signs", signer)
		}
		h.must(reader, "GET", "/admin/v1/keys", "", 200, &keys)
		for _, k := range keys.Value {
			if k.Kid == rs.Kid {
				t.Errorf("the revoked key is still listed")
			}
		}
	})
}

// The audit log from the database: newest first, filtered, paged with a
// nextLink bound to its filters; verification finds the chains intact,
// and a line that does not follow its chain broken.
func TestAuditEvents(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		ctx := t.Context()
		for i := range 5 {
			ev := &audit.Event{RequestID: fmt.Sprintf("r%d", i), Principal: "cli:ops", Action: "client.create", Target: "x", Result: audit.Success}
			if i%2 == 1 {
				ev.Principal, ev.Action = "cli:dev", "user.create"
			}
			if err := audit.AppendOnce(ctx, store, "cli", ev); err != nil {
				t.Fatal(err)
			}
		}
		var all []string
		next := "/admin/v1/audit/events?%24top=2"
		for next != "" {
			var page list[map[string]any]
			h.must(reader, "GET", next, "", 200, &page)
			for _, ev := range page.Value {
				all = append(all, fmt.Sprint(ev["requestId"]))
			}
			next = ""
			if page.NextLink != "" {
				u, _ := url.Parse(page.NextLink)
				next = u.RequestURI()
			}
		}
		if strings.Join(all, ",") != "r4,r3,r2,r1,r0" {
			t.Errorf("events newest first over pages: %v", all)
		}
		var dev list[map[string]any]
		h.must(reader, "GET", "/admin/v1/audit/events?principal=cli:dev&action=user.*", "", 200, &dev)
		if len(dev.Value) != 2 || dev.NextLink != "" {
			t.Errorf("filtered: %+v", dev)
		}
		h.must(reader, "GET", "/admin/v1/audit/events?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z", "", 200, &dev)
		if len(dev.Value) != 0 {
			t.Errorf("a day long ago: %+v", dev)
		}
		var first list[map[string]any]
		h.must(reader, "GET", "/admin/v1/audit/events?%24top=1", "", 200, &first)
		u, _ := url.Parse(first.NextLink)
		q := u.Query()
		q.Set("principal", "cli:dev")
		status, _ := h.do(reader, "GET", "/admin/v1/audit/events?"+q.Encode(), "")
		if status != 400 {
			t.Errorf("a token with other filters: %d, want 400", status)
		}

		var v struct {
			Intact bool                  `json:"intact"`
			Chains []audit.ChainVerified `json:"chains"`
		}
		h.must(reader, "GET", "/admin/v1/audit/verify", "", 200, &v)
		if !v.Intact || len(v.Chains) != 1 || v.Chains[0].Node != "cli" || v.Chains[0].Lines != 5 || v.Chains[0].LastSeq != 5 {
			t.Fatalf("verify: %+v", v)
		}
		forged := `{"seq":6,"requestId":"f","action":"x","result":"success","prev":"` + strings.Repeat("ab", 32) + `"}`
		if err := store.AppendAuditRecords(ctx, []*tokend.AuditRecord{{Node: "cli", Seq: 6, Time: time.Now(),
			RequestID: "f", Principal: "x", Action: "x", Result: "success", Line: []byte(forged), Hash: "h"}}); err != nil {
			t.Fatal(err)
		}
		h.must(reader, "GET", "/admin/v1/audit/verify", "", 200, &v)
		if v.Intact || v.Chains[0].Break == nil || v.Chains[0].Break.Line != 6 {
			t.Errorf("verify after a forged line: %+v", v)
		}
		h.must(nobody, "GET", "/admin/v1/audit/verify", "", 403, nil)
	})
}

// A create may assign a role, as the CLI's --role and --scope, when the
// caller may assign roles there: checked before anything is created.
func TestCreateWithRole(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		var c admin.CreatedClientView
		h.must(owner, "POST", base+"/clients", `{"displayName":"ci","role":"Reader","scope":"/"}`, 201, &c)
		if ra := c.RoleAssignment; ra == nil || ra.Role != "Reader" || ra.Scope != "/" || ra.PrincipalID != c.ObjectID || c.RoleAssignmentError != "" {
			t.Fatalf("created %+v", c)
		}
		// The new client reads with what it was given.
		h.must(c.ObjectID, "GET", base+"/clients", "", 200, nil)
		var u admin.CreatedUserView
		h.must(owner, "POST", base+"/users", `{"userPrincipalName":"eve@contoso.example","role":"Tokend Administrator","scope":"/"}`, 201, &u)
		if u.RoleAssignment == nil || u.RoleAssignment.Role != admin.RoleTokendAdministrator {
			t.Errorf("user %+v", u)
		}
		var mi admin.CreatedManagedIdentityView
		h.must(owner, "POST", base+"/managedIdentities", `{"name":"worker","role":"Reader","scope":"/subscriptions/00000000-0000-4000-8000-000000000001"}`, 201, &mi)
		if mi.RoleAssignment == nil || mi.RoleAssignment.PrincipalID != mi.PrincipalID {
			t.Errorf("managed identity %+v", mi)
		}
		// Tokend Administrator holds no Microsoft.Authorization action.
		h.must(tokendAdm, "POST", base+"/clients", `{"displayName":"x","role":"Owner","scope":"/"}`, 403, nil)
		for _, tc := range []struct{ body, target string }{
			{`{"role":"No Such Role","scope":"/"}`, "role"},
			{`{"role":"Reader"}`, "scope"},
			{`{"scope":"/"}`, "role"},
			{`{"role":"Reader","scope":"not a scope"}`, "scope"},
		} {
			status, b := h.do(owner, "POST", base+"/clients", tc.body)
			var e apiError
			_ = jsonUnmarshal(b, &e)
			if status != 400 || e.Error.Target != tc.target {
				t.Errorf("%s: %d %s, want 400 naming %s", tc.body, status, b, tc.target)
			}
		}
		var all list[admin.ClientView]
		h.must(owner, "GET", base+"/clients", "", 200, &all)
		if len(all.Value) != 1 {
			t.Errorf("refused creates left %d clients", len(all.Value))
		}
	})
}
