package authorization_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/authorization"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
)

// fixture is Microsoft.Authorization over ARM on the real issuer's
// assignments and authorizer, with principals of the test's own.
type fixture struct {
	t     *testing.T
	store tokend.Store
	id    *identity.Service
	url   string
}

func newFixture(t *testing.T, store tokend.Store) *fixture {
	if err := store.CreateTenant(t.Context(), &tokend.Tenant{ID: tenant, DisplayName: "t", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	testkit.Subscription(t, store, sub, tenant)
	return newNode(t, store)
}

// newNode is another node on the same store: an issuer (its own caches)
// and ARM router of its own. Its RBAC sync runs until the test ends.
func (f *fixture) newNode() *fixture {
	n := newNode(f.t, f.store)
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	go n.id.Run(ctx)
	return n
}

func newNode(t *testing.T, store tokend.Store) *fixture {
	box, _ := seal.New(bytes.Repeat([]byte{9}, 32))
	id, err := identity.New(t.Context(), identity.Config{Store: store, Box: box, DefaultTenantID: tenant})
	if err != nil {
		t.Fatal(err)
	}
	binding := &authorization.Binding{}
	binding.Bind(id.Assignments)
	prov, err := authorization.New(authorization.Config{Store: store, Assignments: binding})
	if err != nil {
		t.Fatal(err)
	}
	srv := testkit.Stack{Store: store, Providers: []*pipeline.Provider{prov.Describe()},
		Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{}, Authorizer: id.Authorizer()}}.ServePlain(t)
	return &fixture{t: t, store: store, id: id, url: srv.URL}
}

// principal creates a client and returns its object id.
func (f *fixture) principal(name string) string {
	c, _, err := f.id.Clients.Create(f.t.Context(), tenant, name)
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ObjectID
}

// grant assigns a role directly, as `tokend roles assign` does.
func (f *fixture) grant(who, role, scope string) {
	if _, err := f.id.Assignments.Assign(f.t.Context(), who, role, scope); err != nil {
		f.t.Fatal(err)
	}
}

// do sends a request as who (api-version 2022-04-01 unless the path has
// one) and returns the status, the decoded body and the raw body.
func (f *fixture) do(who, method, path, body string) (int, map[string]any, []byte) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	if !strings.Contains(path, "api-version=") {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "api-version=2022-04-01"
	}
	req, _ := http.NewRequest(method, f.url+path, rd)
	req.Header.Set("Authorization", "Bearer good-"+who)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, b
}

// errorCode is the ARM error code of a decoded body.
func errorCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// decodeList returns the items of an ARM list body.
func decodeList(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var l struct{ Value []map[string]any }
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("list body %s: %v", b, err)
	}
	return l.Value
}
