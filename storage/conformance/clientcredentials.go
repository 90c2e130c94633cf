package conformance

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
)

// RunClientCredentials runs the ClientCredentialStore and
// ManagedIdentityStore conformance tests, with the client fields they
// bring (Kind, IdentifierURIs).
func RunClientCredentials(t *testing.T, newStore func(t *testing.T) tokend.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s tokend.Store)
	}{
		{"ClientKind", testClientKind},
		{"ClientIdentifierURIs", testClientIdentifierURIs},
		{"SetIdentifierURIs", testSetIdentifierURIs},
		{"ClientCertificates", testClientCertificates},
		{"FederatedCredentials", testFederatedCredentials},
		{"ManagedIdentities", testManagedIdentities},
		{"DeleteClientCascades", testDeleteClientCascades},
		{"AssertionReplay", testAssertionReplay},
		{"AssertionReplayRace", testAssertionReplayRace},
		{"AssertionPurge", testAssertionPurge},
		{"AssertionBatch", testAssertionBatch},
		{"ClientCredentialsTxRollback", testClientCredentialsTxRollback},
		{"ClientCredentialsTxContinuesAfterConflict", testClientCredentialsTxContinuesAfterConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

func getClient(t *testing.T, q tokend.Queries, id string) *tokend.Client {
	t.Helper()
	c, err := q.GetClient(t.Context(), id)
	must(t, err)
	return c
}

func testClientKind(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	unset, app, mi := newClient(), newClient(), newClient()
	app.Kind = tokend.ClientApplication
	mi.Kind = tokend.ClientManagedIdentity
	for _, c := range []*tokend.Client{unset, app, mi} {
		must(t, s.CreateClient(ctx, c))
		checkClient(t, getClient(t, s, c.ID), c)
	}
	if got := getClient(t, s, unset.ID).Kind; got != tokend.ClientApplication {
		t.Errorf("a client created without a kind is %q, want application", got)
	}
	list, err := s.ListClients(ctx)
	must(t, err)
	kinds := map[string]tokend.ClientKind{}
	for _, c := range list {
		kinds[c.ID] = c.Kind
	}
	if kinds[unset.ID] != tokend.ClientApplication || kinds[app.ID] != tokend.ClientApplication || kinds[mi.ID] != tokend.ClientManagedIdentity {
		t.Errorf("ListClients kinds = %v", kinds)
	}

	app.Kind = tokend.ClientManagedIdentity
	must(t, s.UpdateClient(ctx, app))
	checkClient(t, getClient(t, s, app.ID), app)
	app.Kind = "" // back to an application
	must(t, s.UpdateClient(ctx, app))
	checkClient(t, getClient(t, s, app.ID), app)
}

// testClientIdentifierURIs: identifier URIs round-trip through
// CreateClient, GetClient, ListClients and UpdateClient, in the order and
// spelling given, and are unique across clients without regard to case.
func testClientIdentifierURIs(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a := newClient()
	a.IdentifierURIs = []string{"api://Alpha", "https://contoso.example/api", "api://0"}
	must(t, s.CreateClient(ctx, a))
	checkClient(t, getClient(t, s, a.ID), a)

	for _, uri := range []string{"api://Alpha", "API://ALPHA", "api://alpha", "HTTPS://Contoso.Example/API", "api://0"} {
		got, err := s.ClientByIdentifierURI(ctx, uri)
		must(t, err)
		checkClient(t, got, a)
	}
	for _, uri := range []string{"api://alph", "api://alpha/", "api://Alpha ", "", a.ID} {
		_, err := s.ClientByIdentifierURI(ctx, uri)
		wantErr(t, err, tokend.ErrNotFound)
	}

	// Another client cannot take one of them in any case; the failed
	// create writes nothing.
	b := newClient()
	b.IdentifierURIs = []string{"api://beta", "API://alpha"}
	wantErr(t, s.CreateClient(ctx, b), tokend.ErrAlreadyExists)
	_, err := s.GetClient(ctx, b.ID)
	wantErr(t, err, tokend.ErrNotFound)
	_, err = s.ClientByIdentifierURI(ctx, "api://beta")
	wantErr(t, err, tokend.ErrNotFound)

	b.IdentifierURIs = []string{"api://beta"}
	must(t, s.CreateClient(ctx, b))
	// A client with none, sorting between or around the others.
	c := newClient()
	must(t, s.CreateClient(ctx, c))
	wantErr(t, s.CreateClient(ctx, b), tokend.ErrAlreadyExists)

	list, err := s.ListClients(ctx)
	must(t, err)
	want := []*tokend.Client{a, b, c}
	slices.SortFunc(want, func(x, y *tokend.Client) int { return strings.Compare(x.ID, y.ID) })
	if len(list) != len(want) {
		t.Fatalf("ListClients returned %d clients, want %d", len(list), len(want))
	}
	for i := range want {
		checkClient(t, list[i], want[i])
	}

	// UpdateClient replaces them with the other fields...
	a.IdentifierURIs = []string{"https://contoso.example/api", "api://gamma"}
	a.DisplayName = "renamed"
	must(t, s.UpdateClient(ctx, a))
	checkClient(t, getClient(t, s, a.ID), a)
	_, err = s.ClientByIdentifierURI(ctx, "api://alpha")
	wantErr(t, err, tokend.ErrNotFound)
	got, err := s.ClientByIdentifierURI(ctx, "api://GAMMA")
	must(t, err)
	checkClient(t, got, a)

	// ...but not with another client's: then nothing changes.
	stale := *a
	stale.IdentifierURIs = []string{"api://delta", "Api://Beta"}
	stale.DisplayName = "not applied"
	wantErr(t, s.UpdateClient(ctx, &stale), tokend.ErrAlreadyExists)
	checkClient(t, getClient(t, s, a.ID), a)
	checkClient(t, getClient(t, s, b.ID), b)

	// An update with the same URIs (a secret reset) keeps them.
	a.SecretHint = "new"
	must(t, s.UpdateClient(ctx, a))
	checkClient(t, getClient(t, s, a.ID), a)

	missing := newClient()
	wantErr(t, s.UpdateClient(ctx, missing), tokend.ErrNotFound)
	missing.IdentifierURIs = []string{"api://missing"}
	wantErr(t, s.UpdateClient(ctx, missing), tokend.ErrNotFound)
	_, err = s.ClientByIdentifierURI(ctx, "api://missing")
	wantErr(t, err, tokend.ErrNotFound)
}

func testSetIdentifierURIs(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a, b := newClient(), newClient()
	must(t, s.CreateClient(ctx, a))
	must(t, s.CreateClient(ctx, b))
	wantErr(t, s.SetIdentifierURIs(ctx, uuid.NewString(), []string{"api://x"}), tokend.ErrNotFound)
	_, err := s.ClientByIdentifierURI(ctx, "api://x")
	wantErr(t, err, tokend.ErrNotFound)

	must(t, s.SetIdentifierURIs(ctx, a.ID, []string{"api://one", "api://Two"}))
	a.IdentifierURIs = []string{"api://one", "api://Two"}
	checkClient(t, getClient(t, s, a.ID), a)

	// Replacing: a URI kept, one dropped, one added, a new order, and a
	// repeat (in another case) dropped.
	must(t, s.SetIdentifierURIs(ctx, a.ID, []string{"api://three", "API://ONE", "api://three", "Api://Three"}))
	a.IdentifierURIs = []string{"api://three", "API://ONE"}
	checkClient(t, getClient(t, s, a.ID), a)
	_, err = s.ClientByIdentifierURI(ctx, "api://two")
	wantErr(t, err, tokend.ErrNotFound)
	got, err := s.ClientByIdentifierURI(ctx, "api://one")
	must(t, err)
	checkClient(t, got, a)

	// Taken by a, in any case: b gets ErrAlreadyExists and keeps its own.
	must(t, s.SetIdentifierURIs(ctx, b.ID, []string{"api://b"}))
	b.IdentifierURIs = []string{"api://b"}
	wantErr(t, s.SetIdentifierURIs(ctx, b.ID, []string{"api://b2", "api://Three"}), tokend.ErrAlreadyExists)
	checkClient(t, getClient(t, s, b.ID), b)
	checkClient(t, getClient(t, s, a.ID), a)
	_, err = s.ClientByIdentifierURI(ctx, "api://b2")
	wantErr(t, err, tokend.ErrNotFound)

	// Released by a, free for b.
	must(t, s.SetIdentifierURIs(ctx, a.ID, nil))
	a.IdentifierURIs = nil
	checkClient(t, getClient(t, s, a.ID), a)
	must(t, s.SetIdentifierURIs(ctx, b.ID, []string{"api://THREE", "api://b"}))
	b.IdentifierURIs = []string{"api://THREE", "api://b"}
	checkClient(t, getClient(t, s, b.ID), b)
	got, err = s.ClientByIdentifierURI(ctx, "api://three")
	must(t, err)
	checkClient(t, got, b)
	// Setting the same URIs again is no change and no conflict.
	must(t, s.SetIdentifierURIs(ctx, b.ID, []string{"api://THREE", "api://b"}))
	checkClient(t, getClient(t, s, b.ID), b)
	must(t, s.SetIdentifierURIs(ctx, b.ID, []string{}))
	b.IdentifierURIs = nil
	checkClient(t, getClient(t, s, b.ID), b)
}

func newCertificate(clientID string, seed byte, created time.Time) *tokend.ClientCertificate {
	der := bytes.Repeat([]byte{0x30, 0x82, 0, seed}, 300) // DER-sized, with zero bytes
	sha1Sum := sha1.Sum(der)
	sha256Sum := sha256.Sum256(der)
	return &tokend.ClientCertificate{
		ClientID:         clientID,
		Thumbprint:       fmt.Sprintf("%X", sha1Sum),
		ThumbprintSHA256: base64.RawURLEncoding.EncodeToString(sha256Sum[:]),
		DER:              der,
		NotBefore:        created.Add(-time.Hour),
		NotAfter:         created.Add(365 * 24 * time.Hour),
		CreatedAt:        created,
	}
}

func checkCertificates(t *testing.T, q tokend.Queries, clientID string, want ...*tokend.ClientCertificate) {
	t.Helper()
	list, err := q.ListClientCertificates(t.Context(), clientID)
	must(t, err)
	if len(list) != len(want) {
		t.Fatalf("client %s has %d certificates, want %d", clientID, len(list), len(want))
	}
	for i, got := range list {
		w := want[i]
		if got.ClientID != w.ClientID || got.Thumbprint != strings.ToUpper(w.Thumbprint) ||
			got.ThumbprintSHA256 != w.ThumbprintSHA256 || !bytes.Equal(got.DER, w.DER) {
			t.Errorf("certificate %d = %s %s %s (%d bytes), want %s %s %s (%d bytes), in the order added", i,
				got.ClientID, got.Thumbprint, got.ThumbprintSHA256, len(got.DER),
				w.ClientID, strings.ToUpper(w.Thumbprint), w.ThumbprintSHA256, len(w.DER))
		}
		checkTime(t, "NotBefore", got.NotBefore, w.NotBefore)
		checkTime(t, "NotAfter", got.NotAfter, w.NotAfter)
		checkTime(t, "CreatedAt", got.CreatedAt, w.CreatedAt)
	}
}

func testClientCertificates(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a, b := newClient(), newClient()
	must(t, s.CreateClient(ctx, a))
	must(t, s.CreateClient(ctx, b))
	wantErr(t, s.AddClientCertificate(ctx, newCertificate(uuid.NewString(), 1, stamp(0))), tokend.ErrNotFound)
	checkCertificates(t, s, a.ID)

	// Added in lower case, stored in upper case, the way Entra shows it.
	c1 := newCertificate(a.ID, 1, stamp(time.Minute))
	c1.Thumbprint = strings.ToLower(c1.Thumbprint)
	c2 := newCertificate(a.ID, 2, stamp(2*time.Minute))
	c0 := newCertificate(a.ID, 0, stamp(0))
	for _, c := range []*tokend.ClientCertificate{c1, c2, c0} {
		must(t, s.AddClientCertificate(ctx, c))
	}
	checkCertificates(t, s, a.ID, c0, c1, c2)

	// One thumbprint once per client, in any case; another client may
	// have the same certificate.
	dup := *c1
	dup.Thumbprint = strings.ToUpper(dup.Thumbprint)
	dup.CreatedAt = stamp(time.Hour)
	wantErr(t, s.AddClientCertificate(ctx, &dup), tokend.ErrAlreadyExists)
	shared := newCertificate(b.ID, 1, stamp(0))
	must(t, s.AddClientCertificate(ctx, shared))
	checkCertificates(t, s, a.ID, c0, c1, c2)
	checkCertificates(t, s, b.ID, shared)

	// Deleted by thumbprint in any case.
	must(t, s.DeleteClientCertificate(ctx, a.ID, strings.ToLower(c2.Thumbprint)))
	checkCertificates(t, s, a.ID, c0, c1)
	wantErr(t, s.DeleteClientCertificate(ctx, a.ID, c2.Thumbprint), tokend.ErrNotFound)
	must(t, s.DeleteClientCertificate(ctx, a.ID, strings.ToUpper(c1.Thumbprint)))
	checkCertificates(t, s, a.ID, c0)
	checkCertificates(t, s, b.ID, shared)
	wantErr(t, s.DeleteClientCertificate(ctx, uuid.NewString(), c0.Thumbprint), tokend.ErrNotFound)
	wantErr(t, s.DeleteClientCertificate(ctx, b.ID, c0.Thumbprint), tokend.ErrNotFound)
	checkCertificates(t, s, uuid.NewString())
}

func checkFederated(t *testing.T, q tokend.Queries, clientID string, want ...*tokend.FederatedCredential) {
	t.Helper()
	list, err := q.ListFederatedCredentials(t.Context(), clientID)
	must(t, err)
	if len(list) != len(want) {
		t.Fatalf("client %s has %d federated credentials, want %d", clientID, len(list), len(want))
	}
	for i, got := range list {
		w := want[i]
		if got.ClientID != w.ClientID || got.Name != w.Name || got.Issuer != w.Issuer || got.Subject != w.Subject ||
			!slices.Equal(got.Audiences, w.Audiences) {
			t.Errorf("federated credential %d = %+v, want %+v (by name)", i, got, w)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, w.CreatedAt)
	}
}

func testFederatedCredentials(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a, b := newClient(), newClient()
	must(t, s.CreateClient(ctx, a))
	must(t, s.CreateClient(ctx, b))
	github := &tokend.FederatedCredential{
		ClientID: a.ID, Name: "github-main",
		Issuer:    "https://token.actions.githubusercontent.com",
		Subject:   "repo:tokend-dev/tokend:ref:refs/heads/main",
		Audiences: []string{"api://AzureADTokenExchange"},
		CreatedAt: stamp(time.Minute),
	}
	k8s := &tokend.FederatedCredential{
		ClientID: a.ID, Name: "aks",
		Issuer:    "https://oidc.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/",
		Subject:   "system:serviceaccount:default:workload",
		Audiences: []string{"api://AzureADTokenExchange", "tokend \"quoted\" ünicode"},
		CreatedAt: stamp(2 * time.Minute),
	}
	none := &tokend.FederatedCredential{
		ClientID: a.ID, Name: "no-audience", Issuer: "https://issuer.example", Subject: "s", CreatedAt: stamp(0),
	}
	missing := *github
	missing.ClientID = uuid.NewString()
	wantErr(t, s.CreateFederatedCredential(ctx, &missing), tokend.ErrNotFound)
	checkFederated(t, s, missing.ClientID)

	for _, f := range []*tokend.FederatedCredential{github, k8s, none} {
		must(t, s.CreateFederatedCredential(ctx, f))
	}
	checkFederated(t, s, a.ID, k8s, github, none)

	dup := *github
	dup.Subject = "repo:tokend-dev/tokend:environment:prod"
	wantErr(t, s.CreateFederatedCredential(ctx, &dup), tokend.ErrAlreadyExists)
	// Names are per client.
	other := *github
	other.ClientID = b.ID
	must(t, s.CreateFederatedCredential(ctx, &other))
	checkFederated(t, s, a.ID, k8s, github, none)
	checkFederated(t, s, b.ID, &other)

	must(t, s.DeleteFederatedCredential(ctx, a.ID, "github-main"))
	checkFederated(t, s, a.ID, k8s, none)
	checkFederated(t, s, b.ID, &other)
	wantErr(t, s.DeleteFederatedCredential(ctx, a.ID, "github-main"), tokend.ErrNotFound)
	wantErr(t, s.DeleteFederatedCredential(ctx, a.ID, "AKS"), tokend.ErrNotFound) // names compare exactly
	wantErr(t, s.DeleteFederatedCredential(ctx, uuid.NewString(), "aks"), tokend.ErrNotFound)
	// Created again after a delete.
	must(t, s.CreateFederatedCredential(ctx, &dup))
	checkFederated(t, s, a.ID, k8s, &dup, none)
}

func checkManagedIdentity(t *testing.T, got, want *tokend.ManagedIdentity) {
	t.Helper()
	if got.Name != want.Name || got.ClientID != want.ClientID || !bytes.Equal(got.HeaderSealed, want.HeaderSealed) {
		t.Errorf("managed identity = %+v, want %+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}

func newManagedIdentity(t *testing.T, q tokend.Queries, name string) *tokend.ManagedIdentity {
	t.Helper()
	c := newClient()
	c.Kind = tokend.ClientManagedIdentity
	must(t, q.CreateClient(t.Context(), c))
	return &tokend.ManagedIdentity{Name: name, ClientID: c.ID, HeaderSealed: []byte{0, 1, 0xfe, 0}, CreatedAt: stamp(0)}
}

func testManagedIdentities(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	_, err := s.GetManagedIdentity(ctx, "build-agent")
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.DeleteManagedIdentity(ctx, "build-agent"), tokend.ErrNotFound)
	if list, err := s.ListManagedIdentities(ctx); err != nil || len(list) != 0 {
		t.Fatalf("ListManagedIdentities on an empty store = %v, %v", list, err)
	}
	orphan := &tokend.ManagedIdentity{Name: "orphan", ClientID: uuid.NewString(), HeaderSealed: []byte{1}, CreatedAt: stamp(0)}
	wantErr(t, s.CreateManagedIdentity(ctx, orphan), tokend.ErrNotFound)

	build := newManagedIdentity(t, s, "build-agent")
	must(t, s.CreateManagedIdentity(ctx, build))
	got, err := s.GetManagedIdentity(ctx, build.Name)
	must(t, err)
	checkManagedIdentity(t, got, build)
	_, err = s.GetManagedIdentity(ctx, "Build-Agent") // names compare exactly
	wantErr(t, err, tokend.ErrNotFound)

	// A name once, a client once.
	taken := newManagedIdentity(t, s, build.Name)
	wantErr(t, s.CreateManagedIdentity(ctx, taken), tokend.ErrAlreadyExists)
	twice := *build
	twice.Name = "second-name"
	wantErr(t, s.CreateManagedIdentity(ctx, &twice), tokend.ErrAlreadyExists)

	app := newManagedIdentity(t, s, "app-runner")
	app.CreatedAt = stamp(time.Hour)
	must(t, s.CreateManagedIdentity(ctx, app))
	list, err := s.ListManagedIdentities(ctx)
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("ListManagedIdentities returned %d, want 2", len(list))
	}
	checkManagedIdentity(t, list[0], app) // by name
	checkManagedIdentity(t, list[1], build)

	// Deleting the identity leaves its client.
	must(t, s.DeleteManagedIdentity(ctx, build.Name))
	_, err = s.GetManagedIdentity(ctx, build.Name)
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.DeleteManagedIdentity(ctx, build.Name), tokend.ErrNotFound)
	if got := getClient(t, s, build.ClientID); got.Kind != tokend.ClientManagedIdentity {
		t.Errorf("the deleted identity's client is %q", got.Kind)
	}
	// The name is free again.
	must(t, s.CreateManagedIdentity(ctx, taken))
	list, err = s.ListManagedIdentities(ctx)
	must(t, err)
	if got := idsOf(list, func(m *tokend.ManagedIdentity) string { return m.Name }); !slices.Equal(got, []string{"app-runner", "build-agent"}) {
		t.Errorf("ListManagedIdentities = %v", got)
	}
}

// giveEverything gives client c a certificate, a federated credential,
// identifier URIs and a managed identity named name.
func giveEverything(t *testing.T, q tokend.Queries, c *tokend.Client, name string) {
	t.Helper()
	ctx := t.Context()
	must(t, q.AddClientCertificate(ctx, newCertificate(c.ID, 7, stamp(0))))
	must(t, q.CreateFederatedCredential(ctx, &tokend.FederatedCredential{
		ClientID: c.ID, Name: "fic", Issuer: "https://issuer.example", Subject: name, CreatedAt: stamp(0),
	}))
	must(t, q.SetIdentifierURIs(ctx, c.ID, []string{"api://" + name, "https://" + name + ".example"}))
	must(t, q.CreateManagedIdentity(ctx, &tokend.ManagedIdentity{Name: name, ClientID: c.ID, HeaderSealed: []byte(name), CreatedAt: stamp(0)}))
}

// checkHasNothing checks that nothing of giveEverything is left for c.
func checkHasNothing(t *testing.T, q tokend.Queries, clientID, name string) {
	t.Helper()
	ctx := t.Context()
	checkCertificates(t, q, clientID)
	checkFederated(t, q, clientID)
	for _, uri := range []string{"api://" + name, "https://" + name + ".example"} {
		_, err := q.ClientByIdentifierURI(ctx, uri)
		wantErr(t, err, tokend.ErrNotFound)
	}
	_, err := q.GetManagedIdentity(ctx, name)
	wantErr(t, err, tokend.ErrNotFound)
}

func testDeleteClientCascades(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a, b := newClient(), newClient()
	must(t, s.CreateClient(ctx, a))
	must(t, s.CreateClient(ctx, b))
	giveEverything(t, s, a, "alpha")
	giveEverything(t, s, b, "beta")

	must(t, s.DeleteClient(ctx, a.ID))
	checkHasNothing(t, s, a.ID, "alpha")
	list, err := s.ListManagedIdentities(ctx)
	must(t, err)
	if got := idsOf(list, func(m *tokend.ManagedIdentity) string { return m.Name }); !slices.Equal(got, []string{"beta"}) {
		t.Errorf("managed identities after the delete = %v, want [beta]", got)
	}
	// The other client keeps all of its own.
	if l, _ := s.ListClientCertificates(ctx, b.ID); len(l) != 1 {
		t.Errorf("the other client has %d certificates", len(l))
	}
	if l, _ := s.ListFederatedCredentials(ctx, b.ID); len(l) != 1 {
		t.Errorf("the other client has %d federated credentials", len(l))
	}
	if got, err := s.ClientByIdentifierURI(ctx, "api://beta"); err != nil || got.ID != b.ID {
		t.Errorf("ClientByIdentifierURI(api://beta) = %v, %v", got, err)
	}

	// The same client id created again starts with nothing, and what the
	// deleted one had is free.
	must(t, s.CreateClient(ctx, a))
	checkClient(t, getClient(t, s, a.ID), a)
	checkHasNothing(t, s, a.ID, "alpha")
	giveEverything(t, s, a, "alpha")

	// Inside a transaction too.
	must(t, s.InTx(ctx, func(q tokend.Queries) error {
		if err := q.DeleteClient(ctx, b.ID); err != nil {
			return err
		}
		checkHasNothing(t, q, b.ID, "beta")
		return nil
	}))
	checkHasNothing(t, s, b.ID, "beta")
}

func testAssertionReplay(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	now := stamp(0)
	must(t, s.RecordAssertion(ctx, "jti-1", now.Add(5*time.Minute), now))
	wantErr(t, s.RecordAssertion(ctx, "jti-1", now.Add(5*time.Minute), now), tokend.ErrAlreadyExists)
	wantErr(t, s.RecordAssertion(ctx, "jti-1", now.Add(10*time.Minute), now.Add(5*time.Minute-time.Microsecond)), tokend.ErrAlreadyExists)
	// Ids compare exactly, and are independent.
	must(t, s.RecordAssertion(ctx, "JTI-1", now.Add(5*time.Minute), now))
	must(t, s.RecordAssertion(ctx, "jti-2", now.Add(time.Minute), now))

	// Once expired, an id may be used again, and is then remembered until
	// its new expiry.
	must(t, s.RecordAssertion(ctx, "jti-1", now.Add(10*time.Minute), now.Add(5*time.Minute)))
	wantErr(t, s.RecordAssertion(ctx, "jti-1", now.Add(10*time.Minute), now.Add(6*time.Minute)), tokend.ErrAlreadyExists)
	wantErr(t, s.RecordAssertion(ctx, "jti-1", now.Add(20*time.Minute), now.Add(10*time.Minute-time.Microsecond)), tokend.ErrAlreadyExists)
	must(t, s.RecordAssertion(ctx, "jti-1", now.Add(20*time.Minute), now.Add(11*time.Minute)))
	// jti-2 expired long ago (and may have been purged meanwhile).
	must(t, s.RecordAssertion(ctx, "jti-2", now.Add(20*time.Minute), now.Add(11*time.Minute)))
	wantErr(t, s.RecordAssertion(ctx, "jti-2", now.Add(20*time.Minute), now.Add(12*time.Minute)), tokend.ErrAlreadyExists)
}

// raceAssertion records one id from n goroutines at once over stores, in
// turn, and checks that exactly one of them won.
func raceAssertion(t *testing.T, id string, expiresAt, now time.Time, stores ...tokend.Store) {
	t.Helper()
	const n = 16
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			errs[i] = stores[i%len(stores)].RecordAssertion(t.Context(), id, expiresAt, now)
		})
	}
	start.Done()
	wg.Wait()
	winners := 0
	for _, err := range errs {
		if err == nil {
			winners++
			continue
		}
		if !errors.Is(err, tokend.ErrAlreadyExists) {
			t.Errorf("RecordAssertion(%s) = %v, want nil or ErrAlreadyExists", id, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent RecordAssertion(%s) succeeded, want exactly 1", winners, n, id)
	}
}

// testAssertionReplayRace: of many token requests presenting one assertion
// at once, exactly one is accepted, also when the id was recorded before
// and has expired.
func testAssertionReplayRace(t *testing.T, s tokend.Store) {
	now := stamp(0)
	raceAssertion(t, "jti-race", now.Add(time.Minute), now, s)
	raceAssertion(t, "jti-race", now.Add(3*time.Minute), now.Add(2*time.Minute), s)
	wantErr(t, s.RecordAssertion(t.Context(), "jti-race", now.Add(3*time.Minute), now.Add(2*time.Minute)), tokend.ErrAlreadyExists)
}

// assertionRaceAcrossNodes: the same between two nodes on one database.
func assertionRaceAcrossNodes(t *testing.T, a, b tokend.Store) {
	now := stamp(0)
	raceAssertion(t, "jti-nodes", now.Add(time.Minute), now, a, b)
	raceAssertion(t, "jti-nodes", now.Add(3*time.Minute), now.Add(2*time.Minute), a, b)
	for _, s := range []tokend.Store{a, b} {
		wantErr(t, s.RecordAssertion(t.Context(), "jti-nodes", now.Add(3*time.Minute), now.Add(2*time.Minute)), tokend.ErrAlreadyExists)
	}
}

// testAssertionBatch: RecordAssertions flags exactly the replays of a
// batch: ids recorded before and unexpired, and a repeat within the batch.
func testAssertionBatch(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	now := stamp(0)
	must(t, s.RecordAssertion(ctx, "seen", now.Add(time.Hour), now))
	must(t, s.RecordAssertion(ctx, "lapsed", now.Add(-time.Minute), now.Add(-time.Hour)))
	batch := []*tokend.AssertionRecord{
		{ID: "fresh-1", ExpiresAt: now.Add(time.Hour)},
		{ID: "seen", ExpiresAt: now.Add(time.Hour)},
		{ID: "lapsed", ExpiresAt: now.Add(time.Hour)},
		{ID: "fresh-2", ExpiresAt: now.Add(time.Hour)},
		{ID: "fresh-1", ExpiresAt: now.Add(time.Hour)},
	}
	must(t, s.RecordAssertions(ctx, now, batch))
	want := []bool{false, true, false, false, true}
	for i, r := range batch {
		if r.Replayed != want[i] {
			t.Errorf("record %d (%s): replayed %v, want %v", i, r.ID, r.Replayed, want[i])
		}
	}
	// The batch committed: its new ids are now replays.
	wantErr(t, s.RecordAssertion(ctx, "fresh-2", now.Add(time.Hour), now), tokend.ErrAlreadyExists)
	wantErr(t, s.RecordAssertion(ctx, "lapsed", now.Add(time.Hour), now), tokend.ErrAlreadyExists)
}

// testAssertionPurge: PurgeAssertions forgets exactly the ids expired
// before its time, and a purged id may be recorded again.
func testAssertionPurge(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	now := stamp(0)
	const expired = 250
	for i := range expired {
		must(t, s.RecordAssertion(ctx, fmt.Sprintf("old-%03d", i), now.Add(time.Duration(i)*time.Second), now.Add(-time.Hour)))
	}
	later := now.Add(time.Hour)
	for i := range 5 {
		must(t, s.RecordAssertion(ctx, fmt.Sprintf("new-%d", i), later.Add(time.Hour), later))
	}
	n, err := s.PurgeAssertions(ctx, now.Add(100*time.Second))
	must(t, err)
	if n != 101 {
		t.Errorf("purged %d ids, want the 101 expired by then", n)
	}
	n, err = s.PurgeAssertions(ctx, later)
	must(t, err)
	if n != expired-101 {
		t.Errorf("purged %d ids, want the %d left expired", n, expired-101)
	}
	// Purged ids are free again; unexpired ones are not.
	must(t, s.RecordAssertion(ctx, "old-000", later.Add(time.Hour), later))
	wantErr(t, s.RecordAssertion(ctx, "new-0", later.Add(time.Hour), later), tokend.ErrAlreadyExists)
}

func testClientCredentialsTxRollback(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	c := newClient()
	err := s.InTx(ctx, func(q tokend.Queries) error {
		must(t, q.CreateClient(ctx, c))
		giveEverything(t, q, c, "rolled-back")
		must(t, q.RecordAssertion(ctx, "jti-tx", stamp(time.Hour), stamp(0)))
		// The transaction reads its own writes.
		got, err := q.ClientByIdentifierURI(ctx, "API://ROLLED-BACK")
		must(t, err)
		if got.ID != c.ID || len(got.IdentifierURIs) != 2 {
			t.Errorf("inside the transaction ClientByIdentifierURI = %+v", got)
		}
		checkCertificates(t, q, c.ID, newCertificate(c.ID, 7, stamp(0)))
		if _, err := q.GetManagedIdentity(ctx, "rolled-back"); err != nil {
			t.Errorf("inside the transaction GetManagedIdentity: %v", err)
		}
		wantErr(t, q.RecordAssertion(ctx, "jti-tx", stamp(time.Hour), stamp(0)), tokend.ErrAlreadyExists)
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	_, err = s.GetClient(ctx, c.ID)
	wantErr(t, err, tokend.ErrNotFound)
	checkHasNothing(t, s, c.ID, "rolled-back")
	must(t, s.RecordAssertion(ctx, "jti-tx", stamp(time.Hour), stamp(0)))

	// Committed, it all stays.
	must(t, s.InTx(ctx, func(q tokend.Queries) error {
		if err := q.CreateClient(ctx, c); err != nil {
			return err
		}
		giveEverything(t, q, c, "committed")
		return nil
	}))
	checkCertificates(t, s, c.ID, newCertificate(c.ID, 7, stamp(0)))
	if l, _ := s.ListFederatedCredentials(ctx, c.ID); len(l) != 1 {
		t.Errorf("committed federated credentials: %d", len(l))
	}
	if got, err := s.ClientByIdentifierURI(ctx, "api://committed"); err != nil || got.ID != c.ID {
		t.Errorf("committed ClientByIdentifierURI = %v, %v", got, err)
	}
	if m, err := s.GetManagedIdentity(ctx, "committed"); err != nil || m.ClientID != c.ID {
		t.Errorf("committed GetManagedIdentity = %v, %v", m, err)
	}
}

// testClientCredentialsTxContinuesAfterConflict: ErrAlreadyExists and
// ErrNotFound inside a transaction are answers that leave it usable
// (PostgreSQL aborts a transaction on a constraint violation) and write
// nothing.
func testClientCredentialsTxContinuesAfterConflict(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a, b := newClient(), newClient()
	must(t, s.CreateClient(ctx, a))
	must(t, s.CreateClient(ctx, b))
	giveEverything(t, s, a, "alpha")
	must(t, s.SetIdentifierURIs(ctx, b.ID, []string{"api://b"}))
	b.IdentifierURIs = []string{"api://b"}
	must(t, s.RecordAssertion(ctx, "jti-used", stamp(time.Hour), stamp(0)))
	nobody := uuid.NewString()

	must(t, s.InTx(ctx, func(q tokend.Queries) error {
		wantErr(t, q.AddClientCertificate(ctx, newCertificate(a.ID, 7, stamp(time.Hour))), tokend.ErrAlreadyExists)
		wantErr(t, q.AddClientCertificate(ctx, newCertificate(nobody, 7, stamp(0))), tokend.ErrNotFound)
		wantErr(t, q.CreateFederatedCredential(ctx, &tokend.FederatedCredential{ClientID: a.ID, Name: "fic", CreatedAt: stamp(0)}), tokend.ErrAlreadyExists)
		wantErr(t, q.CreateFederatedCredential(ctx, &tokend.FederatedCredential{ClientID: nobody, Name: "fic", CreatedAt: stamp(0)}), tokend.ErrNotFound)
		wantErr(t, q.SetIdentifierURIs(ctx, b.ID, []string{"api://b2", "API://ALPHA"}), tokend.ErrAlreadyExists)
		wantErr(t, q.SetIdentifierURIs(ctx, nobody, []string{"api://nobody"}), tokend.ErrNotFound)
		taken := newClient()
		taken.IdentifierURIs = []string{"api://new", "api://b"}
		wantErr(t, q.CreateClient(ctx, taken), tokend.ErrAlreadyExists)
		stale := *b
		stale.IdentifierURIs = []string{"api://alpha"}
		stale.DisplayName = "not applied"
		wantErr(t, q.UpdateClient(ctx, &stale), tokend.ErrAlreadyExists)
		wantErr(t, q.CreateManagedIdentity(ctx, &tokend.ManagedIdentity{Name: "alpha", ClientID: b.ID, CreatedAt: stamp(0)}), tokend.ErrAlreadyExists)
		wantErr(t, q.CreateManagedIdentity(ctx, &tokend.ManagedIdentity{Name: "nobody", ClientID: nobody, CreatedAt: stamp(0)}), tokend.ErrNotFound)
		wantErr(t, q.RecordAssertion(ctx, "jti-used", stamp(time.Hour), stamp(time.Minute)), tokend.ErrAlreadyExists)
		wantErr(t, q.DeleteClientCertificate(ctx, b.ID, "00"), tokend.ErrNotFound)
		wantErr(t, q.DeleteFederatedCredential(ctx, b.ID, "fic"), tokend.ErrNotFound)
		wantErr(t, q.DeleteManagedIdentity(ctx, "nobody"), tokend.ErrNotFound)
		_, err := q.ClientByIdentifierURI(ctx, "api://nobody")
		wantErr(t, err, tokend.ErrNotFound)
		_, err = q.GetClient(ctx, taken.ID)
		wantErr(t, err, tokend.ErrNotFound)
		return q.PutMeta(ctx, "after-conflict", []byte("ok"))
	}))
	checkMeta(t, s, "after-conflict", "ok")
	checkClient(t, getClient(t, s, b.ID), b)
	a.IdentifierURIs = []string{"api://alpha", "https://alpha.example"}
	checkClient(t, getClient(t, s, a.ID), a)
	checkCertificates(t, s, a.ID, newCertificate(a.ID, 7, stamp(0)))
	checkCertificates(t, s, b.ID)
	_, err := s.ClientByIdentifierURI(ctx, "api://new")
	wantErr(t, err, tokend.ErrNotFound)
}
