package odata

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseOrderBy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want string // OrderBy.String(), or the error message
		pos  int    // error position; 0 when valid
	}{
		{"", "", 0},
		{"  ", "", 0},
		{"name", "name", 0},
		{"name asc", "name", 0},
		{"Name DESC", "name desc", 0},
		{"name desc,createdAt", "name desc,createdAt", 0},
		{" expiryAt  desc , id asc ", "expiryAt desc,id", 0},
		{"name\tdesc", "name desc", 0},
		{"nmae", "$orderby: unknown field 'nmae' at position 1; sortable fields are id, name, createdAt, expiryAt", 1},
		{"name, state", "$orderby: field 'state' cannot be used in $orderby at position 7; sortable fields are id, name, createdAt, expiryAt", 7},
		{"name descending", "$orderby: expected asc or desc after 'name', found 'descending' at position 6", 6},
		{"name desc x", "$orderby: expected asc or desc after 'name', found 'desc x' at position 6", 6},
		{"name,,id", "$orderby: empty item at position 6; separate fields with single commas", 6},
		{"name,", "$orderby: empty item at position 6; separate fields with single commas", 6},
		{"é, name", "$orderby: unknown field 'é' at position 1; sortable fields are id, name, createdAt, expiryAt", 1},
		{"éé, nome", "$orderby: unknown field 'éé' at position 1; sortable fields are id, name, createdAt, expiryAt", 1},
		{"name, NAME desc", "$orderby: field 'name' is listed twice at position 7", 7},
		{"name\xff", "$orderby: invalid UTF-8 at position 5", 5},
		{strings.Repeat("x", MaxOptionLength+1), "$orderby: longer than 1024 characters at position 1025", 1025},
	} {
		o, err := ParseOrderBy(c.in, tokenFields)
		got, pos := o.String(), 0
		if err != nil {
			e := err.(*Error)
			got, pos = e.Message, e.Position
			if e.Param != "$orderby" {
				t.Errorf("%q: param %q", c.in, e.Param)
			}
		}
		if got != c.want || pos != c.pos {
			t.Errorf("ParseOrderBy(%q) = %q at %d, want %q at %d", c.in, got, pos, c.want, c.pos)
		}
	}
}

func TestWithTieBreak(t *testing.T) {
	t.Parallel()
	id := tokenFields[0]
	for _, c := range []struct{ in, want string }{
		{"", "id"},
		{"name", "name,id"},
		{"name desc", "name desc,id desc"},
		{"name desc,createdAt", "name desc,createdAt,id"},
		{"createdAt,name desc", "createdAt,name desc,id desc"},
		{"id desc,name", "id desc,name"},
	} {
		o, err := ParseOrderBy(c.in, tokenFields)
		if err != nil {
			t.Fatal(err)
		}
		got := o.WithTieBreak(id)
		if got.String() != c.want {
			t.Errorf("%q.WithTieBreak = %q, want %q", c.in, got, c.want)
		}
		if o.String() != strings.TrimSpace(c.in) && c.in != "" {
			t.Errorf("WithTieBreak changed its receiver to %q", o)
		}
	}
}

