package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/internal/testkit"
)

const base = "/admin/v1/tenants/" + tenantID

// Who may call what: Owner and Tokend Administrator everything, Reader
// the reads only, a principal without a role nothing, a caller without a
// token nobody's business; each refusal in ARM's envelope.
func TestAuthorization(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		ops := []struct {
			method, path, body string
			write              bool
			created            int
		}{
			{"GET", base + "/clients", "", false, 200},
			{"POST", base + "/clients", `{"displayName":"x"}`, true, 201},
			{"GET", base + "/users", "", false, 200},
			{"POST", base + "/users", `{"userPrincipalName":"%s@contoso.example"}`, true, 201},
			{"GET", base + "/managedIdentities", "", false, 200},
			{"POST", base + "/managedIdentities", `{"name":"mi-%s"}`, true, 201},
			{"GET", "/admin/v1/keys", "", false, 200},
			{"POST", "/admin/v1/keys/rotate", `{}`, true, 200},
			{"GET", "/admin/v1/audit/events", "", false, 200},
			{"GET", "/admin/v1/audit/verify", "", false, 200},
			{"GET", "/admin/v1/metrics", "", false, 200},
		}
		for _, who := range []string{owner, tokendAdm, reader, nobody, ""} {
			for _, op := range ops {
				body := op.body
				if strings.Contains(body, "%s") {
					body = fmt.Sprintf(body, who+"x")
				}
				status, b := h.do(who, op.method, op.path, body)
				want := op.created
				switch {
				case who == "":
					want = http.StatusUnauthorized
				case who == nobody, who == reader && op.write:
					want = http.StatusForbidden
				}
				if status != want {
					t.Errorf("%s %s as %q: %d %s, want %d", op.method, op.path, who, status, b, want)
				}
				if want == http.StatusForbidden && !strings.Contains(string(b), `"code":"AuthorizationFailed"`) {
					t.Errorf("%s %s as %q: refusal %s is not ARM's", op.method, op.path, who, b)
				}
			}
		}
	})
}

// A client's life: created with its secret shown once, listed and read
// without it, updated, its secret reset (the old one stops working),
// deleted.
func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		var created admin.CreatedClientView
		h.must(owner, "POST", base+"/clients", `{"displayName":"deployer","identifierUris":["api://orders"],"redirectUris":["https://app.example/cb"]}`, 201, &created)
		if created.ClientSecret == "" || created.DisplayName != "deployer" || created.IdentifierURIs[0] != "api://orders" || created.Kind != "application" {
			t.Fatalf("created %+v", created)
		}
		if _, err := h.ids.Authenticate(t.Context(), tenantID, created.ClientID, created.ClientSecret); err != nil {
			t.Fatalf("the secret shown does not authenticate: %v", err)
		}
		for _, who := range []string{owner, reader} {
			status, b := h.do(who, "GET", base+"/clients/"+created.ClientID, "")
			if status != 200 || strings.Contains(string(b), created.ClientSecret) || strings.Contains(string(b), "clientSecret") {
				t.Errorf("GET as %s: %d %s shows the secret", who, status, b)
			}
			status, b = h.do(who, "GET", base+"/clients", "")
			if status != 200 || strings.Contains(string(b), created.ClientSecret) || !strings.Contains(string(b), created.ClientID) {
				t.Errorf("list as %s: %d %s", who, status, b)
			}
		}
		var updated admin.ClientView
		h.must(owner, "PATCH", base+"/clients/"+created.ClientID, `{"redirectUris":["http://localhost"]}`, 200, &updated)
		if len(updated.RedirectURIs) != 1 || updated.RedirectURIs[0] != "http://localhost" || updated.IdentifierURIs[0] != "api://orders" {
			t.Errorf("updated %+v", updated)
		}
		var reset admin.SecretView
		h.must(owner, "POST", base+"/clients/"+created.ClientID+"/secrets", "", 200, &reset)
		if reset.ClientSecret == "" || reset.ClientSecret == created.ClientSecret || !strings.HasPrefix(reset.ClientSecret, strings.TrimSuffix(reset.SecretHint, "…")) {
			t.Fatalf("reset %+v", reset)
		}
		if _, err := h.ids.Authenticate(t.Context(), tenantID, created.ClientID, created.ClientSecret); err == nil {
			t.Errorf("the old secret still authenticates")
		}
		h.must(owner, "DELETE", base+"/clients/"+created.ClientID, "", 204, nil)
		h.must(owner, "GET", base+"/clients/"+created.ClientID, "", 404, nil)
		h.must(owner, "DELETE", base+"/clients/"+created.ClientID, "", 404, nil)
		h.mu.Lock()
		done := strings.Join(h.done, "\n")
		h.mu.Unlock()
		for _, want := range []string{admin.ActionClientsWrite + " Created", admin.ActionClientsWrite + " OK", admin.ActionClientsDelete + " No Content"} {
			if !strings.Contains(done, want) {
				t.Errorf("the audit hook saw no %q in\n%s", want, done)
			}
		}
	})
}

