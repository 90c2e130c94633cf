package postgres_test

import (
	"testing"

	"github.com/tokend-dev/tokend/storage/conformance"
)

func BenchmarkGetResource(b *testing.B) { conformance.BenchGetResource(b, openFresh(b)) }

func BenchmarkGetResourceParallel(b *testing.B) {
	conformance.BenchGetResourceParallel(b, openFresh(b))
}

func BenchmarkCreateResource(b *testing.B) { conformance.BenchCreateResource(b, openFresh(b)) }

func BenchmarkUpdateResourceIfMatch(b *testing.B) {
	conformance.BenchUpdateResourceIfMatch(b, openFresh(b))
}

func BenchmarkListResources(b *testing.B) { conformance.BenchListResources(b, openFresh(b)) }

func BenchmarkIsRevoked(b *testing.B) { conformance.BenchIsRevoked(b, openFresh(b)) }
