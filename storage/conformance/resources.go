package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
)

const (
	typeResourceGroup = "microsoft.resources/resourcegroups"
	typeContainerApp  = "microsoft.app/containerapps"
	typeRevision      = "microsoft.app/containerapps/revisions"
)

// newResource returns a resource with ID id as a client spelled it; its Key
// is the canonical (lower-case) form, as the ARM layer would make it.
func newResource(id, typ string) *tokend.Resource {
	return &tokend.Resource{
		Key:       strings.ToLower(id),
		ID:        id,
		Type:      typ,
		Name:      path.Base(id),
		UID:       uuid.NewString(),
		ETag:      uuid.NewString(),
		Body:      json.RawMessage(`{"location":"westeurope","properties":{"n":1}}`),
		CreatedAt: stamp(0),
		UpdatedAt: stamp(0),
		CreatedBy: "alice",
		UpdatedBy: "alice",
	}
}

func rgID(sub, rg string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg
}

func appID(sub, rg, app string) string {
	return rgID(sub, rg) + "/providers/Microsoft.App/containerApps/" + app
}

func checkResource(t *testing.T, got, want *tokend.Resource) {
	t.Helper()
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if got.Key != want.Key || got.ID != want.ID || got.Type != want.Type || got.Name != want.Name ||
		got.UID != want.UID || got.ETag != want.ETag || !bytes.Equal(got.Body, want.Body) ||
		!bytes.Equal(got.Secrets, want.Secrets) || got.SortName != want.SortName ||
		got.CreatedBy != want.CreatedBy || got.UpdatedBy != want.UpdatedBy {
		t.Errorf("resource =\n%+v\nwant\n%+v", got, want)
	}
}

// checkPaged pages through list with q's Limit, each page after the last
// key of the previous one, and checks the keys it gathers are want.
func checkPaged(t *testing.T, list func(context.Context, tokend.ResourceQuery) ([]*tokend.Resource, error), q tokend.ResourceQuery, want []string) {
	t.Helper()
	var paged []string
	for range len(want) + 1 {
		page, err := list(t.Context(), q)
		must(t, err)
		if len(page) > q.Limit {
			t.Fatalf("page of %d, limit %d", len(page), q.Limit)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, keysOf(page)...)
		q.After = page[len(page)-1].Key
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged =\n%v\nwant\n%v", paged, want)
	}
}

func keysOf(list []*tokend.Resource) []string {
	return idsOf(list, func(r *tokend.Resource) string { return r.Key })
}

func testResourceCRUD(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	r := newResource(appID("s1", "rg", "web"), typeContainerApp)

	_, err := s.GetResource(ctx, r.Key)
	wantErr(t, err, tokend.ErrNotFound)
	if !strings.Contains(err.Error(), r.Key) {
		t.Errorf("error %q does not name the key", err)
	}
	wantErr(t, s.UpdateResource(ctx, r, ""), tokend.ErrNotFound)
	wantErr(t, s.UpdateResource(ctx, r, r.ETag), tokend.ErrNotFound)
	wantErr(t, s.DeleteResource(ctx, r.Key, ""), tokend.ErrNotFound)
	wantErr(t, s.DeleteResource(ctx, r.Key, r.ETag), tokend.ErrNotFound)

	must(t, s.CreateResource(ctx, r))
	wantErr(t, s.CreateResource(ctx, r), tokend.ErrAlreadyExists)
	got, err := s.GetResource(ctx, r.Key)
	must(t, err)
	checkResource(t, got, r)

	// Conditional update: the stored ETag must match.
	first := r.ETag
	r.ETag = uuid.NewString()
	r.Body = json.RawMessage(`{"properties":{"n":2}}`)
	r.UpdatedAt = stamp(time.Minute)
	r.UpdatedBy = "bob"
	must(t, s.UpdateResource(ctx, r, first))
	got, err = s.GetResource(ctx, r.Key)
	must(t, err)
	checkResource(t, got, r)

	stale := *r
	stale.ETag = uuid.NewString()
	wantErr(t, s.UpdateResource(ctx, &stale, first), tokend.ErrPreconditionFailed)
	got, _ = s.GetResource(ctx, r.Key)
	if got.ETag != r.ETag {
		t.Fatalf("a failed conditional update wrote: etag %s, want %s", got.ETag, r.ETag)
	}

	// Unconditional update.
	second := r.ETag
	r.ETag = uuid.NewString()
	must(t, s.UpdateResource(ctx, r, ""))
	got, _ = s.GetResource(ctx, r.Key)
	checkResource(t, got, r)

	wantErr(t, s.DeleteResource(ctx, r.Key, second), tokend.ErrPreconditionFailed)
	if _, err := s.GetResource(ctx, r.Key); err != nil {
		t.Fatalf("a failed conditional delete deleted: %v", err)
	}
	must(t, s.DeleteResource(ctx, r.Key, r.ETag))
	_, err = s.GetResource(ctx, r.Key)
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.DeleteResource(ctx, r.Key, ""), tokend.ErrNotFound)

	// Unconditional delete, and a new incarnation under the same ID.
	again := newResource(r.ID, typeContainerApp)
	must(t, s.CreateResource(ctx, again))
	must(t, s.DeleteResource(ctx, again.Key, ""))
	wantErr(t, s.DeleteResource(ctx, again.Key, ""), tokend.ErrNotFound)
}