func TestParseSelect(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want []string
		err  string
		pos  int
	}{
		{"", nil, "", 0},
		{"*", nil, "", 0},
		{"id,name", []string{"id", "name"}, "", 0},
		{" ID , jwttoken, name,id ", []string{"id", "jwtToken", "name"}, "", 0},
		{"id,nmae", nil, "$select: unknown field 'nmae' at position 4; fields are id, name, createdAt, expiryAt, state, jwtToken", 4},
		{"id,,name", nil, "$select: empty item at position 4; separate fields with single commas", 4},
		{"properties/name", nil, "$select: unknown field 'properties/name' at position 1; fields are id, name, createdAt, expiryAt, state, jwtToken", 1},
	} {
		got, err := ParseSelect(c.in, tokenFields)
		if c.err != "" {
			e, ok := err.(*Error)
			if !ok || e.Message != c.err || e.Position != c.pos || e.Param != "$select" {
				t.Errorf("ParseSelect(%q) error = %v, want %q at %d", c.in, err, c.err, c.pos)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseSelect(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseTopSkip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in      string
		top     int
		skip    int
		err     string // for $top; $skip's is the same with the name changed
		errPos  int
		skipErr bool
	}{
		{"", -1, 0, "", 0, false},
		{"0", 0, 0, "", 0, false},
		{"10", 10, 10, "", 0, false},
		{"007", 7, 7, "", 0, false},
		{"2147483647", 2147483647, 2147483647, "", 0, false},
		{"2147483648", 0, 0, "$top: the number '2147483648' is too large at position 1; use a whole number from 0 to 2147483647", 1, true},
		{"-1", 0, 0, "$top: invalid number '-1' at position 1; use a whole number from 0 to 2147483647", 1, true},
		{"1e3", 0, 0, "$top: invalid number '1e3' at position 2; use a whole number from 0 to 2147483647", 2, true},
		{" 5", 0, 0, "$top: invalid number ' 5' at position 1; use a whole number from 0 to 2147483647", 1, true},
		{"ten", 0, 0, "$top: invalid number 'ten' at position 1; use a whole number from 0 to 2147483647", 1, true},
	} {
		top, err := ParseTop(c.in)
		if c.err != "" {
			e, ok := err.(*Error)
			if !ok || e.Message != c.err || e.Position != c.errPos || e.Param != "$top" {
				t.Errorf("ParseTop(%q) error = %v, want %q", c.in, err, c.err)
			}
		} else if err != nil || top != c.top {
			t.Errorf("ParseTop(%q) = %d, %v; want %d", c.in, top, err, c.top)
		}
		skip, err := ParseSkip(c.in)
		if c.skipErr {
			want := strings.Replace(c.err, "$top", "$skip", 1)
			if e, ok := err.(*Error); !ok || e.Message != want || e.Param != "$skip" {
				t.Errorf("ParseSkip(%q) error = %v, want %q", c.in, err, want)
			}
		} else if err != nil || skip != c.skip {
			t.Errorf("ParseSkip(%q) = %d, %v; want %d", c.in, skip, err, c.skip)
		}
	}
}

func TestSchemaParse(t *testing.T) {
	t.Parallel()
	q, err := tokenSchema.Parse(url.Values{
		"api-version": {"2024-12-01"},
		"$FILTER":     {"name eq 'a'"},
		"$orderby":    {"name desc"},
		"$select":     {"id,name"},
		"$Top":        {"5"},
		"$skip":       {"2"},
	}, testNow.Add(1234567))
	if err != nil {
		t.Fatal(err)
	}
	if q.Filter.String() != "name eq 'a'" || q.OrderBy.String() != "name desc,id desc" ||
		!reflect.DeepEqual(q.Select, []string{"id", "name"}) || q.Top != 5 || q.Skip != 2 || q.After != nil {
		t.Errorf("parsed %+v", q)
	}
	if !q.Now.Equal(testNow.Add(1234000)) {
		t.Errorf("Now = %v, want it cut to microseconds", q.Now)
	}

	q, err = tokenSchema.Parse(url.Values{}, testNow)
	if err != nil || q.Filter != nil || q.OrderBy.String() != "id" || q.Top != -1 || q.Skip != 0 || q.Select != nil {
		t.Errorf("empty query = %+v, %v", q, err)
	}
	withDefault := *tokenSchema
	withDefault.DefaultOrder = OrderBy{{Field: "createdAt", Desc: true}}
	q, err = withDefault.Parse(url.Values{}, testNow)
	if err != nil || q.OrderBy.String() != "createdAt desc,id desc" || q.OrderBy[0].Type != DateTime {
		t.Errorf("default order = %+v, %v", q.OrderBy, err)
	}

	for _, c := range []struct {
		values url.Values
		param  string
		msg    string
	}{
		{url.Values{"$top": {"1", "2"}}, "$top", "$top: given more than once; give it once"},
		{url.Values{"$filter": {"name eq 'a'"}, "$Filter": {"name eq 'b'"}}, "$filter", "$filter: given more than once; give it once"},
		{url.Values{"$filter": {"nmae eq 'a'"}}, "$filter", "$filter: unknown field 'nmae' at position 1; fields are id, name, createdAt, expiryAt, state"},
		{url.Values{"$orderby": {"state"}}, "$orderby", "$orderby: field 'state' cannot be used in $orderby at position 1; sortable fields are id, name, createdAt, expiryAt"},
		{url.Values{"$select": {"x"}}, "$select", "$select: unknown field 'x' at position 1; fields are id, name, createdAt, expiryAt, state, jwtToken"},
		{url.Values{"$top": {"x"}}, "$top", "$top: invalid number 'x' at position 1; use a whole number from 0 to 2147483647"},
		{url.Values{"$skip": {"x"}}, "$skip", "$skip: invalid number 'x' at position 1; use a whole number from 0 to 2147483647"},
		{url.Values{"$skipToken": {"!!"}}, "$skipToken", "$skipToken: the continuation token is malformed or was altered; follow the nextLink of the previous page unchanged, or list again from the first page"},
	} {
		_, err := tokenSchema.Parse(c.values, testNow)
		e, ok := err.(*Error)
		if !ok || e.Param != c.param || e.Message != c.msg {
			t.Errorf("Parse(%v) = %v, want %s: %q", c.values, err, c.param, c.msg)
		}
	}

	apim := &Schema{Fields: apimFields, Key: "name", MinTop: 1}
	_, err = apim.Parse(url.Values{"$top": {"0"}}, testNow)
	if e, ok := err.(*Error); !ok || e.Message != "$top: must be at least 1, not 0" {
		t.Errorf("$top=0 with MinTop 1: %v", err)
	}
}

// The token pins what the first page decided: a later page ignores $top,
// $skip and the clock of its own request.
func TestSchemaParseWithToken(t *testing.T) {
	t.Parallel()
	first := url.Values{"$filter": {"state eq 'Active'"}, "$orderby": {"name"}, "$top": {"7"}, "$skip": {"3"}}
	q, err := tokenSchema.Parse(first, testNow)
	if err != nil {
		t.Fatal(err)
	}
	p := q.Page(tokenMapping(SQLite), &Args{}, 2)
	tok := q.Next(p, 3, func(f string) any {
		return map[string]any{"name": "bob", "id": "0123abcd-89ab-cdef-0123-456789abcdef"}[f]
	})
	if tok == "" {
		t.Fatal("no token")
	}
	next := url.Values{}
	for k, v := range first {
		next[k] = v
	}
	next.Set("$skipToken", tok)
	q2, err := tokenSchema.Parse(next, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if q2.Top != 5 || q2.Skip != 0 || !q2.Now.Equal(testNow) ||
		!reflect.DeepEqual(q2.After, []any{"bob", "0123abcd-89ab-cdef-0123-456789abcdef"}) {
		t.Errorf("second page query = %+v", q2)
	}

	// A token is refused with another filter or order, or another key.
	for _, change := range []func(url.Values){
		func(v url.Values) { v.Set("$filter", "state eq 'Expired'") },
		func(v url.Values) { v.Set("$orderby", "name desc") },
		func(v url.Values) { v.Del("$orderby") },
	} {
		v := url.Values{}
		for k, vs := range next {
			v[k] = vs
		}
		change(v)
		_, err := tokenSchema.Parse(v, testNow)
		e, ok := err.(*Error)
		if !ok || e.Param != "$skipToken" || e.Position != 0 {
			t.Errorf("changed query %v: %v", v, err)
		}
	}
	other := *tokenSchema
	other.TokenKey = []byte("another key")
	if _, err := other.Parse(next, testNow); err == nil {
		t.Error("token accepted under another key")
	}
}
