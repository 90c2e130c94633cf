package playwright

import (
	"testing"

	"github.com/tokend-dev/tokend/odata"
)

// The list's field declaration is what the parser trusts; a mistake in it
// is a programming error that only a test can catch.
func TestAccessTokenFieldsDeclaration(t *testing.T) {
	t.Parallel()
	if err := accessTokenFields.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range accessTokenFields {
		if f.Filter == 0 || !f.Sort {
			t.Errorf("field %s: want it filterable and sortable", f.Name)
		}
	}
	if _, ok := accessTokenFields.Lookup("jwtToken"); ok {
		t.Error("jwtToken must never be listable")
	}
	var _ odata.Fields = accessTokenFields
}

func TestContinuationRoundTrip(t *testing.T) {
	t.Parallel()
	c := &continuation{V: continuationVersion, Q: "abc", Now: 1, Left: 7, ID: "x-1", Name: "ci1", Created: 2, Expiry: 3}
	got, err := decodeContinuation(c.encode(), "abc")
	if err != nil || *got != *c {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "!!", "e30", c.encode() + "x"} {
		if _, err := decodeContinuation(bad, "abc"); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	if _, err := decodeContinuation(c.encode(), "other"); err == nil {
		t.Error("a token for another query decoded")
	}
	nul := *c
	nul.Name = "a\x00b"
	if _, err := decodeContinuation(nul.encode(), "abc"); err == nil {
		t.Error("a token with NUL in a position value decoded (PostgreSQL would answer 500)")
	}
}