func testResourceFields(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	big := bytes.Repeat([]byte(`{"k":"0123456789abcdef"},`), 8000)
	big = append(append([]byte(`[`), big...), []byte(`{}]`)...)
	cases := []struct {
		name   string
		mutate func(r *tokend.Resource)
	}{
		{"plain", func(r *tokend.Resource) {}},
		{"secrets", func(r *tokend.Resource) { r.Secrets = []byte{0, 1, 2, 0xfe, 0xff, 0} }},
		{"sortname", func(r *tokend.Resource) { r.SortName = "Zürich — display name" }},
		{"large body", func(r *tokend.Resource) { r.Body = big }},
		{"unicode body", func(r *tokend.Resource) { r.Body = json.RawMessage(`{"tag":"日本語 ✓","nul":"\u0000"}`) }},
		{"zero times", func(r *tokend.Resource) { r.CreatedAt, r.UpdatedAt = time.Time{}, time.Time{} }},
	}
	for i, tc := range cases {
		r := newResource(appID("s1", "rg", fmt.Sprintf("app%d", i)), typeContainerApp)
		tc.mutate(r)
		must(t, s.CreateResource(ctx, r))
		got, err := s.GetResource(ctx, r.Key)
		must(t, err)
		t.Run(tc.name, func(t *testing.T) { checkResource(t, got, r) })
		if tc.name == "plain" && len(got.Secrets) != 0 {
			t.Errorf("nil Secrets came back as %q", got.Secrets)
		}
	}
}

// testResourceIDCase: storage keys by the canonical Key and keeps the ID as
// it was first spelled.
func testResourceIDCase(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	r := newResource(appID("S1", "MyRG", "Web-App"), typeContainerApp)
	must(t, s.CreateResource(ctx, r))

	other := newResource(appID("s1", "myrg", "WEB-APP"), typeContainerApp)
	if other.Key != r.Key {
		t.Fatalf("test bug: keys differ: %s, %s", other.Key, r.Key)
	}
	wantErr(t, s.CreateResource(ctx, other), tokend.ErrAlreadyExists)

	got, err := s.GetResource(ctx, r.Key)
	must(t, err)
	if got.ID != r.ID || got.Name != "Web-App" || got.Key != strings.ToLower(r.ID) {
		t.Errorf("got ID %q Name %q Key %q; want the original ID and name and the canonical key", got.ID, got.Name, got.Key)
	}
	// Canonicalizing is the caller's job: storage compares keys exactly.
	_, err = s.GetResource(ctx, r.ID)
	wantErr(t, err, tokend.ErrNotFound)

	list, err := s.ListResources(ctx, tokend.ResourceQuery{Type: typeContainerApp, Scope: strings.ToLower(rgID("s1", "myrg"))})
	must(t, err)
	if len(list) != 1 || list[0].ID != r.ID {
		t.Errorf("ListResources = %v, want the one resource with its original ID", keysOf(list))
	}
}

// raceN is how many writers race for one ETag.
const raceN = 16

func testResourceConcurrentUpdate(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	r := newResource(appID("s1", "rg", "contended"), typeContainerApp)
	must(t, s.CreateResource(ctx, r))

	errs := make([]error, raceN)
	etags := make([]string, raceN)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range raceN {
		u := *r
		u.ETag = fmt.Sprintf("etag-%02d", i)
		u.Body = json.RawMessage(fmt.Sprintf(`{"writer":%d}`, i))
		etags[i] = u.ETag
		wg.Go(func() {
			start.Wait()
			errs[i] = s.UpdateResource(ctx, &u, r.ETag)
		})
	}
	start.Done()
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("writers %d and %d both updated with the same ifETag", winner, i)
			}
			winner = i
		default:
			wantErr(t, err, tokend.ErrPreconditionFailed)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	got, err := s.GetResource(ctx, r.Key)
	must(t, err)
	if got.ETag != etags[winner] || string(got.Body) != fmt.Sprintf(`{"writer":%d}`, winner) {
		t.Errorf("stored etag %s body %s, want the winner's (%d)", got.ETag, got.Body, winner)
	}
}

