package odata

import (
	"strings"
	"testing"
)

func TestParseFilterValid(t *testing.T) {
	t.Parallel()
	const guid = "0123abcd-89ab-cdef-0123-456789ABCDEF"
	for _, c := range []struct {
		fields Fields
		in     string
		want   string // canonical String(); "" for no filter
	}{
		{tokenFields, "", ""},
		{tokenFields, "   ", ""},
		{tokenFields, "name eq 'a'", "name eq 'a'"},
		{tokenFields, "  NAME  EQ  'a'  ", "name eq 'a'"},
		{tokenFields, "name eq'a'and name ne'b'", "name eq 'a' and name ne 'b'"},
		{tokenFields, "name eq ''", "name eq ''"},
		{tokenFields, "name eq 'it''s'", "name eq 'it''s'"},
		{tokenFields, "name eq ''''", "name eq ''''"},
		{tokenFields, "name eq 'a b\tc(\"x\")'", "name eq 'a b\tc(\"x\")'"},
		{tokenFields, "name eq 'héllo wörld 😀'", "name eq 'héllo wörld 😀'"},
		{tokenFields, "name ne 'a' and name gt 'b' or name lt 'c'", "name ne 'a' and name gt 'b' or name lt 'c'"},
		{tokenFields, "name ge 'a' or name le 'b' and name eq 'c'", "name ge 'a' or name le 'b' and name eq 'c'"},
		{tokenFields, "(name eq 'a' or name eq 'b') and name eq 'c'", "(name eq 'a' or name eq 'b') and name eq 'c'"},
		{tokenFields, "name eq 'a' and (name eq 'b' and name eq 'c')", "name eq 'a' and (name eq 'b' and name eq 'c')"},
		{tokenFields, "((((name eq 'a'))))", "name eq 'a'"},
		{tokenFields, "not name eq 'a'", "not (name eq 'a')"},
		{tokenFields, "not not name eq 'a'", "not (not (name eq 'a'))"},
		{tokenFields, "not (name eq 'a' or name eq 'b') and name eq 'c'", "not (name eq 'a' or name eq 'b') and name eq 'c'"},
		{tokenFields, "NOT name eq 'a' OR name eq 'b'", "not (name eq 'a') or name eq 'b'"},
		{tokenFields, "'x' lt name", "name gt 'x'"},
		{tokenFields, "'x' ge name", "name le 'x'"},
		{tokenFields, "2026-01-01T00:00:00Z le createdAt", "createdAt ge 2026-01-01T00:00:00Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00Z", "expiryAt gt 2026-11-01T00:00:00Z"},
		{tokenFields, "expiryAt gt 2026-11-01t00:00:00z", "expiryAt gt 2026-11-01T00:00:00Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00Z", "expiryAt gt 2026-11-01T00:00:00Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00+01:30", "expiryAt gt 2026-10-31T22:30:00Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00-05:00", "expiryAt gt 2026-11-01T05:00:00Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00.5Z", "expiryAt gt 2026-11-01T00:00:00.5Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00.1234560Z", "expiryAt gt 2026-11-01T00:00:00.123456Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00.1234567Z", "expiryAt gt 2026-11-01T00:00:00.1234565Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00.000000000001Z", "expiryAt gt 2026-11-01T00:00:00.0000005Z"},
		{tokenFields, "createdAt lt 1969-12-31T23:59:59.9999995Z", "createdAt lt 1969-12-31T23:59:59.9999995Z"},
		{tokenFields, "expiryAt gt 2024-02-29T23:59:59Z", "expiryAt gt 2024-02-29T23:59:59Z"},
		{tokenFields, "createdAt ge 0001-01-01T00:00:00Z", "createdAt ge 0001-01-01T00:00:00Z"},
		{tokenFields, "createdAt le 0001-01-01T01:00:00+01:00", "createdAt le 0001-01-01T00:00:00Z"},
		{tokenFields, "createdAt le 9999-12-31T23:59:59.999999999Z", "createdAt le 9999-12-31T23:59:59.9999995Z"},
		{tokenFields, "expiryAt gt '2026-11-01T00:00:00Z'", "expiryAt gt 2026-11-01T00:00:00Z"},
		{tokenFields, "expiryAt gt datetime'2026-11-01T00:00:00Z'", "expiryAt gt 2026-11-01T00:00:00Z"},
		{tokenFields, "expiryAt gt DateTimeOffset'2026-11-01T00:00:00Z'", "expiryAt gt 2026-11-01T00:00:00Z"},
		{tokenFields, "state eq 'Active'", "state eq 'Active'"},
		{tokenFields, "state eq 'expired'", "state eq 'Expired'"},
		{tokenFields, "state ne Microsoft.Playwright.State'ACTIVE'", "state ne 'Active'"},
		{tokenFields, "'Active' eq state", "state eq 'Active'"},
		{tokenFields, "id eq " + guid, "id eq 0123abcd-89ab-cdef-0123-456789abcdef"},
		{tokenFields, "id eq '" + guid + "'", "id eq 0123abcd-89ab-cdef-0123-456789abcdef"},
		{tokenFields, "id lt guid'" + guid + "'", "id lt 0123abcd-89ab-cdef-0123-456789abcdef"},
		{tokenFields, "abcdef01-89ab-cdef-0123-456789abcdef eq id", "id eq abcdef01-89ab-cdef-0123-456789abcdef"},
		{tokenFields, "startswith(name,'ab')", "startswith(name,'ab')"},
		{tokenFields, "StartsWith( Name , 'ab' )", "startswith(name,'ab')"},
		{tokenFields, "endswith(name,'b') eq true", "endswith(name,'b')"},
		{tokenFields, "contains(name,'b') eq false", "not (contains(name,'b'))"},
		{tokenFields, "contains(name,'b') ne false", "contains(name,'b')"},
		{tokenFields, "contains(name,'b') ne true", "not (contains(name,'b'))"},
		{tokenFields, "not contains(name,'b')", "not (contains(name,'b'))"},
		{tokenFields, "startswith(name,'a') and expiryAt gt 2026-11-01T00:00:00Z or state eq 'Expired'",
			"startswith(name,'a') and expiryAt gt 2026-11-01T00:00:00Z or state eq 'Expired'"},
		{apimFields, "substringof('x',displayName)", "substringof('x',displayName)"},
		{apimFields, "substringof('x', name) or contains(displayName,'y')", "substringof('x',name) or contains(displayName,'y')"},
		{typeFields, "count gt -5", "count gt -5"},
		{typeFields, "count eq 9223372036854775807", "count eq 9223372036854775807"},
		{typeFields, "count eq -9223372036854775808", "count eq -9223372036854775808"},
		{typeFields, "enabled", "enabled eq true"},
		{typeFields, "not enabled", "not (enabled eq true)"},
		{typeFields, "enabled and count eq 1", "enabled eq true and count eq 1"},
		{typeFields, "enabled eq FALSE", "enabled eq false"},
		{typeFields, "kind eq 'beta'", "kind eq 'Beta'"},
	} {
		e, err := ParseFilter(c.in, c.fields)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", c.in, err)
			continue
		}
		got := ""
		if e != nil {
			got = e.String()
		}
		if got != c.want {
			t.Errorf("ParseFilter(%q) = %s, want %s", c.in, got, c.want)
		}
		if e == nil {
			continue
		}
		// The canonical form parses back to itself.
		again, err := ParseFilter(got, c.fields)
		if err != nil || again.String() != got {
			t.Errorf("canonical %q does not round-trip: %v, %v", got, again, err)
		}
	}
}