// Bad input is a 400 in ARM's envelope naming the field; unknown things
// are 404s naming what is missing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		var c admin.CreatedClientView
		h.must(owner, "POST", base+"/clients", `{"displayName":"app"}`, 201, &c)
		var pub admin.CreatedClientView
		h.must(owner, "POST", base+"/clients", `{"public":true,"redirectUris":["http://localhost"]}`, 201, &pub)
		if pub.ClientSecret != "" {
			t.Errorf("a public client got a secret")
		}
		cp := base + "/clients/" + c.ClientID
		for _, tc := range []struct {
			method, path, body string
			status             int
			code, target       string
		}{
			{"POST", base + "/clients", `{"displayName":""}`, 400, "InvalidDisplayName", "displayName"},
			{"POST", base + "/clients", `{"displayName":7}`, 400, "InvalidRequestContent", "displayName"},
			{"POST", base + "/clients", `{"redirectUris":["http://example.com/cb"]}`, 400, "InvalidRedirectUri", "redirectUris"},
			{"POST", base + "/clients", `{"identifierUris":["not a uri"]}`, 400, "InvalidIdentifierUri", "identifierUris"},
			{"POST", base + "/clients", `{"displayName":`, 400, "InvalidRequestContent", "body"},
			{"POST", base + "/clients", ``, 400, "InvalidRequestContent", "body"},
			{"PATCH", cp, `{}`, 400, "InvalidRequestContent", "body"},
			{"PATCH", cp, `{"displayName":"y"}`, 400, "PropertyNotUpdatable", "displayName"},
			{"PATCH", cp, `{"redirectUris":["http://example.com/cb"]}`, 400, "InvalidRedirectUri", "redirectUris"},
			{"POST", base + "/clients/" + pub.ClientID + "/secrets", ``, 400, "PublicClientHasNoSecret", "clientId"},
			{"GET", base + "/clients/not-a-guid", ``, 400, "InvalidClientId", "clientId"},
			{"GET", base + "/clients/00000000-0000-4000-8000-000000000001", ``, 404, "ClientNotFound", ""},
			{"GET", "/admin/v1/tenants/00000000-0000-4000-8000-000000000002/clients", ``, 404, "TenantNotFound", ""},
			{"POST", cp + "/certificates", []string{`{"certificate":""}`}[0], 400, "InvalidCertificate", "certificate"},
			{"POST", cp + "/certificates", `{"certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}`, 400, "InvalidCertificate", "certificate"},
			{"PUT", cp + "/federatedCredentials/gh", `{"issuer":"https://token.actions.githubusercontent.com","subject":"repo:o/r"}`, 400, "InvalidFederatedCredential", "name"},
			{"PUT", cp + "/federatedCredentials/gh-main", `{"issuer":"http://example.com","subject":"repo:o/r"}`, 400, "InvalidFederatedCredential", "issuer"},
			{"PUT", cp + "/federatedCredentials/gh-main", `{"issuer":"https://token.actions.githubusercontent.com"}`, 400, "InvalidFederatedCredential", "subject"},
			{"POST", base + "/users", `{"userPrincipalName":"no-at-sign"}`, 400, "InvalidUser", "userPrincipalName"},
			{"POST", base + "/users", `{"displayName":"x"}`, 400, "InvalidUser", "userPrincipalName"},
			{"POST", base + "/users", `{"userPrincipalName":"a@b.example","password":"short"}`, 400, "InvalidUser", "password"},
			{"POST", base + "/users/nobody@b.example/resetPassword", `{}`, 404, "UserNotFound", ""},
			{"POST", base + "/managedIdentities", `{"name":"a"}`, 400, "InvalidManagedIdentity", "name"},
			{"POST", base + "/managedIdentities", `{}`, 400, "InvalidManagedIdentity", "name"},
			{"GET", base + "/managedIdentities/missing", ``, 404, "ManagedIdentityNotFound", ""},
			{"POST", "/admin/v1/keys/rotate", `{"algorithm":"HS256"}`, 400, "InvalidAlgorithm", "algorithm"},
			{"POST", "/admin/v1/keys/no-such-kid/revoke", ``, 404, "SigningKeyNotFound", ""},
			{"GET", "/admin/v1/audit/events?from=yesterday", ``, 400, "InvalidQueryParameterValue", "from"},
			{"GET", "/admin/v1/audit/events?%24top=0", ``, 400, "InvalidQueryParameterValue", "$top"},
			{"GET", "/admin/v1/audit/events?%24skipToken=garbage", ``, 400, "InvalidSkipToken", "$skipToken"},
			{"GET", base + "/clients?%24top=5000", ``, 400, "InvalidQueryParameterValue", "$top"},
			{"GET", "/admin/v1/nothing", ``, 404, "NotFound", ""},
		} {
			status, b := h.do(owner, tc.method, tc.path, tc.body)
			var e apiError
			_ = jsonUnmarshal(b, &e)
			if status != tc.status || e.Error.Code != tc.code || e.Error.Target != tc.target || e.Error.Message == "" {
				t.Errorf("%s %s %s: %d %s, want %d %s naming %q", tc.method, tc.path, tc.body, status, b, tc.status, tc.code, tc.target)
			}
		}
	})
}

