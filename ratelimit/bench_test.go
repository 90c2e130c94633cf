package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
)

// What the limits add to a token request (AdmitClient: two budgets
// checked, two buckets spent) and to an ARM request (Admit and the
// per-principal bucket), one client from one source, on all cores.
func BenchmarkAdmitClient(b *testing.B) {
	g, err := New(unthrottled())
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest(http.MethodPost, "/t/oauth2/v2.0/token", nil)
		for pb.Next() {
			g.AdmitClient(r, "11111111-2222-3333-4444-555555555555")
		}
	})
}

func BenchmarkARMRequest(b *testing.B) {
	g, err := New(unthrottled())
	if err != nil {
		b.Fatal(err)
	}
	h := g.Hooks()
	b.RunParallel(func(pb *testing.PB) {
		hr := httptest.NewRequest(http.MethodGet, "/subscriptions", nil)
		req := &pipeline.Request{HTTP: hr, Route: &pipeline.Route{}, Principal: &tokend.Principal{ObjectID: "p"}, ResponseHeader: http.Header{}}
		ctx := context.Background()
		for pb.Next() {
			_ = h.Admit(ctx, hr)
			_ = h.Authenticated(ctx, req)
		}
	})
}

// unthrottled is the defaults with request limits no loop reaches, so the
// admitted path (the one legitimate load takes) is measured.
func unthrottled() Config {
	c := Defaults()
	big := Limit{Rate: 1e9, Burst: 1e9}
	c.TokenPerClient, c.TokenPerSource, c.ARMReads, c.ARMWrites = big, big, big, big
	return c
}
