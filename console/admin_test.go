package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/tokendtest"
)

// The pages over the management API: an administrator (Tokend
// Administrator at "/") registers an application and sees its secret
// once, resets it, adds a federated credential; adds a user and a managed
// identity; rotates a key and revokes one only after confirming. A Reader
// of a subscription has no access to any of it.
func TestAdminPages(t *testing.T) {
	t.Parallel()
	tk := tokendtest.Start(t)
	adm := tk.CreateUser(t, "root@contoso.example", "correct horse battery")
	tk.AssignRole(t, adm.ObjectID, "Tokend Administrator", "/")
	b := newBrowser(t, tk)
	b.signIn(adm.UserPrincipalName, adm.Password)

	apps := b.get("/console/apps")
	created := b.do(http.MethodPost, "/console/apps/create", url.Values{"csrf": {csrfOf(apps)}, "displayName": {"deployer"}})
	secret := regexp.MustCompile(`<textarea id="new-secret" readonly rows="2">(tkd_[^<]+)</textarea>`).FindStringSubmatch(created.Body)
	clientID := regexp.MustCompile(`href="/console/apps/([0-9a-f-]{36})"`).FindStringSubmatch(created.Body)
	if created.Status != 200 || secret == nil || clientID == nil {
		t.Fatalf("create: %d\n%s", created.Status, created.Body)
	}
	detail := b.get("/console/apps/" + clientID[1])
	if detail.Status != 200 || strings.Contains(detail.Body, secret[1]) || !strings.Contains(detail.Body, "deployer") {
		t.Fatalf("the application's page shows its secret again, or fails: %d\n%s", detail.Status, detail.Body)
	}
	reset := b.do(http.MethodPost, "/console/apps/"+clientID[1]+"/secret", url.Values{"csrf": {csrfOf(detail)}})
	if again := regexp.MustCompile(`(tkd_[0-9A-Za-z]+)`).FindString(reset.Body); again == "" || again == secret[1] {
		t.Errorf("reset secret: %d %q", reset.Status, again)
	}
	fed := b.do(http.MethodPost, "/console/apps/"+clientID[1]+"/federated", url.Values{"csrf": {csrfOf(detail)}, "fedName": {"github-main"},
		"issuer": {"https://token.actions.githubusercontent.com"}, "subject": {"repo:org/repo:ref:refs/heads/main"}, "audiences": {"api://AzureADTokenExchange"}})
	if !strings.Contains(fed.Body, "The federated credential was added") || !strings.Contains(fed.Body, "repo:org/repo") {
		t.Errorf("federated credential: %d\n%s", fed.Status, fed.Body)
	}
	bad := b.do(http.MethodPost, "/console/apps/"+clientID[1]+"/certificates", url.Values{"csrf": {csrfOf(detail)}, "certificate": {"not a certificate"}})
	if bad.Status != 200 || !strings.Contains(bad.Body, `class="error"`) {
		t.Errorf("a bad certificate: %d\n%s", bad.Status, bad.Body)
	}

	users := b.get("/console/users")
	u := b.do(http.MethodPost, "/console/users/create", url.Values{"csrf": {csrfOf(users)}, "upn": {"new@contoso.example"}})
	if !strings.Contains(u.Body, `id="new-password"`) || !strings.Contains(u.Body, "new@contoso.example") {
		t.Errorf("create user: %d\n%s", u.Status, u.Body)
	}

	ids := b.get("/console/identities")
	mi := b.do(http.MethodPost, "/console/identities/create", url.Values{"csrf": {csrfOf(ids)}, "name": {"web"}})
	if !strings.Contains(mi.Body, "IDENTITY_HEADER=") || !strings.Contains(mi.Body, "IDENTITY_ENDPOINT=") {
		t.Errorf("create identity: %d\n%s", mi.Status, mi.Body)
	}

	keys := b.get("/console/keys")
	kid := regexp.MustCompile(`name="kid" value="([^"]+)"`).FindStringSubmatch(keys.Body)
	if keys.Status != 200 || kid == nil {
		t.Fatalf("keys: %d\n%s", keys.Status, keys.Body)
	}
	rotated := b.do(http.MethodPost, "/console/keys/rotate", url.Values{"csrf": {csrfOf(keys)}})
	if !strings.Contains(rotated.Body, "A new key was made") || strings.Count(rotated.Body, `name="kid"`) < 2 {
		t.Errorf("rotate: %d\n%s", rotated.Status, rotated.Body)
	}
	ask := b.do(http.MethodPost, "/console/keys/revoke", url.Values{"csrf": {csrfOf(keys)}, "kid": {kid[1]}})
	if !strings.Contains(ask.Body, "Yes, revoke") || strings.Contains(ask.Body, "The key was revoked") {
		t.Errorf("revoke without confirming: %d\n%s", ask.Status, ask.Body)
	}
	revoked := b.do(http.MethodPost, "/console/keys/revoke", url.Values{"csrf": {csrfOf(keys)}, "kid": {kid[1]}, "confirm": {"yes"}})
	if !strings.Contains(revoked.Body, "The key was revoked") {
		t.Errorf("revoke: %d\n%s", revoked.Status, revoked.Body)
	}
	if p := b.get("/console/audit?action=Tokend/*"); p.Status != 200 || !strings.Contains(p.Body, "audit chains are intact") {
		t.Errorf("audit: %d\n%s", p.Status, p.Body)
	}
	// The metrics: three charts, and the tokens signing in issued.
	metrics := b.get("/console/metrics")
	issued := regexp.MustCompile(`Tokens issued: [^;]+; ([0-9]+) since the node started`).FindStringSubmatch(metrics.Body)
	if metrics.Status != 200 || strings.Count(metrics.Body, `<section class="chart"`) != 3 || issued == nil || issued[1] == "0" {
		t.Errorf("metrics: %d\n%s", metrics.Status, metrics.Body)
	}

	reader := tk.CreateUser(t, "rita@contoso.example", "correct horse battery")
	tk.AssignRole(t, reader.ObjectID, "Reader", "/subscriptions/"+tk.SubscriptionID)
	rb := newBrowser(t, tk)
	rb.signIn(reader.UserPrincipalName, reader.Password)
	for _, p := range []string{"/console/apps", "/console/users", "/console/identities", "/console/keys", "/console/audit", "/console/metrics"} {
		if got := rb.get(p); got.Status != http.StatusForbidden || !strings.Contains(got.Body, "You do not have access") {
			t.Errorf("a subscription's Reader on %s: %d", p, got.Status)
		}
	}
}
