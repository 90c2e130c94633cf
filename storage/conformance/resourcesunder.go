package conformance

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend"
)

// testListResourcesUnder: every type strictly below a scope, in key order,
// paged by After and Limit; a type narrows it; the scope is required.
func testListResourcesUnder(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	var inSub, apps []string
	for _, sub := range []string{"s1", "s10", "s2"} { // "s10" sorts between "s1/…" and "s2"
		for _, rg := range []string{"rg-b", "rg-a"} {
			g := newResource(rgID(sub, rg), typeResourceGroup)
			must(t, s.CreateResource(ctx, g))
			for _, name := range []string{"web", "api"} {
				app := newResource(appID(sub, rg, name), typeContainerApp)
				rev := newResource(app.ID+"/revisions/"+name+"--1", typeRevision)
				must(t, s.CreateResource(ctx, app))
				must(t, s.CreateResource(ctx, rev))
				if sub == "s1" {
					inSub = append(inSub, app.Key, rev.Key)
					apps = append(apps, app.Key)
				}
			}
			if sub == "s1" {
				inSub = append(inSub, g.Key)
			}
		}
	}
	slices.Sort(inSub)
	slices.Sort(apps)
	scope := "/subscriptions/s1"

	list, err := s.ListResourcesUnder(ctx, tokend.ResourceQuery{Scope: scope})
	must(t, err)
	if got := keysOf(list); !slices.Equal(got, inSub) {
		t.Fatalf("ListResourcesUnder(%s) =\n%v\nwant\n%v", scope, got, inSub)
	}
	// A row carries what a list shows.
	want, err := s.GetResource(ctx, list[0].Key)
	must(t, err)
	if got := list[0]; got.ID != want.ID || got.Type != want.Type || got.Name != want.Name || !bytes.Equal(got.Body, want.Body) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("listed row %+v, stored %+v", got, want)
	}
	checkPaged(t, s.ListResourcesUnder, tokend.ResourceQuery{Scope: scope, Limit: 3}, inSub)
	// An After before the scope starts at the scope; one past it ends it.
	list, err = s.ListResourcesUnder(ctx, tokend.ResourceQuery{Scope: scope, After: "/subscriptions/s0"})
	must(t, err)
	if got := keysOf(list); !slices.Equal(got, inSub) {
		t.Errorf("after a key before the scope: %v", got)
	}
	list, err = s.ListResourcesUnder(ctx, tokend.ResourceQuery{Scope: scope, After: "/subscriptions/s1/zzz"})
	must(t, err)
	if len(list) != 0 {
		t.Errorf("after the scope's last key: %v", keysOf(list))
	}

	list, err = s.ListResourcesUnder(ctx, tokend.ResourceQuery{Scope: scope, Type: typeContainerApp, After: apps[0], Limit: 10})
	must(t, err)
	if got := keysOf(list); !slices.Equal(got, apps[1:]) {
		t.Errorf("typed after %s = %v, want %v", apps[0], got, apps[1:])
	}
	group := strings.ToLower(rgID("s1", "rg-a"))
	list, err = s.ListResourcesUnder(ctx, tokend.ResourceQuery{Scope: group})
	must(t, err)
	for _, r := range list {
		if !strings.HasPrefix(r.Key, group+"/") {
			t.Errorf("%s listed under %s", r.Key, group)
		}
	}
	if len(list) != 4 {
		t.Errorf("group %s lists %d resources, want 4", group, len(list))
	}
	if _, err := s.ListResourcesUnder(ctx, tokend.ResourceQuery{Type: typeContainerApp}); err == nil {
		t.Error("ListResourcesUnder without a scope succeeded")
	}
}
