package conformance

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
)

// RunAuthorizationServers runs the AuthorizationServerStore conformance
// tests. Filters are engine-independent OData expressions and are tested by
// the provider (apim) on every engine; these tests cover keys, ETags,
// paging, counting and cascades.
func RunAuthorizationServers(t *testing.T, newStore func(t *testing.T) tokend.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s tokend.Store)
	}{
		{"AuthorizationServerCRUD", testAuthServerCRUD},
		{"AuthorizationServerFields", testAuthServerFields},
		{"AuthorizationServerBadKey", testAuthServerBadKey},
		{"AuthorizationServerConcurrentUpdate", testAuthServerConcurrentUpdate},
		{"AuthorizationServerList", testAuthServerList},
		{"AuthorizationServerDeleteUnder", testAuthServerDeleteUnder},
		{"AuthorizationServerTxRollback", testAuthServerTxRollback},
		{"AuthorizationServerCountFollowsWrites", testAuthServerCountFollowsWrites},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

func serviceID(sub, rg, service string) string {
	return rgID(sub, rg) + "/providers/Microsoft.ApiManagement/service/" + service
}

func newAuthServer(serviceID, name string) *tokend.AuthorizationServer {
	id := serviceID + "/authorizationServers/" + name
	return &tokend.AuthorizationServer{
		Key:         strings.ToLower(id),
		ServiceKey:  strings.ToLower(serviceID),
		ID:          id,
		Name:        name,
		DisplayName: "Display " + name,
		UID:         uuid.NewString(),
		ETag:        uuid.NewString(),
		Body:        json.RawMessage(`{"properties":{"displayName":"Display ` + name + `"}}`),
		CreatedAt:   stamp(0),
		UpdatedAt:   stamp(0),
		CreatedBy:   "alice",
		UpdatedBy:   "alice",
	}
}

func checkAuthServer(t *testing.T, got, want *tokend.AuthorizationServer) {
	t.Helper()
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if got.Key != want.Key || got.ServiceKey != want.ServiceKey || got.ID != want.ID || got.Name != want.Name ||
		got.DisplayName != want.DisplayName || got.UID != want.UID || got.ETag != want.ETag ||
		string(got.Body) != string(want.Body) || string(got.Secrets) != string(want.Secrets) ||
		got.CreatedBy != want.CreatedBy || got.UpdatedBy != want.UpdatedBy {
		t.Errorf("authorization server =\n%+v\nwant\n%+v", got, want)
	}
}

func testAuthServerCRUD(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a := newAuthServer(serviceID("s1", "rg", "apim1"), "Server1")

	_, err := s.GetAuthorizationServer(ctx, a.Key)
	wantErr(t, err, tokend.ErrNotFound)
	if !strings.Contains(err.Error(), a.Key) {
		t.Errorf("error %q does not name the key", err)
	}
	wantErr(t, s.UpdateAuthorizationServer(ctx, a, ""), tokend.ErrNotFound)
	wantErr(t, s.UpdateAuthorizationServer(ctx, a, a.ETag), tokend.ErrNotFound)
	wantErr(t, s.DeleteAuthorizationServer(ctx, a.Key, ""), tokend.ErrNotFound)
	wantErr(t, s.DeleteAuthorizationServer(ctx, a.Key, a.ETag), tokend.ErrNotFound)

	must(t, s.CreateAuthorizationServer(ctx, a))
	wantErr(t, s.CreateAuthorizationServer(ctx, a), tokend.ErrAlreadyExists)
	// Another spelling of the same ID is the same server.
	other := newAuthServer(serviceID("S1", "RG", "APIM1"), "SERVER1")
	wantErr(t, s.CreateAuthorizationServer(ctx, other), tokend.ErrAlreadyExists)
	got, err := s.GetAuthorizationServer(ctx, a.Key)
	must(t, err)
	checkAuthServer(t, got, a)

	first := a.ETag
	a.ETag, a.DisplayName, a.UpdatedBy = uuid.NewString(), "Renamed", "bob"
	a.Body = json.RawMessage(`{"properties":{"displayName":"Renamed"}}`)
	a.UpdatedAt = stamp(time.Minute)
	must(t, s.UpdateAuthorizationServer(ctx, a, first))
	got, err = s.GetAuthorizationServer(ctx, a.Key)
	must(t, err)
	checkAuthServer(t, got, a)

	stale := *a
	stale.ETag, stale.DisplayName = uuid.NewString(), "Stale"
	wantErr(t, s.UpdateAuthorizationServer(ctx, &stale, first), tokend.ErrPreconditionFailed)
	got, _ = s.GetAuthorizationServer(ctx, a.Key)
	if got.ETag != a.ETag || got.DisplayName != "Renamed" {
		t.Fatalf("a failed conditional update wrote: etag %s name %q", got.ETag, got.DisplayName)
	}

	second := a.ETag
	a.ETag = uuid.NewString()
	must(t, s.UpdateAuthorizationServer(ctx, a, ""))
	wantErr(t, s.DeleteAuthorizationServer(ctx, a.Key, second), tokend.ErrPreconditionFailed)
	if _, err := s.GetAuthorizationServer(ctx, a.Key); err != nil {
		t.Fatalf("a failed conditional delete deleted: %v", err)
	}
	must(t, s.DeleteAuthorizationServer(ctx, a.Key, a.ETag))
	_, err = s.GetAuthorizationServer(ctx, a.Key)
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.DeleteAuthorizationServer(ctx, a.Key, ""), tokend.ErrNotFound)

	again := newAuthServer(serviceID("s1", "rg", "apim1"), "Server1")
	must(t, s.CreateAuthorizationServer(ctx, again))
	must(t, s.DeleteAuthorizationServer(ctx, again.Key, ""))
}

