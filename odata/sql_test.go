package odata

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

func TestToSQL(t *testing.T) {
	t.Parallel()
	now := testNow.UnixMicro()
	nov := int64(1793491200000000) // 2026-11-01T00:00:00Z
	for _, c := range []struct {
		in       string
		sqlite   string
		postgres string // "" when the same as sqlite
		args     []any
		pgArgs   []any // nil when the same as args
	}{
		{"", "1=1", "", nil, nil},
		{"name eq 'a'", "name = $1", "", []any{"a"}, nil},
		{"name ne 'a' or name gt 'b' and name le 'c'", "(name <> $1 OR (name > $2 AND name <= $3))", "", []any{"a", "b", "c"}, nil},
		{"not (name ge 'a' or name lt 'b')", "NOT ((name >= $1 OR name < $2))", "", []any{"a", "b"}, nil},
		{"name eq 'x''; DROP TABLE t; --'", "name = $1", "", []any{"x'; DROP TABLE t; --"}, nil},
		{"expiryAt gt 2026-11-01T00:00:00Z", "expiry_at > $1", "", []any{nov}, nil},
		{"createdAt le 2026-11-01T00:00:00.000001Z", "created_at <= $1", "", []any{nov + 1}, nil},
		// Between two whole microseconds: round the right way; eq never holds.
		{"createdAt gt 2026-11-01T00:00:00.0000001Z", "created_at > $1", "", []any{nov}, nil},
		{"createdAt ge 2026-11-01T00:00:00.0000001Z", "created_at > $1", "", []any{nov}, nil},
		{"createdAt lt 2026-11-01T00:00:00.0000001Z", "created_at <= $1", "", []any{nov}, nil},
		{"createdAt le 2026-11-01T00:00:00.0000001Z", "created_at <= $1", "", []any{nov}, nil},
		{"createdAt eq 2026-11-01T00:00:00.0000001Z", "1=0", "", nil, nil},
		{"createdAt ne 2026-11-01T00:00:00.0000001Z", "1=1", "", nil, nil},
		{"createdAt lt 1969-12-31T23:59:59.9999995Z", "created_at <= $1", "", []any{int64(-1)}, nil},
		{"state eq 'Active'", "(expiry_at > $1)", "", []any{now}, nil},
		{"state ne 'Active'", "(expiry_at <= $1)", "", []any{now}, nil},
		{"state eq 'Expired'", "(expiry_at <= $1)", "", []any{now}, nil},
		{"state ne 'expired'", "(expiry_at > $1)", "", []any{now}, nil},
		{"id eq 0123ABCD-89ab-cdef-0123-456789abcdef", "id = $1", "", []any{"0123abcd-89ab-cdef-0123-456789abcdef"}, nil},
		{"startswith(name,'ab')", "(name >= $1 AND name < $2)", "", []any{"ab", "ac"}, nil},
		{"startswith(name,'a¿')", "(name >= $1 AND name < $2)", "", []any{"a¿", "aÀ"}, nil},
		{"startswith(name,'\U0010FFFF')", "name >= $1", "", []any{"\U0010FFFF"}, nil},
		{"startswith(name,'')", "1=1", "", nil, nil},
		{"contains(name,'')", "1=1", "", nil, nil},
		{"endswith(name,'')", "1=1", "", nil, nil},
		{"contains(name,'a%_!b')", "instr(name, $1) > 0", "name LIKE $1 ESCAPE '!'", []any{"a%_!b"}, []any{"%a!%!_!!b%"}},
		{"endswith(name,'50%')", "substr(name, -length($1)) = $1", "name LIKE $1 ESCAPE '!'", []any{"50%"}, []any{"%50!%"}},
		{"not endswith(name,'x') and state eq 'Active'", "(NOT (substr(name, -length($1)) = $1) AND (expiry_at > $2))",
			"(NOT (name LIKE $1 ESCAPE '!') AND (expiry_at > $2))", []any{"x", now}, []any{"%x", now}},
	} {
		e, err := ParseFilter(c.in, tokenFields)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		for _, d := range []Dialect{SQLite, PostgreSQL} {
			want, wantArgs := c.sqlite, c.args
			if d == PostgreSQL && c.postgres != "" {
				want = c.postgres
			}
			if d == PostgreSQL && c.pgArgs != nil {
				wantArgs = c.pgArgs
			}
			var args Args
			got := ToSQL(e, tokenMapping(d), &args)
			if got != want || !reflect.DeepEqual(args.Values(), wantArgs) {
				t.Errorf("%v ToSQL(%q) =\n %s %#v\nwant\n %s %#v", d, c.in, got, args.Values(), want, wantArgs)
			}
		}
	}
}

