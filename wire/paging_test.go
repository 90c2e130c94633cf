package wire

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

type testPosition struct {
	After string `json:"a"`
	Left  int    `json:"l"`
}

func TestContinuationRoundTripAndBinding(t *testing.T) {
	t.Parallel()
	list := Continuation{Family: FamilyARM, Scope: "/subscriptions/s/resourcegroups/rg", Query: "name eq 'x'"}
	tok := list.Encode(testPosition{After: "k", Left: 3})
	var got testPosition
	if err := list.Decode(tok, &got); err != nil || got != (testPosition{After: "k", Left: 3}) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for name, other := range map[string]Continuation{
		"another scope": {Family: FamilyARM, Scope: "/subscriptions/s/resourcegroups/other", Query: list.Query},
		"another query": {Family: FamilyARM, Scope: list.Scope, Query: "name eq 'y'"},
		"no query":      {Family: FamilyARM, Scope: list.Scope},
	} {
		err := other.Decode(tok, &got)
		if err == nil || !strings.Contains(err.Message, "belongs to another list") {
			t.Errorf("%s: decoded a token of another list: %v", name, err)
		}
	}
}

func TestContinuationRefusalsInEachFamily(t *testing.T) {
	t.Parallel()
	valid := Continuation{Scope: "s"}.Encode("p")
	bad := []string{"!!", valid + "\n", valid[:len(valid)-2], "e30", "bnVsbA"} // e30 = {}, bnVsbA = null
	for _, c := range []struct {
		family Family
		code   string
		status int
	}{
		{FamilyARM, "InvalidSkipToken", 400},
		{FamilyContainerApps, "InvalidSkipToken", 400},
		{FamilyAPIM, "ValidationError", 400},
		{FamilyAzureCore, "InvalidQueryParameterValue", 400},
	} {
		for _, tok := range bad {
			var p string
			err := Continuation{Family: c.family, Scope: "s"}.Decode(tok, &p)
			if err == nil {
				t.Errorf("family %d accepted %q", c.family, tok)
				continue
			}
			if err.Code != c.code || err.Status != c.status {
				t.Errorf("family %d, %q: %d %s, want %d %s", c.family, tok, err.Status, err.Code, c.status, c.code)
			}
			target := err.Target
			if c.family == FamilyAPIM && len(err.Details) == 1 {
				target = err.Details[0].Target
			}
			if target != SkipTokenParam {
				t.Errorf("family %d: the error names %q, not %s", c.family, target, SkipTokenParam)
			}
		}
	}
}

func TestNextLinkKeepsTheQueryAndDropsWhatThePositionIsPast(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "https://x/subscriptions/s/resourcegroups?api-version=2021-04-01&%24SKIP=5&%24SkipToken=old&%24filter=a+eq+%27b%27", nil)
	link := NextLink("https://tokend.test/", r, "new", "$skip")
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.Host != "tokend.test" || u.Path != "/subscriptions/s/resourcegroups" {
		t.Fatalf("link %s: %v", link, err)
	}
	q := u.Query()
	if len(q) != 3 || q.Get("api-version") != "2021-04-01" || q.Get("$filter") != "a eq 'b'" || q.Get(SkipTokenParam) != "new" {
		t.Errorf("link query %v", q)
	}
}

func FuzzContinuationDecode(f *testing.F) {
	c := Continuation{Family: FamilyAzureCore, Scope: "acct", Query: "q"}
	f.Add(c.Encode(testPosition{After: "x", Left: -1}))
	f.Add("!!")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		var p testPosition
		if err := c.Decode(tok, &p); err != nil {
			if err.Status != 400 || err.Code != "InvalidQueryParameterValue" {
				t.Fatalf("refusal %d %s", err.Status, err.Code)
			}
			return
		}
		// A token that decodes re-encodes to one that decodes the same.
		var again testPosition
		if err := c.Decode(c.Encode(p), &again); err != nil || again != p {
			t.Fatalf("re-encode of %+v: %+v %v", p, again, err)
		}
	})
}