func testAuthServerFields(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	cases := []struct {
		name   string
		mutate func(a *tokend.AuthorizationServer)
	}{
		{"plain", func(a *tokend.AuthorizationServer) {}},
		{"secrets", func(a *tokend.AuthorizationServer) { a.Secrets = []byte{0, 1, 2, 0xfe, 0xff, 0} }},
		{"unicode display name", func(a *tokend.AuthorizationServer) { a.DisplayName = "Zürich — 日本語 ✓" }},
		{"empty display name", func(a *tokend.AuthorizationServer) { a.DisplayName = "" }},
		{"zero times", func(a *tokend.AuthorizationServer) { a.CreatedAt, a.UpdatedAt = time.Time{}, time.Time{} }},
	}
	for i, tc := range cases {
		a := newAuthServer(serviceID("s1", "rg", "apim1"), fmt.Sprintf("as%d", i))
		tc.mutate(a)
		must(t, s.CreateAuthorizationServer(ctx, a))
		got, err := s.GetAuthorizationServer(ctx, a.Key)
		must(t, err)
		t.Run(tc.name, func(t *testing.T) { checkAuthServer(t, got, a) })
	}
}

// testAuthServerBadKey: a server whose key is not below its service would
// escape the service's lists and cascades; storage refuses it.
func testAuthServerBadKey(t *testing.T, s tokend.Store) {
	a := newAuthServer(serviceID("s1", "rg", "apim1"), "x")
	a.ServiceKey = strings.ToLower(serviceID("s1", "rg", "apim2"))
	if err := s.CreateAuthorizationServer(t.Context(), a); err == nil {
		t.Fatal("created a server whose key is not below its service")
	}
}

func testAuthServerConcurrentUpdate(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a := newAuthServer(serviceID("s1", "rg", "apim1"), "contended")
	must(t, s.CreateAuthorizationServer(ctx, a))
	errs := make([]error, raceN)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range raceN {
		u := *a
		u.ETag = fmt.Sprintf("etag-%02d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			errs[i] = s.UpdateAuthorizationServer(ctx, &u, a.ETag)
		}()
	}
	start.Done()
	wg.Wait()
	winners := 0
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			winner = fmt.Sprintf("etag-%02d", i)
		case !errorsIsAny(err, tokend.ErrPreconditionFailed):
			t.Errorf("writer %d: %v, want ErrPreconditionFailed", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d writers succeeded with the same ETag, want exactly 1", winners)
	}
	got, err := s.GetAuthorizationServer(ctx, a.Key)
	must(t, err)
	if got.ETag != winner {
		t.Errorf("stored etag %s, want the winner's %s", got.ETag, winner)
	}
}

func listAuthServers(t *testing.T, s tokend.Queries, q tokend.AuthorizationServerQuery) *tokend.AuthorizationServerPage {
	t.Helper()
	page, err := s.ListAuthorizationServers(t.Context(), q)
	must(t, err)
	return page
}

func authServerNames(list []*tokend.AuthorizationServer) []string {
	return idsOf(list, func(a *tokend.AuthorizationServer) string { return a.Name })
}