// testResourceConcurrentDelete: of raceN conditional deletes exactly one
// wins. A loser that looks after the winner committed finds no resource and
// gets ErrNotFound; one that sees it still there with another ETag (never,
// here, since nothing updates it) would get ErrPreconditionFailed. Either
// way it did not delete.
func testResourceConcurrentDelete(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	r := newResource(appID("s1", "rg", "doomed"), typeContainerApp)
	must(t, s.CreateResource(ctx, r))

	errs := make([]error, raceN)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range raceN {
		wg.Go(func() {
			start.Wait()
			errs[i] = s.DeleteResource(ctx, r.Key, r.ETag)
		})
	}
	start.Done()
	wg.Wait()

	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errorsIsAny(err, tokend.ErrNotFound, tokend.ErrPreconditionFailed):
		default:
			t.Errorf("losing delete: %v, want ErrNotFound or ErrPreconditionFailed", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d deletes won, want exactly 1", wins)
	}
	_, err := s.GetResource(ctx, r.Key)
	wantErr(t, err, tokend.ErrNotFound)
}

func testListResources(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	var apps []string
	for _, rg := range []string{"rg1", "rg2"} {
		must(t, s.CreateResource(ctx, newResource(rgID("s1", rg), typeResourceGroup)))
		for _, name := range []string{"b", "a", "c"} {
			r := newResource(appID("s1", rg, name), typeContainerApp)
			must(t, s.CreateResource(ctx, r))
			apps = append(apps, r.Key)
			must(t, s.CreateResource(ctx, newResource(r.ID+"/revisions/"+name+"--1", typeRevision)))
		}
	}
	slices.Sort(apps)

	list, err := s.ListResources(ctx, tokend.ResourceQuery{Type: typeContainerApp})
	must(t, err)
	if got := keysOf(list); !slices.Equal(got, apps) {
		t.Fatalf("ListResources(type) =\n%v\nwant\n%v", got, apps)
	}

	// Paging: Limit caps, After continues strictly after a key.
	checkPaged(t, s.ListResources, tokend.ResourceQuery{Type: typeContainerApp, Limit: 4}, apps)

	// Scope and After together.
	scope := strings.ToLower(rgID("s1", "rg2"))
	list, err = s.ListResources(ctx, tokend.ResourceQuery{Type: typeContainerApp, Scope: scope, After: apps[3], Limit: 10})
	must(t, err)
	if got := keysOf(list); !slices.Equal(got, apps[4:]) {
		t.Errorf("scoped after %s = %v, want %v", apps[3], got, apps[4:])
	}
	// An After before the scope starts at the scope.
	list, err = s.ListResources(ctx, tokend.ResourceQuery{Type: typeContainerApp, Scope: scope, After: apps[0]})
	must(t, err)
	if got := keysOf(list); !slices.Equal(got, apps[3:]) {
		t.Errorf("scoped after %s = %v, want %v", apps[0], got, apps[3:])
	}

	list, err = s.ListResources(ctx, tokend.ResourceQuery{Type: "microsoft.nothing/here"})
	must(t, err)
	if len(list) != 0 {
		t.Errorf("unknown type listed %v", keysOf(list))
	}
	if _, err := s.ListResources(ctx, tokend.ResourceQuery{}); err == nil {
		t.Error("ListResources without a type succeeded")
	}
}

// testListResourcesScopeIsolation: Scope selects what is strictly below it,
// whatever sorts next to it: siblings whose names extend it ("ab"), or
// start with bytes just below and above '/' ("a-b", "a.b", "a0").
func testListResourcesScopeIsolation(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	groups := []string{"a", "ab", "a-b", "a.b", "a0", "a_b", "b"}
	under := map[string][]string{}
	for _, sub := range []string{"s1", "s10"} {
		for _, rg := range groups {
			must(t, s.CreateResource(ctx, newResource(rgID(sub, rg), typeResourceGroup)))
			for _, app := range []string{"x", "y"} {
				r := newResource(appID(sub, rg, app), typeContainerApp)
				must(t, s.CreateResource(ctx, r))
				scope := strings.ToLower(rgID(sub, rg))
				under[scope] = append(under[scope], r.Key)
				under["/subscriptions/"+sub] = append(under["/subscriptions/"+sub], r.Key)
				under["/"] = append(under["/"], r.Key)
			}
		}
	}
	for scope, want := range under {
		slices.Sort(want)
		for _, spelled := range []string{scope, strings.TrimSuffix(scope, "/") + "/"} {
			list, err := s.ListResources(ctx, tokend.ResourceQuery{Type: typeContainerApp, Scope: spelled})
			must(t, err)
			if got := keysOf(list); !slices.Equal(got, want) {
				t.Errorf("scope %q:\n got %v\nwant %v", spelled, got, want)
			}
		}
	}
	// Strictly below: the scope itself is not listed.
	scope := strings.ToLower(rgID("s1", "a"))
	list, err := s.ListResources(ctx, tokend.ResourceQuery{Type: typeResourceGroup, Scope: scope})
	must(t, err)
	if len(list) != 0 {
		t.Errorf("listing resource groups under %s returned %v", scope, keysOf(list))
	}
}

