package conformance

import (
	"errors"
	"testing"

	"github.com/tokend-dev/tokend"
)

// testResourceGenerationFollowsWrites: a subscription's generation moves
// with every committed write of a resource below it, and with nothing else.
func testResourceGenerationFollowsWrites(t *testing.T, s tokend.Store) {
	generationFollowsWrites(t, s, s)
}

// generationFollowsWrites writes through w and reads generations through
// r, which may be the same store or two nodes on one database.
func generationFollowsWrites(t *testing.T, w, r tokend.Store) {
	ctx := t.Context()
	const sub, other = "/subscriptions/s1", "/subscriptions/s10" // s10's keys share s1's prefix
	read := func(scope string) int64 {
		t.Helper()
		g, err := r.ResourceGeneration(ctx, scope)
		must(t, err)
		return g
	}
	last := read(sub)
	if last != 0 {
		t.Fatalf("generation of a subscription never written = %d, want 0", last)
	}
	otherLast := read(other)
	// moved checks that step moved sub's generation and left other's.
	moved := func(step string) {
		t.Helper()
		g := read(sub)
		if g == last {
			t.Fatalf("%s: generation stayed %d", step, g)
		}
		if o := read(other); o != otherLast {
			t.Fatalf("%s: the generation of %s moved from %d to %d", step, other, otherLast, o)
		}
		last = g
	}

	group := newResource(rgID("s1", "rg"), typeResourceGroup)
	must(t, w.CreateResource(ctx, group))
	moved("group created")
	app := newResource(appID("s1", "rg", "web"), typeContainerApp)
	must(t, w.CreateResource(ctx, app))
	moved("app created")
	if err := w.CreateResource(ctx, app); !errors.Is(err, tokend.ErrAlreadyExists) {
		t.Fatalf("create again: %v", err)
	}
	app.Body, app.ETag = []byte(`{"location":"westus"}`), "e2"
	must(t, w.UpdateResource(ctx, app, ""))
	moved("app updated")
	must(t, w.DeleteResource(ctx, app.Key, ""))
	moved("app deleted")

	// Rolled back, nothing moves; committed, the write moves it.
	errRollback := errors.New("roll back")
	err := w.InTx(ctx, func(q tokend.Queries) error {
		if err := q.CreateResource(ctx, newResource(appID("s1", "rg", "api"), typeContainerApp)); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("transaction: %v", err)
	}
	if g := read(sub); g != last {
		t.Fatalf("rolled back: generation moved from %d to %d", last, g)
	}
	// Several writes in one transaction (an engine may move the
	// generation once for all of them), then a write of its own.
	must(t, w.InTx(ctx, func(q tokend.Queries) error {
		api := newResource(appID("s1", "rg", "api"), typeContainerApp)
		if err := q.CreateResource(ctx, api); err != nil {
			return err
		}
		api.ETag = "e2"
		return q.UpdateResource(ctx, api, "")
	}))
	moved("created and updated in a transaction")
	must(t, w.CreateResource(ctx, newResource(appID("s1", "rg", "db"), typeContainerApp)))
	moved("another app created")
	n, err := w.DeleteResourcesUnder(ctx, group.Key)
	must(t, err)
	if n != 2 {
		t.Fatalf("deleted %d under the group, want 2", n)
	}
	moved("group emptied")
	must(t, w.DeleteResource(ctx, group.Key, ""))
	moved("group deleted")
	// Emptied and filled again, the generation goes on rather than
	// starting over: nothing remembered at an earlier one can match.
	must(t, w.CreateResource(ctx, newResource(rgID("s1", "rg"), typeResourceGroup)))
	moved("group created again")

	// A write in the other subscription moves its generation alone.
	must(t, w.CreateResource(ctx, newResource(rgID("s10", "rg"), typeResourceGroup)))
	if o := read(other); o == otherLast {
		t.Fatalf("the generation of %s stayed %d after a write in it", other, o)
	}
	if g := read(sub); g != last {
		t.Fatalf("a write in %s moved the generation of %s", other, sub)
	}
}
