package sqlite_test

import (
	"testing"

	"github.com/tokend-dev/tokend/storage/conformance"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

func BenchmarkGetResource(b *testing.B) { conformance.BenchGetResource(b, storagetest.SQLite(b)) }

func BenchmarkGetResourceParallel(b *testing.B) {
	conformance.BenchGetResourceParallel(b, storagetest.SQLite(b))
}

func BenchmarkCreateResource(b *testing.B) { conformance.BenchCreateResource(b, storagetest.SQLite(b)) }

func BenchmarkUpdateResourceIfMatch(b *testing.B) {
	conformance.BenchUpdateResourceIfMatch(b, storagetest.SQLite(b))
}

func BenchmarkListResources(b *testing.B) { conformance.BenchListResources(b, storagetest.SQLite(b)) }

func BenchmarkListResourcesUnder(b *testing.B) {
	conformance.BenchListResourcesUnder(b, storagetest.SQLite(b))
}

func BenchmarkIsRevoked(b *testing.B) { conformance.BenchIsRevoked(b, storagetest.SQLite(b)) }