// testListResourcesPagingStable pages through 50 resources while another
// goroutine inserts before and after the cursor: no key comes twice and
// every key that existed at the start comes exactly once.
func testListResourcesPagingStable(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	scope := strings.ToLower(rgID("s1", "rg"))
	idOf := func(n int) string { return appID("s1", "rg", fmt.Sprintf("app-%04d", n)) }
	var initial []string
	for i := range 50 {
		r := newResource(idOf(i*10), typeContainerApp) // gaps for the inserter
		must(t, s.CreateResource(ctx, r))
		initial = append(initial, r.Key)
	}

	stop := make(chan struct{})
	var inserted []string
	var progress atomic.Int64 // inserts made so far
	var finished atomic.Bool  // the inserter stopped: wait for it no more
	var wg sync.WaitGroup
	wg.Go(func() {
		defer finished.Store(true)
		// Keys between the initial ones, so some land behind the cursor
		// and some ahead of it, plus keys before the first and after
		// the last.
		for i := range 499 { // i*37 mod 499 is distinct for each i
			select {
			case <-stop:
				return
			default:
			}
			n := (i*37)%499 + 1
			if n%10 == 0 {
				continue
			}
			r := newResource(idOf(n), typeContainerApp)
			if i%7 == 0 {
				r = newResource(appID("s1", "rg", fmt.Sprintf("%s-%03d", []string{"0", "zz"}[i%2], i)), typeContainerApp)
			}
			if err := s.CreateResource(ctx, r); err != nil {
				t.Errorf("concurrent insert: %v", err)
				return
			}
			inserted = append(inserted, r.Key)
			progress.Add(1)
		}
	})

	stopInserter := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopInserter() // also when a page fails the test

	var seen []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		page, err := s.ListResources(ctx, tokend.ResourceQuery{Type: typeContainerApp, Scope: scope, After: after, Limit: 7})
		must(t, err)
		if len(page) == 0 {
			break
		}
		seen = append(seen, keysOf(page)...)
		after = page[len(page)-1].Key
		// Let a few inserts land between this page and the next, however
		// fast or slow the engine's writes are.
		for target := progress.Load() + 3; progress.Load() < target && !finished.Load(); {
			time.Sleep(100 * time.Microsecond)
		}
	}
	stopInserter()

	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("keys out of order or repeated: %s after %s", seen[i], seen[i-1])
		}
	}
	for _, k := range initial {
		if _, found := slices.BinarySearch(seen, k); !found {
			t.Errorf("key %s, present from the start, was never listed", k)
		}
	}
	t.Logf("listed %d keys while %d were inserted", len(seen), len(inserted))
}

func testDeleteResourcesUnder(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	var keep []string
	for _, rg := range []string{"a", "ab", "a-b", "a0"} {
		g := newResource(rgID("s1", rg), typeResourceGroup)
		must(t, s.CreateResource(ctx, g))
		keep = append(keep, g.Key)
		for _, app := range []string{"x", "y"} {
			r := newResource(appID("s1", rg, app), typeContainerApp)
			must(t, s.CreateResource(ctx, r))
			rev := newResource(r.ID+"/revisions/"+app+"--1", typeRevision)
			must(t, s.CreateResource(ctx, rev))
			if rg != "a" {
				keep = append(keep, r.Key, rev.Key)
			}
		}
	}
	scope := strings.ToLower(rgID("s1", "a"))
	n, err := s.DeleteResourcesUnder(ctx, scope)
	must(t, err)
	if n != 4 {
		t.Errorf("DeleteResourcesUnder(%s) = %d, want 4 (two apps, two revisions)", scope, n)
	}
	for _, k := range keep {
		if _, err := s.GetResource(ctx, k); err != nil {
			t.Errorf("%s should have survived: %v", k, err)
		}
	}
	n, err = s.DeleteResourcesUnder(ctx, scope)
	must(t, err)
	if n != 0 {
		t.Errorf("second DeleteResourcesUnder = %d, want 0", n)
	}
	if _, err := s.DeleteResourcesUnder(ctx, ""); err == nil {
		t.Error("DeleteResourcesUnder(\"\") succeeded; an empty scope must be refused")
	}
	// The root holds everything.
	n, err = s.DeleteResourcesUnder(ctx, "/")
	must(t, err)
	if n != len(keep) {
		t.Errorf("DeleteResourcesUnder(/) = %d, want %d", n, len(keep))
	}
}
