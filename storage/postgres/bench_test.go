package postgres_test

import (
	"testing"

	"github.com/tokend-dev/tokend/storage/conformance"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

func BenchmarkGetResource(b *testing.B) { conformance.BenchGetResource(b, storagetest.Postgres(b)) }

func BenchmarkGetResourceParallel(b *testing.B) {
	conformance.BenchGetResourceParallel(b, storagetest.Postgres(b))
}

func BenchmarkCreateResource(b *testing.B) {
	conformance.BenchCreateResource(b, storagetest.Postgres(b))
}

func BenchmarkUpdateResourceIfMatch(b *testing.B) {
	conformance.BenchUpdateResourceIfMatch(b, storagetest.Postgres(b))
}

func BenchmarkListResources(b *testing.B) { conformance.BenchListResources(b, storagetest.Postgres(b)) }

func BenchmarkListResourcesUnder(b *testing.B) {
	conformance.BenchListResourcesUnder(b, storagetest.Postgres(b))
}

func BenchmarkIsRevoked(b *testing.B) { conformance.BenchIsRevoked(b, storagetest.Postgres(b)) }