func TestToSQLTypes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		sql  string
		args []any
	}{
		{"count gt -5", "cnt > $1", []any{int64(-5)}},
		{"enabled", "enabled = $1", []any{true}},
		{"enabled ne false", "enabled <> $1", []any{false}},
		{"kind eq 'alpha'", "kind = $1", []any{"Alpha"}},
		{"at lt 2026-11-01T00:00:00Z", "at_us < $1", []any{int64(1793491200000000)}},
	} {
		e, err := ParseFilter(c.in, typeFields)
		if err != nil {
			t.Fatal(err)
		}
		var args Args
		if got := ToSQL(e, typeMapping(SQLite), &args); got != c.sql || !reflect.DeepEqual(args.Values(), c.args) {
			t.Errorf("ToSQL(%q) = %s %#v, want %s %#v", c.in, got, args.Values(), c.sql, c.args)
		}
	}
}

// Placeholders continue from the statement's own parameters.
func TestArgsNumbering(t *testing.T) {
	t.Parallel()
	var args Args
	if p := args.Add("acct"); p != "$1" {
		t.Fatalf("first placeholder %s", p)
	}
	e, _ := ParseFilter("name eq 'a' or startswith(name,'b')", tokenFields)
	got := ToSQL(e, tokenMapping(SQLite), &args)
	if got != "(name = $2 OR (name >= $3 AND name < $4))" || args.Len() != 4 {
		t.Errorf("got %s with %d args", got, args.Len())
	}
}

func TestPrefixSuccessor(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"a", "b", true},
		{"ab", "ac", true},
		{"az", "a{", true},
		{"a\x7f", "a\u0080", true},
		{"¿", "À", true},           // C2 BF → C3 80, not the invalid C2 C0
		{"\u07ff", "\u0800", true}, // two bytes become three
		{"\uffff", "\U00010000", true},
		{"\ud7ff", "\ue000", true}, // surrogates are skipped
		{"x\U0010FFFF", "y", true},
		{"x\U0010FFFF\U0010FFFF", "y", true},
		{"\U0010FFFF", "", false},
		{"\U0010FFFF\U0010FFFF", "", false},
		{"", "", false},
	} {
		got, ok := prefixSuccessor(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("prefixSuccessor(%q) = %q %v, want %q %v", c.in, got, ok, c.want, c.ok)
		}
		if ok && !utf8.ValidString(got) {
			t.Errorf("prefixSuccessor(%q) = %q is not UTF-8", c.in, got)
		}
	}
}

// The successor bounds exactly the strings with the prefix, byte-wise.
func TestPrefixSuccessorBounds(t *testing.T) {
	t.Parallel()
	alphabet := []string{"", "a", "b", "z", "\x7f", "\u0080", "¿", "À", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "\U00010000", "\U0010FFFE", "\U0010FFFF"}
	var strs []string
	for _, a := range alphabet {
		for _, b := range alphabet {
			for _, c := range alphabet[:6] {
				strs = append(strs, a+b+c)
			}
		}
	}
	for _, p := range alphabet {
		for _, q := range alphabet {
			prefix := p + q
			hi, ok := prefixSuccessor(prefix)
			for _, s := range strs {
				inRange := s >= prefix && (!ok || s < hi)
				if inRange != strings.HasPrefix(s, prefix) {
					t.Fatalf("prefix %q, bound %q %v: %q in range %v", prefix, hi, ok, s, inRange)
				}
			}
		}
	}
}

