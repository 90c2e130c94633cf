package conformance

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/tokend-dev/tokend"
)

// Benchmarks shared by the engines' Benchmark functions, so every engine is
// measured on the same work.

// benchResources is how many resources the read benchmarks look among.
const benchResources = 1000

func seedResources(b *testing.B, s tokend.Store) []string {
	b.Helper()
	keys := make([]string, benchResources)
	err := s.InTx(b.Context(), func(q tokend.Queries) error {
		for i := range keys {
			r := newResource(appID("s1", fmt.Sprintf("rg%d", i%10), fmt.Sprintf("app-%05d", i)), typeContainerApp)
			r.Body = make([]byte, 0, 600)
			r.Body = fmt.Appendf(r.Body, `{"location":"westeurope","properties":{"configuration":{"ingress":{"external":true,"targetPort":8080}},"template":{"containers":[{"image":"registry/app:%d","name":"app"}]}}}`, i)
			if err := q.CreateResource(b.Context(), r); err != nil {
				return err
			}
			keys[i] = r.Key
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return keys
}

// BenchGetResource measures GetResource of an existing resource.
func BenchGetResource(b *testing.B, s tokend.Store) {
	keys := seedResources(b, s)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.GetResource(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchGetResourceParallel is BenchGetResource from GOMAXPROCS goroutines,
// as an HTTP server runs it.
func BenchGetResourceParallel(b *testing.B, s tokend.Store) {
	keys := seedResources(b, s)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 0))
		for pb.Next() {
			if _, err := s.GetResource(ctx, keys[r.IntN(len(keys))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchCreateResource measures creating a new resource (one write
// transaction each).
func BenchCreateResource(b *testing.B, s tokend.Store) {
	ctx := b.Context()
	b.ReportAllocs()
	var n atomic.Int64
	for b.Loop() {
		r := newResource(appID("s1", "rg", fmt.Sprintf("app-%08d", n.Add(1))), typeContainerApp)
		if err := s.CreateResource(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchUpdateResourceIfMatch measures a conditional update.
func BenchUpdateResourceIfMatch(b *testing.B, s tokend.Store) {
	keys := seedResources(b, s)
	ctx := b.Context()
	r, err := s.GetResource(ctx, keys[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		prev := r.ETag
		r.ETag = fmt.Sprintf("etag-%d", i)
		if err := s.UpdateResource(ctx, r, prev); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchListResources measures one page of 50 in a resource group.
func BenchListResources(b *testing.B, s tokend.Store) {
	seedResources(b, s)
	ctx := b.Context()
	q := tokend.ResourceQuery{Type: typeContainerApp, Scope: "/subscriptions/s1/resourcegroups/rg3", Limit: 50}
	b.ReportAllocs()
	for b.Loop() {
		list, err := s.ListResources(ctx, q)
		if err != nil || len(list) != 50 {
			b.Fatalf("%d, %v", len(list), err)
		}
	}
}

// BenchListResourcesUnder measures the first page of a subscription's
// resources of every type (Resources_List): 101 rows in key order.
func BenchListResourcesUnder(b *testing.B, s tokend.Store) {
	seedResources(b, s)
	ctx := b.Context()
	q := tokend.ResourceQuery{Scope: "/subscriptions/s1/resourcegroups", Limit: 101}
	b.ReportAllocs()
	for b.Loop() {
		list, err := s.ListResourcesUnder(ctx, q)
		if err != nil || len(list) != 101 {
			b.Fatalf("%d, %v", len(list), err)
		}
	}
}

// BenchIsRevoked measures the token-check lookup of an unrevoked token.
func BenchIsRevoked(b *testing.B, s tokend.Store) {
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if revoked, err := s.IsRevoked(ctx, "not-revoked"); err != nil || revoked {
			b.Fatal(revoked, err)
		}
	}
}
