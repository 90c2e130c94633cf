package playwright_test

import (
	"testing"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/conformance"
)

// The AccessTokenStore conformance suite, run here on both engines until the
// engines' own tests call conformance.RunAccessTokens.
func TestAccessTokenStore(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			conformance.RunAccessTokens(t, func(t *testing.T) tokend.Store { return e.open(t) })
		})
	}
}