func TestEscapeLike(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"abc": "abc", "a%b": "a!%b", "_": "!_", "!": "!!", `\`: `\`, "!%_": "!!!%!_"} {
		if got := escapeLike(in); got != want {
			t.Errorf("escapeLike(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKeysetAfter(t *testing.T) {
	t.Parallel()
	m := tokenMapping(PostgreSQL)
	order := func(s string) OrderBy {
		o, err := ParseOrderBy(s, tokenFields)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, c := range []struct {
		order string
		after []any
		sql   string
		args  []any
	}{
		{"id", []any{"x"}, "id > $1", []any{"x"}},
		{"id desc", []any{"x"}, "id < $1", []any{"x"}},
		{"name,id", []any{"n", "x"}, "(name, id) > ($1, $2)", []any{"n", "x"}},
		{"name desc,createdAt desc,id desc", []any{"n", testNow, "x"}, "(name, created_at, id) < ($1, $2, $3)",
			[]any{"n", testNow.UnixMicro(), "x"}},
		{"name desc,id", []any{"n", "x"}, "(name <= $1 AND ((name < $1) OR (name = $1 AND id > $2)))", []any{"n", "x"}},
		{"name desc,createdAt,id", []any{"n", testNow, "x"},
			"(name <= $1 AND ((name < $1) OR (name = $1 AND (created_at, id) > ($2, $3))))",
			[]any{"n", testNow.UnixMicro(), "x"}},
		{"name,createdAt,expiryAt desc,id", []any{"n", int64(1), int64(2), "x"},
			"((name, created_at) >= ($1, $2) AND (((name, created_at) > ($1, $2)) OR ((name, created_at) = ($1, $2) AND expiry_at < $3) OR " +
				"((name, created_at) = ($1, $2) AND expiry_at = $3 AND id > $4)))",
			[]any{"n", int64(1), int64(2), "x"}},
	} {
		var args Args
		got := KeysetAfter(order(c.order), c.after, m, &args)
		if got != c.sql || !reflect.DeepEqual(args.Values(), c.args) {
			t.Errorf("KeysetAfter(%s) =\n %s %#v\nwant\n %s %#v", c.order, got, args.Values(), c.sql, c.args)
		}
	}
	if got := OrderSQL(order("name desc,createdAt,id"), m); got != "name DESC, created_at ASC, id ASC" {
		t.Errorf("OrderSQL = %s", got)
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	m := tokenMapping(SQLite)
	for _, c := range []struct {
		top, skip, size int
		after           []any
		filter          string
		want            Page
		suffix          string
	}{
		{-1, 0, 10, nil, "", Page{Where: "1=1", OrderBy: "id ASC", Limit: 11, Size: 10}, "ORDER BY id ASC LIMIT 11"},
		{-1, 5, 10, nil, "name eq 'a'", Page{Where: "name = $1", OrderBy: "id ASC", Limit: 11, Offset: 5, Size: 10}, "ORDER BY id ASC LIMIT 11 OFFSET 5"},
		{3, 0, 10, nil, "", Page{Where: "1=1", OrderBy: "id ASC", Limit: 3, Size: 3}, "ORDER BY id ASC LIMIT 3"},
		{10, 0, 10, nil, "", Page{Where: "1=1", OrderBy: "id ASC", Limit: 10, Size: 10}, "ORDER BY id ASC LIMIT 10"},
		{11, 0, 10, nil, "", Page{Where: "1=1", OrderBy: "id ASC", Limit: 11, Size: 10}, "ORDER BY id ASC LIMIT 11"},
		{0, 0, 10, nil, "", Page{Where: "1=1", OrderBy: "id ASC", Limit: 0, Size: 0}, "ORDER BY id ASC LIMIT 0"},
		{-1, 0, 0, []any{"x"}, "", Page{Where: "id > $1", OrderBy: "id ASC", Limit: 2, Size: 1}, "ORDER BY id ASC LIMIT 2"},
		{-1, 0, 2, []any{"x"}, "name eq 'a' or name eq 'b'", Page{Where: "(name = $1 OR name = $2) AND id > $3", OrderBy: "id ASC", Limit: 3, Size: 2}, "ORDER BY id ASC LIMIT 3"},
	} {
		q := &Query{Top: c.top, Skip: c.skip, After: c.after, OrderBy: OrderBy{{Field: "id", Type: GUID}}}
		q.Filter, _ = ParseFilter(c.filter, tokenFields)
		p := q.Page(m, &Args{}, c.size)
		if p != c.want || p.Suffix() != c.suffix {
			t.Errorf("%+v: Page = %+v %q, want %+v %q", c, p, p.Suffix(), c.want, c.suffix)
		}
	}
}

func TestNext(t *testing.T) {
	t.Parallel()
	q, err := tokenSchema.Parse(map[string][]string{"$orderby": {"createdAt"}, "$top": {"5"}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	p := q.Page(tokenMapping(SQLite), &Args{}, 2)
	last := func(f string) any {
		return map[string]any{"createdAt": testNow, "id": "X"}[f]
	}
	if tok := q.Next(p, 2, last); tok != "" {
		t.Errorf("Next after a short page = %q", tok)
	}
	tok := q.Next(p, 3, last)
	got, err := DecodeToken(tok, tokenSchema.TokenKey, q.OrderBy)
	if err != nil {
		t.Fatal(err)
	}
	want := &Token{Fingerprint: q.fingerprint, Now: testNow.UnixMicro(), Remaining: 3, After: []any{testNow.UnixMicro(), "x"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("token = %+v, want %+v", got, want)
	}
	if p.Served(3) != 2 || p.Served(1) != 1 {
		t.Errorf("Served")
	}

	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `field "createdAt"`) {
			t.Errorf("wrong type: recovered %v", r)
		}
	}()
	q.Next(p, 3, func(string) any { return "not a time" })
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	type name string
	type count int32
	for _, c := range []struct {
		t    Type
		in   any
		want any
	}{
		{String, "a", "a"},
		{String, name("b"), "b"},
		{Enum, "Active", "Active"},
		{GUID, "ABC", "abc"},
		{GUID, uuid.MustParse("0123ABCD-89ab-cdef-0123-456789abcdef"), "0123abcd-89ab-cdef-0123-456789abcdef"},
		{DateTime, testNow, testNow.UnixMicro()},
		{DateTime, time.Time{}, int64(0)},
		{DateTime, int64(5), int64(5)},
		{Int, 7, int64(7)},
		{Int, count(-3), int64(-3)},
		{Bool, true, true},
	} {
		got, ok := normalize(c.t, c.in)
		if !ok || got != c.want {
			t.Errorf("normalize(%v, %#v) = %#v %v, want %#v", c.t, c.in, got, ok, c.want)
		}
	}
	for _, c := range []struct {
		t  Type
		in any
	}{{String, 5}, {Int, "5"}, {Int, uint(5)}, {Bool, 1}, {DateTime, "2026"}, {GUID, 5}, {String, nil}} {
		if got, ok := normalize(c.t, c.in); ok {
			t.Errorf("normalize(%v, %#v) = %#v, want a refusal", c.t, c.in, got)
		}
	}
}
