package sqlite_test

import (
	"testing"

	"github.com/tokend-dev/tokend/storage/conformance"
)

func BenchmarkGetResource(b *testing.B) { conformance.BenchGetResource(b, openTemp(b)) }

func BenchmarkGetResourceParallel(b *testing.B) {
	conformance.BenchGetResourceParallel(b, openTemp(b))
}

func BenchmarkCreateResource(b *testing.B) { conformance.BenchCreateResource(b, openTemp(b)) }

func BenchmarkUpdateResourceIfMatch(b *testing.B) {
	conformance.BenchUpdateResourceIfMatch(b, openTemp(b))
}

func BenchmarkListResources(b *testing.B) { conformance.BenchListResources(b, openTemp(b)) }

func BenchmarkIsRevoked(b *testing.B) { conformance.BenchIsRevoked(b, openTemp(b)) }
