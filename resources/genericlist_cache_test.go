package resources_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/resources"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// countingStore counts the reads of a generic list.
type countingStore struct {
	tokend.Store
	reads atomic.Int64
}

func (s *countingStore) ListResourcesUnder(ctx context.Context, q tokend.ResourceQuery) ([]*tokend.Resource, error) {
	s.reads.Add(1)
	return s.Store.ListResourcesUnder(ctx, q)
}

// twoNodes opens two stores on one database, as two tokend nodes.
var twoNodes = []struct {
	name string
	open func(t *testing.T) (a, b tokend.Store)
}{
	{"sqlite", func(t *testing.T) (tokend.Store, tokend.Store) {
		path := filepath.Join(t.TempDir(), "tokend.db")
		return storagetest.SQLiteAt(t, path), storagetest.SQLiteAt(t, path)
	}},
	{"postgres", func(t *testing.T) (tokend.Store, tokend.Store) {
		dsn := storagetest.PostgresDSN(t)
		return storagetest.PostgresOn(t, dsn), storagetest.PostgresOn(t, dsn)
	}},
}

// Resources_List remembers its pages, and never past a write: every page,
// asked again, shows what was written since, through this node or another
// on the same database; asked again with nothing written, it is served
// without reading the resources.
func TestResourceListPagesFollowWrites(t *testing.T) {
	t.Parallel()
	for _, nodes := range twoNodes {
		t.Run(nodes.name, func(t *testing.T) {
			t.Parallel()
			a, other := nodes.open(t)
			store := &countingStore{Store: a}
			testkit.Subscription(t, store, subA, tenantA)
			srv := testkit.Stack{Store: store, Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{}},
				Resources: &resources.Config{ResourcePageSize: 2}}.ServePlain(t)
			e := listEnv{t: t, url: srv.URL}
			const api = "api-version=2025-04-01"
			rg := "/subscriptions/" + subA + "/resourceGroups/rg"
			widget := func(name string) string { return rg + "/providers/Microsoft.Test/widgets/" + name }
			lists := []string{
				"/subscriptions/" + subA + "/resources?" + api,
				rg + "/resources?" + api + "&$expand=changedTime",
				"/subscriptions/" + subA + "/resources?" + api + "&$filter=tagName%20eq%20'env'",
			}
			// check lists each twice (the second from memory) and wants
			// what each shows.
			check := func(step string, want ...string) {
				t.Helper()
				for i, path := range lists {
					for range 2 {
						names, _ := e.list("owner", path)
						if got := strings.Join(names, ","); got != want[i] {
							t.Fatalf("%s: %s lists %q, want %q", step, path, got, want[i])
						}
					}
				}
			}
			for _, w := range []tokend.Store{a, other} { // this node, then the other
				storedResource(t, w, "/subscriptions/"+subA+"/resourceGroups/rg", map[string]any{"location": "eastus"})
				storedResource(t, w, widget("w1"), map[string]any{"location": "eastus"})
				storedResource(t, w, widget("w2"), map[string]any{"location": "eastus", "tags": map[string]string{"env": "prod"}})
				storedResource(t, w, widget("w3"), map[string]any{"location": "eastus"})
				check("created", "w1,w2,w3", "w1,w2,w3", "w2")

				storedResource(t, w, widget("w0"), map[string]any{"location": "eastus"})
				check("one more", "w0,w1,w2,w3", "w0,w1,w2,w3", "w2")

				res, err := w.GetResource(t.Context(), strings.ToLower(widget("w3")))
				must(t, err)
				res.Body, _ = json.Marshal(map[string]any{"location": "eastus", "tags": map[string]string{"env": "dev"}})
				must(t, w.UpdateResource(t.Context(), res, ""))
				check("tagged", "w0,w1,w2,w3", "w0,w1,w2,w3", "w2,w3")

				must(t, w.DeleteResource(t.Context(), strings.ToLower(widget("w1")), ""))
				check("deleted", "w0,w2,w3", "w0,w2,w3", "w2,w3")

				// Nothing written: every page of every list from memory.
				before := store.reads.Load()
				check("again", "w0,w2,w3", "w0,w2,w3", "w2,w3")
				if n := store.reads.Load() - before; n != 0 {
					t.Errorf("pages asked again read the resources %d times", n)
				}

				_, err = w.DeleteResourcesUnder(t.Context(), strings.ToLower(rg))
				must(t, err)
				must(t, w.DeleteResource(t.Context(), strings.ToLower(rg), ""))
				for _, path := range []string{lists[0], lists[2]} {
					if names, _ := e.list("owner", path); len(names) != 0 {
						t.Fatalf("emptied: %s lists %v", path, names)
					}
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
