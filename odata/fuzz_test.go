package odata

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"",
	"name eq 'a'",
	"name eq 'it''s' and (state eq 'Active' or expiryAt gt 2026-11-01T00:00:00Z)",
	"not startswith(name,'ab') or endswith(name,'z') eq false",
	"contains(name,'%_!') and createdAt le 2026-11-01T00:00:00.1234567+05:30",
	"'x' lt name and id eq 0123abcd-89ab-cdef-0123-456789abcdef",
	"id eq guid'0123abcd-89ab-cdef-0123-456789abcdef' or expiryAt gt datetime'2026-11-01T00:00:00Z'",
	"state eq Microsoft.X.State'expired'",
	"((name eq 'a') or (name eq 'b')",
	"name eq 'a')",
	"nmae eq 'x'",
	"name eq 5",
	"name eq 'abc",
	"startswith(name,'\U0010FFFF')",
	"name eq 'é😀' and not not not (name ne 'x')",
	"count gt -5 and enabled and kind eq 'beta' or text ge 'q'",
	"substringof('x', text) or at lt 1969-12-31T23:59:59.9999995Z",
	strings.Repeat("(", 40) + "name eq 'a'" + strings.Repeat(")", 40),
	strings.Repeat("name eq 'a' or ", 70) + "name eq 'a'",
}

// sqlShape is every character ToSQL may write besides placeholders and the
// mapping's own column names: no quote, semicolon or comment can come from
// a client.
var sqlShape = regexp.MustCompile(`^[a-z_ ()=<>,$0-9A-Z-]*$`)

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// FuzzParseFilter: the parser never panics; a failure is an *Error with a
// position inside the input; a success translates on both dialects into
// SQL that carries no client text, and its canonical form parses back to
// itself.
func FuzzParseFilter(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		fields, mapping := tokenFields, tokenMapping
		if which%2 == 1 {
			fields, mapping = typeFields, typeMapping
		}
		e, err := ParseFilter(s, fields)
		if err != nil {
			pe, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			n := utf8.RuneCountInString(s)
			if pe.Param != "$filter" || pe.Position < 1 || pe.Position > min(n, MaxFilterLength)+1 ||
				!strings.HasPrefix(pe.Message, "$filter: ") {
				t.Fatalf("bad error for %q: %+v", s, pe)
			}
			return
		}
		if e == nil {
			if strings.Trim(s, " \t\r\n") != "" {
				t.Fatalf("nil filter for %q", s)
			}
			return
		}
		for _, d := range []Dialect{SQLite, PostgreSQL} {
			var args Args
			sql := ToSQL(e, mapping(d), &args)
			bare := strings.ReplaceAll(sql, " ESCAPE '!'", "")
			if !sqlShape.MatchString(bare) {
				t.Fatalf("%v SQL for %q has unexpected characters: %s", d, s, sql)
			}
			seen := map[string]bool{}
			for _, p := range placeholder.FindAllString(sql, -1) {
				n, _ := strconv.Atoi(p[1:])
				if n < 1 || n > args.Len() {
					t.Fatalf("%v SQL for %q uses %s of %d args", d, s, p, args.Len())
				}
				seen[p] = true
			}
			if len(seen) != args.Len() {
				t.Fatalf("%v SQL for %q binds %d args but uses %d", d, s, args.Len(), len(seen))
			}
			if args.Len() > 2*MaxTerms {
				t.Fatalf("%d args", args.Len())
			}
			for _, v := range args.Values() {
				if str, ok := v.(string); ok && (!utf8.ValidString(str) || strings.IndexByte(str, 0) >= 0) {
					t.Fatalf("argument %q would be refused by PostgreSQL", str)
				}
			}
		}
		canon := e.String()
		if utf8.RuneCountInString(canon) > MaxFilterLength {
			return
		}
		again, err := ParseFilter(canon, fields)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form is not stable: %q → %q", canon, again)
		}
	})
}