func TestParseFilterInvalid(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		fields Fields
		in     string
		pos    int
		msg    string
	}{
		{tokenFields, "nmae eq 'x'", 1, "$filter: unknown field 'nmae' at position 1; fields are id, name, createdAt, expiryAt, state"},
		{tokenFields, "name eq 5", 9, "$filter: 'name' is a string field and cannot be compared with the number '5' at position 9; write a quoted string such as 'text'"},
		{tokenFields, "name eq 'abc", 9, "$filter: unterminated string starting at position 9; end it with ' (write '' for a quote inside a string)"},
		{tokenFields, "name eq 'it's'", 14, "$filter: unterminated string starting at position 14; end it with ' (write '' for a quote inside a string)"},
		{tokenFields, "(name eq 'a'", 1, "$filter: missing ')' to close the '(' at position 1"},
		{tokenFields, "((name eq 'a') or (name eq 'b')", 1, "$filter: missing ')' to close the '(' at position 1"},
		{tokenFields, "name eq 'a')", 12, "$filter: unexpected ')' without a matching '(' at position 12"},
		{tokenFields, "name eq 'a' name eq 'b'", 13, "$filter: unexpected 'name' after a complete condition at position 13; join conditions with and, or"},
		{tokenFields, "name eq 'a' and", 16, "$filter: the expression ends where a condition was expected at position 16"},
		{tokenFields, "and name eq 'a'", 1, "$filter: unexpected 'and' where a condition was expected at position 1"},
		{tokenFields, "name eq", 8, "$filter: the expression ends where a field or value was expected at position 8"},
		{tokenFields, "name", 5, "$filter: the expression ends where an operator (eq, ne, gt, ge, lt, le) was expected after 'name' at position 5"},
		{tokenFields, "name eq 'a' (name eq 'b')", 13, "$filter: unexpected '(' after a complete condition at position 13; join conditions with and, or"},
		{tokenFields, "()", 2, "$filter: empty parentheses at position 2"},
		{tokenFields, "name = 'a'", 6, "$filter: unexpected character '=' at position 6; compare with eq, ne, gt, ge, lt or le, as in name eq 'x'"},
		{tokenFields, "name eq \"a\"", 9, "$filter: unexpected character '\"' at position 9; quote strings with single quotes, as in 'text'"},
		{tokenFields, "name in ('a','b')", 6, "$filter: operator 'in' is not supported at position 6; operators are eq, ne, gt, ge, lt, le, and, or, not"},
		{tokenFields, "name equals 'a'", 6, "$filter: expected an operator (eq, ne, gt, ge, lt, le) after 'name', found 'equals' at position 6"},
		{tokenFields, "name eq name", 6, "$filter: comparing two fields ('name' and 'name') is not supported at position 6; compare a field with a value"},
		{tokenFields, "'a' eq 'a'", 1, "$filter: a comparison needs a field on one side at position 1"},
		{tokenFields, "name eq null", 9, "$filter: null is not supported: 'name' always has a value at position 9"},
		{tokenFields, "startwith(name,'a')", 1, "$filter: unknown function 'startwith' at position 1; functions are startswith, endswith, contains, substringof"},
		{tokenFields, "startswith('a',name)", 12, "$filter: startswith takes a field and a string at position 12; write startswith(name,'text')"},
		{tokenFields, "startswith(name)", 16, "$filter: startswith takes 2 arguments at position 16; write startswith(name,'text')"},
		{tokenFields, "startswith(name,'a','b')", 20, "$filter: startswith takes 2 arguments at position 20; write startswith(name,'text')"},
		{tokenFields, "startswith(name 'a')", 17, "$filter: expected ',' between the arguments of startswith, found the string 'a' at position 17; write startswith(name,'text')"},
		{tokenFields, "startswith(name,5)", 17, "$filter: the text argument of startswith must be a quoted string, not the number '5' at position 17; write startswith(name,'text')"},
		{tokenFields, "startswith(name,'a'", 11, "$filter: missing ')' to close the '(' of startswith at position 11"},
		{tokenFields, "substringof('a',name)", 1, "$filter: substringof is not supported for 'name' at position 1; 'name' takes startswith, endswith, contains"},
		{tokenFields, "startswith(name,'a') eq 'x'", 25, "$filter: startswith can only be compared with true or false at position 25"},
		{tokenFields, "contains(state,'Act')", 1, "$filter: contains is not supported for 'state' at position 1; 'state' takes eq, ne"},
		{tokenFields, "state gt 'Active'", 7, "$filter: operator 'gt' is not supported for 'state' at position 7; 'state' takes eq, ne"},
		{tokenFields, "state eq 'Revoked'", 10, "$filter: 'Revoked' is not a valid value of 'state' at position 10; values are Active, Expired"},
		{tokenFields, "state eq Active", 10, "$filter: enum values must be quoted at position 10; write it as 'Active'"},
		{tokenFields, "jwtToken eq 'x'", 1, "$filter: field 'jwtToken' cannot be used in $filter at position 1; filterable fields are id, name, createdAt, expiryAt, state"},
		{tokenFields, "expiryAt gt 2026-13-01T00:00:00Z", 13, "$filter: invalid datetime '2026-13-01T00:00:00Z' at position 13; the month must be 01 to 12"},
		{tokenFields, "expiryAt gt 2026-02-30T00:00:00Z", 13, "$filter: invalid datetime '2026-02-30T00:00:00Z' at position 13; that month has no day 30"},
		{tokenFields, "expiryAt gt 2026-11-01", 13, "$filter: invalid datetime '2026-11-01' at position 13; a date alone is not a datetime; add a time, as in 2026-11-01T00:00:00Z"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00", 13, "$filter: invalid datetime '2026-11-01T00:00:00' at position 13; a datetime needs a time zone: end it with Z (UTC) or ±hh:mm (in a URL, write + as %2B)"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00 01:00", 13, "$filter: invalid datetime '2026-11-01T00:00:00' at position 13; a datetime needs a time zone: end it with Z (UTC) or ±hh:mm (in a URL, write + as %2B)"},
		{tokenFields, "createdAt le 0001-01-01T00:00+00:10", 14, "$filter: invalid datetime '0001-01-01T00:00+00:10' at position 14; in UTC it falls outside the years 0001 to 9999"},
		{tokenFields, "createdAt le 9999-12-31T23:59:59-00:01", 14, "$filter: invalid datetime '9999-12-31T23:59:59-00:01' at position 14; in UTC it falls outside the years 0001 to 9999"},
		{tokenFields, "expiryAt gt 2026-11-01T25:00:00Z", 13, "$filter: invalid datetime '2026-11-01T25:00:00Z' at position 13; the hour must be 00 to 23"},
		{tokenFields, "expiryAt gt 2026-11-01T00:00:00.Z", 13, "$filter: invalid datetime '2026-11-01T00:00:00.Z' at position 13; fractional seconds need 1 to 12 digits"},
		{tokenFields, "expiryAt gt '2026-11-01 00:00:00Z'", 13, "$filter: invalid datetime '2026-11-01 00:00:00Z' at position 13; expected YYYY-MM-DDThh:mm:ssZ"},
		{tokenFields, "expiryAt gt 'yesterday'", 13, "$filter: invalid datetime 'yesterday' at position 13; expected YYYY-MM-DDThh:mm:ssZ"},
		{tokenFields, "expiryAt gt 5", 13, "$filter: 'expiryAt' is a datetime field and cannot be compared with the number '5' at position 13; write a datetime such as 2026-11-01T00:00:00Z"},
		{tokenFields, "id eq 'not-a-guid'", 7, "$filter: invalid GUID 'not-a-guid' at position 7; write a GUID such as 01234567-89ab-cdef-0123-456789abcdef"},
		{tokenFields, "id eq 5", 7, "$filter: 'id' is a GUID field and cannot be compared with the number '5' at position 7; write a GUID such as 01234567-89ab-cdef-0123-456789abcdef"},
		{tokenFields, "name eq 'a\x00b'", 11, "$filter: NUL characters are not allowed in strings at position 11"},
		{tokenFields, "name eq '\xff'", 10, "$filter: invalid UTF-8 at position 10"},
		{tokenFields, "name eq 'a' && name eq 'b'", 13, "$filter: unexpected character '&' at position 13; join conditions with and, or"},
		{tokenFields, "name eq 'é' or nmae eq 'x'", 16, "$filter: unknown field 'nmae' at position 16; fields are id, name, createdAt, expiryAt, state"},
		{typeFields, "count eq 5.5", 10, "$filter: invalid number '5.5' at position 10; write a whole number such as 42"},
		{typeFields, "count eq 99999999999999999999", 10, "$filter: the number '99999999999999999999' is out of range at position 10"},
		{typeFields, "count eq 'x'", 10, "$filter: 'count' is an integer field and cannot be compared with the string 'x' at position 10; write a whole number such as 42"},
		{typeFields, "enabled eq 1", 12, "$filter: 'enabled' is a boolean field and cannot be compared with the number '1' at position 12; write true or false"},
		{typeFields, "enabled gt true", 9, "$filter: operator 'gt' is not supported for 'enabled' at position 9; 'enabled' takes eq, ne"},
		{typeFields, "eqOnly ne 'x'", 8, "$filter: operator 'ne' is not supported for 'eqOnly' at position 8; 'eqOnly' takes eq"},
		{typeFields, "startswith(eqOnly,'x')", 1, "$filter: startswith is not supported for 'eqOnly' at position 1; 'eqOnly' takes eq"},
		{typeFields, "kind eq 'gamma'", 9, "$filter: 'gamma' is not a valid value of 'kind' at position 9; values are Alpha, Beta"},
		{typeFields, "not", 4, "$filter: the expression ends where a condition was expected at position 4"},
		{typeFields, "count eq -", 10, "$filter: unexpected character '-' at position 10"},
		{typeFields, "count eq 5 or", 14, "$filter: the expression ends where a condition was expected at position 14"},
	} {
		_, err := ParseFilter(c.in, c.fields)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("ParseFilter(%q) = %v, want *Error", c.in, err)
			continue
		}
		if e.Param != "$filter" || e.Position != c.pos || e.Message != c.msg || e.Error() != c.msg {
			t.Errorf("ParseFilter(%q):\n got %s %d %q\nwant $filter %d %q", c.in, e.Param, e.Position, e.Message, c.pos, c.msg)
		}
	}
}

