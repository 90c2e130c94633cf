package identity

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
)

func TestBootstrapOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testBootstrapOnceAcrossNodes)
}

func testBootstrapOnceAcrossNodes(t *testing.T, store tokend.Store) {
	f := newFixture(t, store, newBox(t))
	nodes := []*Service{f.newService(t, nil), f.newService(t, nil), f.newService(t, nil)}
	results := make([]*Bootstrap, len(nodes))
	var wg sync.WaitGroup
	for i, s := range nodes {
		wg.Go(func() {
			b, err := s.EnsureBootstrap(context.Background())
			if err != nil {
				t.Error(err)
			}
			results[i] = b
		})
	}
	wg.Wait()
	created := 0
	var id, secret string
	for _, b := range results {
		if b == nil || b.Client == nil {
			t.Fatal("no bootstrap client")
		}
		if b.Created {
			created++
			id, secret = b.Client.ID, b.Secret
		} else if b.Secret != "" {
			t.Fatal("only the creating node may know the secret")
		}
	}
	if created != 1 {
		t.Fatalf("%d nodes created a bootstrap client, want 1", created)
	}
	for _, b := range results {
		if b.Client.ID != id {
			t.Fatal("nodes disagree on the bootstrap client")
		}
	}
	clients, _ := f.store.ListClients(context.Background())
	if len(clients) != 1 {
		t.Fatalf("%d clients, want 1", len(clients))
	}
	s := nodes[0]
	if _, err := s.Clients.Authenticate(context.Background(), f.tenant, id, secret); err != nil {
		t.Fatal(err)
	}
	p := &tokend.Principal{ObjectID: clients[0].ObjectID}
	if err := s.Authorizer().Authorize(context.Background(), p, "Microsoft.Authorization/roleAssignments/write", "/subscriptions/any"); err != nil {
		t.Errorf("bootstrap is Owner at /: %v", err)
	}
	if err := s.Authorizer().AuthorizeData(context.Background(), p, pwWriteAccessTokens, "/subscriptions/any/resourcegroups/rg/providers/microsoft.azureplaywrightservice/accounts/a"); err != nil {
		t.Errorf("bootstrap holds the Playwright data owner role at /: %v", err)
	}
	// Deleting the client takes its assignments along.
	if err := s.Clients.Delete(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.store.ListRoleAssignments(context.Background(), p.ObjectID); len(list) != 0 {
		t.Fatalf("%d assignments survive their client", len(list))
	}
	if b, err := s.EnsureBootstrap(context.Background()); err != nil || b.Created || b.Client != nil {
		t.Fatalf("after deletion: %+v %v (bootstrap must not come back)", b, err)
	}
}

// The bootstrap client holds Owner and exactly the configured bootstrap
// roles; one the catalog lacks fails the bootstrap and leaves nothing
// behind, so a corrected configuration bootstraps on the next start.
func TestBootstrapRoles(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testBootstrapRoles)
}

func testBootstrapRoles(t *testing.T, store tokend.Store) {
	ctx := context.Background()
	f := newFixture(t, store, newBox(t))
	account := "/subscriptions/" + f.sub + "/resourcegroups/rg/providers/microsoft.azureplaywrightservice/accounts/a"

	bad := f.newService(t, func(c *Config) { c.BootstrapRoles = []string{"Playwright Testing Owner", "No Such Role"} })
	if b, err := bad.EnsureBootstrap(ctx); err == nil || !strings.Contains(err.Error(), "No Such Role") {
		t.Fatalf("unknown bootstrap role: got %+v, %v", b, err)
	}
	if clients, err := f.store.ListClients(ctx); err != nil || len(clients) != 0 {
		t.Fatalf("a failed bootstrap left %d clients (%v)", len(clients), err)
	}
	if list, err := f.store.ListRoleAssignments(ctx, ""); err != nil || len(list) != 0 {
		t.Fatalf("a failed bootstrap left %d role assignments (%v)", len(list), err)
	}

	// No provider roles: Owner alone, which does not reach data.
	plain := f.newService(t, func(c *Config) { c.BootstrapRoles = nil })
	b, err := plain.EnsureBootstrap(ctx)
	if err != nil || !b.Created {
		t.Fatalf("bootstrap after the failed one: %+v %v", b, err)
	}
	list, err := f.store.ListRoleAssignments(ctx, b.Client.ObjectID)
	if err != nil || len(list) != 1 || list[0].Role != RoleOwner || list[0].Scope != "/" {
		t.Fatalf("assignments %+v (%v), want Owner at / only", list, err)
	}
	p := &tokend.Principal{ObjectID: b.Client.ObjectID}
	if err := plain.Authorizer().Authorize(ctx, p, "Microsoft.App/containerApps/write", account); err != nil {
		t.Errorf("Owner at /: %v", err)
	}
	if err := plain.Authorizer().AuthorizeData(ctx, p, pwReadAccount, account); err == nil {
		t.Error("Owner alone holds a data action")
	}
}

func TestBootstrapFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := &BootstrapFile{
		TenantID: "t", SubscriptionID: "s", ClientID: "c", ClientSecret: "tkd_it's",
		Authority: "https://127.0.0.1:8443/", ARMEndpoint: "https://127.0.0.1:8443/", CACertFile: "/d/ca.pem",
	}
	if err := WriteBootstrapFile(dir, in); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, BootstrapFileName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600: it holds a secret", st.Mode().Perm())
	}
	out, err := ReadBootstrapFile(dir)
	if err != nil || *out != *in {
		t.Fatalf("read back %+v, %v", out, err)
	}
	env := out.EnvExports()
	for _, want := range []string{
		"export AZURE_TENANT_ID='t'\n", "export AZURE_CLIENT_ID='c'\n",
		`export AZURE_CLIENT_SECRET='tkd_it'\''s'` + "\n",
		"export AZURE_AUTHORITY_HOST='https://127.0.0.1:8443/'\n", "export SSL_CERT_FILE='/d/ca.pem'\n",
		"export TOKEND_URL='https://127.0.0.1:8443'\n",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %q:\n%s", want, env)
		}
	}
}