func testAuthServerList(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	svc := serviceID("s1", "rg", "apim")
	// Neighbours whose keys share a prefix with svc's: a sibling service
	// ("apim-2", "apim2") and another resource group.
	for _, other := range []string{serviceID("s1", "rg", "apim-2"), serviceID("s1", "rg", "apim2"), serviceID("s1", "rg2", "apim")} {
		must(t, s.CreateAuthorizationServer(ctx, newAuthServer(other, "intruder")))
	}
	// Name order is bytewise: "A" and "C0" before "b".
	var want []string
	for _, name := range []string{"b", "A", "c-1", "C0", "d", "e"} {
		must(t, s.CreateAuthorizationServer(ctx, newAuthServer(svc, name)))
		want = append(want, name)
	}
	slices.Sort(want)
	q := tokend.AuthorizationServerQuery{ServiceKey: strings.ToLower(svc)}
	list := listAuthServers(t, s, q)
	if got := authServerNames(list.Servers); !slices.Equal(got, want) {
		t.Fatalf("list = %v, want %v", got, want)
	}
	if list.Count != int64(len(want)) {
		t.Errorf("count = %d, want %d", list.Count, len(want))
	}
	// A page carries what a collection needs, never secrets.
	withSecret := newAuthServer(svc, "secretive")
	withSecret.Secrets = []byte("sealed")
	must(t, s.CreateAuthorizationServer(ctx, withSecret))
	list = listAuthServers(t, s, tokend.AuthorizationServerQuery{ServiceKey: strings.ToLower(svc), After: "e"})
	if len(list.Servers) != 1 {
		t.Fatalf("list after e = %v, want [secretive]", authServerNames(list.Servers))
	}
	if got := list.Servers[0]; got.Name != withSecret.Name || string(got.Body) != string(withSecret.Body) || got.Secrets != nil {
		t.Errorf("listed %+v, want the name and body of %+v and no secrets", got, withSecret)
	}
	must(t, s.DeleteAuthorizationServer(ctx, withSecret.Key, ""))

	// Keyset pages of 4 cover the list once, in order.
	var paged []string
	q.Limit = 4
	for {
		page := listAuthServers(t, s, q).Servers
		paged = append(paged, authServerNames(page)...)
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].Name
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged = %v, want %v", paged, want)
	}

	// Skip counts from the keyset position; count ignores position and size.
	q = tokend.AuthorizationServerQuery{ServiceKey: strings.ToLower(svc), Skip: 2, Limit: 2}
	list = listAuthServers(t, s, q)
	if got := authServerNames(list.Servers); !slices.Equal(got, want[2:4]) {
		t.Errorf("skip 2 top 2 = %v, want %v", got, want[2:4])
	}
	q = tokend.AuthorizationServerQuery{ServiceKey: strings.ToLower(svc), Skip: 1, After: want[1]}
	list = listAuthServers(t, s, q)
	if got := authServerNames(list.Servers); !slices.Equal(got, want[3:]) {
		t.Errorf("skip 1 after %s = %v, want %v", want[1], got, want[3:])
	}
	if list.Count != int64(len(want)) {
		t.Errorf("count with position and skip = %d, want %d", list.Count, len(want))
	}
	q.Limit = 1
	if n := listAuthServers(t, s, q).Count; n != int64(len(want)) {
		t.Errorf("count with position, skip and limit = %d, want %d", n, len(want))
	}

	empty := listAuthServers(t, s, tokend.AuthorizationServerQuery{ServiceKey: strings.ToLower(serviceID("s1", "rg", "none"))})
	if len(empty.Servers) != 0 || empty.Count != 0 {
		t.Errorf("list of an empty service = %v, count %d", authServerNames(empty.Servers), empty.Count)
	}
	if _, err := s.ListAuthorizationServers(ctx, tokend.AuthorizationServerQuery{}); err == nil {
		t.Error("a list without a service succeeded")
	}
}

func testAuthServerDeleteUnder(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	svc := serviceID("s1", "rg", "apim")
	sibling := serviceID("s1", "rg", "apim-2")
	otherGroup := serviceID("s1", "rg2", "apim")
	for i := range 3 {
		must(t, s.CreateAuthorizationServer(ctx, newAuthServer(svc, fmt.Sprintf("as%d", i))))
	}
	must(t, s.CreateAuthorizationServer(ctx, newAuthServer(sibling, "keep")))
	must(t, s.CreateAuthorizationServer(ctx, newAuthServer(otherGroup, "keep")))

	n, err := s.DeleteAuthorizationServersUnder(ctx, strings.ToLower(svc))
	must(t, err)
	if n != 3 {
		t.Errorf("deleted %d under the service, want 3", n)
	}
	if left := listAuthServers(t, s, tokend.AuthorizationServerQuery{ServiceKey: strings.ToLower(sibling)}).Count; left != 1 {
		t.Errorf("sibling service lost its server")
	}
	n, err = s.DeleteAuthorizationServersUnder(ctx, strings.ToLower(rgID("s1", "rg")))
	must(t, err)
	if n != 1 {
		t.Errorf("deleted %d under the group, want 1", n)
	}
	if _, err := s.GetAuthorizationServer(ctx, newAuthServer(otherGroup, "keep").Key); err != nil {
		t.Errorf("another group's server was deleted: %v", err)
	}
	if _, err := s.DeleteAuthorizationServersUnder(ctx, ""); err == nil {
		t.Error("delete under an empty scope succeeded")
	}
}

func testAuthServerTxRollback(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a := newAuthServer(serviceID("s1", "rg", "apim"), "tx")
	boom := fmt.Errorf("boom")
	err := s.InTx(ctx, func(q tokend.Queries) error {
		if err := q.CreateAuthorizationServer(ctx, a); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetAuthorizationServer(ctx, a.Key)
	wantErr(t, err, tokend.ErrNotFound)
}
