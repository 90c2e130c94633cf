package resources_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/resources"
)

// BenchmarkResourcesList is the first page of Resources_List through the
// handler tree (pipeline, storage, rendering; no TLS, no neighbours) over
// 10,000 resources in 100 groups, on each engine: served from the pages
// remembered, and read every time.
func BenchmarkResourcesList(b *testing.B) {
	for _, e := range testkit.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			store := e.Open(b)
			testkit.Subscription(b, store, subA, tenantA)
			now := time.Now()
			err := store.InTx(b.Context(), func(q tokend.Queries) error {
				for g := range 100 {
					gid := arm.ID{SubscriptionID: subA, ResourceGroup: fmt.Sprintf("rg-%03d", g)}
					if err := q.CreateResource(b.Context(), arm.NewGroupResource(gid, "eastus", nil, "", "", now)); err != nil {
						return err
					}
					for i := range 100 {
						id := gid.Child("Microsoft.App", "containerApps", fmt.Sprintf("app-%05d", g*100+i))
						body := fmt.Appendf(nil, `{"id":%q,"name":%q,"type":"Microsoft.App/containerApps","location":"eastus","tags":{"env":"prod"},`+
							`"identity":{"type":"None"},"properties":{"provisioningState":"Succeeded","configuration":{"ingress":{"external":true,"targetPort":8080}},`+
							`"template":{"containers":[{"image":"registry/app:%d","name":"app"}]}}}`, id.String(), id.Name(), i)
						if err := q.CreateResource(b.Context(), &tokend.Resource{Key: id.Key(), ID: id.String(), Type: id.TypeKey(), Name: id.Name(),
							UID: uuid.NewString(), ETag: arm.NewETag(), Body: body, CreatedAt: now, UpdatedAt: now}); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			// remembered: the page asked again, as the bench asks it;
			// read: every page read and rendered, as after a write.
			for _, c := range []struct {
				name  string
				cache int
			}{{"remembered", 0}, {"read", -1}} {
				b.Run(c.name, func(b *testing.B) {
					h := testkit.Stack{Store: store, Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{}},
						Resources: &resources.Config{ResourcePageCache: c.cache}}.Handler(b)
					path := "/subscriptions/" + subA + "/resources?api-version=2025-04-01"
					b.ReportAllocs()
					for b.Loop() {
						w := httptest.NewRecorder()
						h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
						if w.Code != http.StatusOK {
							b.Fatalf("%d %s", w.Code, w.Body)
						}
					}
				})
			}
		})
	}
}
