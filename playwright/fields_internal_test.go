package playwright

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/odata"
	"github.com/tokend-dev/tokend/wire"
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

// A $skipToken decodes only for the list it continues (the account, the
// $filter and the $orderby), and never into a position storage cannot bind.
func TestContinuationRoundTrip(t *testing.T) {
	t.Parallel()
	const account = "eastus_00000000-0000-0000-0000-000000000001"
	parse := func(filter, orderby string) (odata.Expr, odata.OrderBy) {
		t.Helper()
		f, err := odata.ParseFilter(filter, accessTokenFields)
		if err != nil {
			t.Fatal(err)
		}
		o, err := odata.ParseOrderBy(orderby, accessTokenFields)
		if err != nil {
			t.Fatal(err)
		}
		return f, o
	}
	filter, order := parse("startswith(name,'ci')", "name desc")
	c := continuation{Now: 1, Left: 7, ID: "x-1", Name: "ci1", Created: 2, Expiry: 3}
	token := pages(account, filter, order).Encode(c)
	got, err := continuationOf(account, &listOptions{filter: filter, order: order, token: token})
	if err != nil || got == nil || *got != c {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if got, err := continuationOf(account, &listOptions{filter: filter, order: order}); got != nil || err != nil {
		t.Errorf("no token: %+v, %v", got, err)
	}

	otherFilter, _ := parse("startswith(name,'cj')", "name desc")
	_, otherOrder := parse("startswith(name,'ci')", "name asc")
	with := func(mod func(*continuation)) string {
		b := c
		mod(&b)
		return pages(account, filter, order).Encode(b)
	}
	const malformed, anotherList = "is malformed", "belongs to another list"
	for _, tc := range []struct {
		name, account string
		filter        odata.Expr
		order         odata.OrderBy
		token, why    string
	}{
		{"not base64", account, filter, order, "!!", malformed},
		{"no position", account, filter, order, "e30", malformed},
		{"trailing garbage", account, filter, order, token + "x", malformed},
		{"another $filter", account, otherFilter, order, token, anotherList},
		{"another $orderby", account, filter, otherOrder, token, anotherList},
		{"another account", "eastus_00000000-0000-0000-0000-000000000002", filter, order, token, anotherList},
		{"no id", account, filter, order, with(func(c *continuation) { c.ID = "" }), malformed},
		{"$top left below -1", account, filter, order, with(func(c *continuation) { c.Left = -2 }), malformed},
		// PostgreSQL refuses NUL in text: a 500, were it bound. (Invalid
		// UTF-8 cannot get through JSON, which decodes it as U+FFFD.)
		{"NUL in a position value", account, filter, order, with(func(c *continuation) { c.Name = "a\x00b" }), malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := continuationOf(tc.account, &listOptions{filter: tc.filter, order: tc.order, token: tc.token})
			checkSkipTokenError(t, err, tc.why)
			if got != nil {
				t.Errorf("decoded: %+v", got)
			}
		})
	}
	// An empty $skipToken is no token at all: refused, not a first page.
	_, err = parseListOptions(url.Values{"$skipToken": {""}})
	checkSkipTokenError(t, err, malformed)
}

// checkSkipTokenError checks a refused $skipToken: Azure.Core's 400 naming
// the parameter, saying why.
func checkSkipTokenError(t *testing.T, err error, why string) {
	t.Helper()
	var e *wire.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want a *wire.Error", err)
	}
	if e.Status != http.StatusBadRequest || e.Code != "InvalidQueryParameterValue" || e.Target != wire.SkipTokenParam || !strings.Contains(e.Message, why) {
		t.Errorf("%d %s (target %q) %q, want 400 InvalidQueryParameterValue (target $skipToken) saying %q", e.Status, e.Code, e.Target, e.Message, why)
	}
}
