package e2e

import (
	"testing"

	"github.com/tokend-dev/tokend/storage/storagetest"
)

// PostgresURL is a database URL confined to a fresh schema for one test (see
// storagetest.PostgresDSN for skipping and TOKEND_REQUIRE_POSTGRES).
func PostgresURL(t testing.TB) string { return storagetest.PostgresDSN(t) }