// Lists page with nextLink, each page continuing after the last item of
// the one before; a token of another list is refused.
func TestPaging(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		h := newHarness(t, store)
		want := map[string]bool{}
		for i := range 5 {
			var c admin.CreatedClientView
			h.must(owner, "POST", base+"/clients", fmt.Sprintf(`{"displayName":"app%d"}`, i), 201, &c)
			want[c.ClientID] = true
		}
		seen := map[string]bool{}
		next, pages := base+"/clients?%24top=2", 0
		for next != "" {
			var page struct {
				Value    []admin.ClientView `json:"value"`
				NextLink string             `json:"nextLink"`
			}
			h.must(reader, "GET", next, "", 200, &page)
			pages++
			for _, c := range page.Value {
				if seen[c.ClientID] {
					t.Errorf("%s listed twice", c.ClientID)
				}
				seen[c.ClientID] = true
			}
			next = ""
			if page.NextLink != "" {
				u, err := url.Parse(page.NextLink)
				if err != nil || u.Query().Get("$top") != "2" {
					t.Fatalf("nextLink %q", page.NextLink)
				}
				next = u.RequestURI()
				if pages == 1 {
					// The token belongs to the clients list, not the users list.
					status, _ := h.do(reader, "GET", base+"/users?"+u.RawQuery, "")
					if status != 400 {
						t.Errorf("a clients token on the users list: %d", status)
					}
				}
			}
		}
		if pages != 3 || len(seen) != len(want) {
			t.Errorf("%d pages, %d clients, want 3 pages, %d clients", pages, len(seen), len(want))
		}
	})
}