// Positions count characters, not bytes: the é and 😀 before the error
// are one each.
func TestErrorPositionCountsCharacters(t *testing.T) {
	t.Parallel()
	_, err := ParseFilter("name eq 'é😀' and bad eq 1", tokenFields)
	if e := err.(*Error); e.Position != 18 {
		t.Errorf("position %d, want 18: %v", e.Position, e)
	}
}

func TestErrorEchoIsBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 1000)
	_, err := ParseFilter(long+" eq 'a'", tokenFields)
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error is %d bytes: %v", len(err.Error()), err)
	}
}

func TestParseFilterLimits(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("(", MaxDepth) + "name eq 'a'" + strings.Repeat(")", MaxDepth)
	if _, err := ParseFilter(deep, tokenFields); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	tooDeep := strings.Repeat("(", MaxDepth+1) + "name eq 'a'" + strings.Repeat(")", MaxDepth+1)
	assertErr(t, tooDeep, MaxDepth+1, "$filter: nested deeper than 32 levels of parentheses and not at position 33")
	nots := strings.Repeat("not ", MaxDepth+1) + "name eq 'a'"
	assertErr(t, nots, 4*MaxDepth+1, "$filter: nested deeper than 32 levels of parentheses and not at position 129")

	terms := strings.Repeat("name eq 'a' or ", MaxTerms-1) + "name eq 'a'"
	if _, err := ParseFilter(terms, tokenFields); err != nil {
		t.Errorf("%d terms: %v", MaxTerms, err)
	}
	assertErr(t, terms+" or startswith(name,'x')", len(terms)+5, "$filter: more than 64 conditions at position 961")

	long := "name eq '" + strings.Repeat("é", MaxFilterLength-10) + "'"
	if _, err := ParseFilter(long, tokenFields); err != nil {
		t.Errorf("%d characters: %v", MaxFilterLength, err)
	}
	assertErr(t, long+" ", MaxFilterLength+1, "$filter: longer than 4096 characters at position 4097")

	// A hostile query far beyond every bound fails fast and cleanly.
	for _, s := range []string{
		strings.Repeat("(", 1_000_000),
		strings.Repeat("not ", 250_000),
		strings.Repeat("name eq 'a' and ", 100_000),
	} {
		if _, err := ParseFilter(s, tokenFields); err == nil {
			t.Errorf("no error for %d bytes", len(s))
		}
	}
}

func assertErr(t *testing.T, in string, pos int, msg string) {
	t.Helper()
	_, err := ParseFilter(in, tokenFields)
	e, ok := err.(*Error)
	if !ok || e.Position != pos || e.Message != msg {
		t.Errorf("ParseFilter(%.40q…) = %v (position %d), want %q (position %d)", in, err, e.Position, msg, pos)
	}
}
