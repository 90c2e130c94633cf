package odata

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The differential tests' data and query generator, and the reference
// evaluator the engines' answers are compared with.

// namePieces are what names are made of: mixed case, digits, shared
// prefixes, multi-byte characters (up to U+10FFFF, and ¿ whose last UTF-8
// byte is BF), LIKE metacharacters and the quote.
var namePieces = []string{
	"tok", "Tok", "TOK", "token", "Token", "a", "A", "ab", "aB", "abc", "b", "z", "Z",
	"0", "1", "9", "10", "é", "É", "😀", "\U0010FFFF", "¿", "À", "%", "_", "!", "'", " ", "x%_y", "日本", "~",
}

// dataset makes rows for two accounts; names, creation and expiry times
// repeat on purpose, so that orders need their tie-break.
func dataset(r *rand.Rand, n int) []row {
	var rows []row
	now := diffNow.UnixMicro()
	for i := range n {
		acct := accountA
		if i%4 == 3 {
			acct = accountB
		}
		x := row{id: uuid.Must(uuid.NewRandomFromReader(rng{r})).String(), account: acct}
		switch {
		case len(rows) > 0 && r.IntN(6) == 0:
			x.name = rows[r.IntN(len(rows))].name
		default:
			for range 1 + r.IntN(4) {
				x.name += namePieces[r.IntN(len(namePieces))]
			}
		}
		switch {
		case len(rows) > 0 && r.IntN(8) == 0:
			x.created = rows[r.IntN(len(rows))].created
		case r.IntN(2) == 0:
			x.created = now - int64(r.IntN(60*86400))*1_000_000 // whole seconds
		default:
			x.created = now - r.Int64N(60*86400*1_000_000)
		}
		switch {
		case r.IntN(15) == 0:
			x.expiry = now // expired exactly now
		case len(rows) > 0 && r.IntN(8) == 0:
			x.expiry = rows[r.IntN(len(rows))].expiry
		default:
			x.expiry = now + r.Int64N(20*86400*1_000_000) - 10*86400*1_000_000
		}
		rows = append(rows, x)
	}
	return rows
}

// rng adapts math/rand/v2 to io.Reader for uuid.
type rng struct{ r *rand.Rand }

func (g rng) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return len(b), nil
}

// gen is the generator's expression tree, rendered to $filter text and
// evaluated on rows directly.
type gen interface {
	render(r *rand.Rand) string
	eval(x row, now int64) bool
	prec() int // 1 or, 2 and, 3 not and atoms
}

type gOr struct{ l, r gen }
type gAnd struct{ l, r gen }
type gNot struct{ x gen }

// gCmp is field op literal; lit is the rendered literal; the value is in
// str (name, id, state) or ns (times, in nanoseconds).
type gCmp struct {
	field, op string
	str       string
	ns        int64
	lit       string
	flip      bool // render as literal op' field
}

// gFn is a string function of name; negate renders "… eq false".
type gFn struct {
	fn, arg string
	cmp     string // "", "eq true", "eq false", "ne true", "ne false"
}

func (g gOr) prec() int  { return 1 }
func (g gAnd) prec() int { return 2 }
func (g gNot) prec() int { return 3 }
func (g gCmp) prec() int { return 3 }
func (g gFn) prec() int  { return 3 }

func kw(r *rand.Rand, s string) string {
	switch r.IntN(4) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func sp(r *rand.Rand) string { return []string{" ", " ", " ", "  ", "\t"}[r.IntN(5)] }

// wrap parenthesizes a child when precedence needs it, and sometimes when
// it does not.
func wrap(r *rand.Rand, child gen, min int) string {
	s := child.render(r)
	if child.prec() < min || r.IntN(8) == 0 {
		return "(" + s + ")"
	}
	return s
}

func (g gOr) render(r *rand.Rand) string {
	// or is left-associative: a right child that is an or needs
	// parentheses only to keep the tree, which the evaluator does not care
	// about; the min of 2 keeps the shape anyway.
	return wrap(r, g.l, 1) + sp(r) + kw(r, "or") + sp(r) + wrap(r, g.r, 2)
}
func (g gAnd) render(r *rand.Rand) string {
	return wrap(r, g.l, 2) + sp(r) + kw(r, "and") + sp(r) + wrap(r, g.r, 3)
}
func (g gNot) render(r *rand.Rand) string {
	return kw(r, "not") + sp(r) + wrap(r, g.x, 3)
}

var flipOp = map[string]string{"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}

func (g gCmp) render(r *rand.Rand) string {
	field := g.field
	if r.IntN(5) == 0 {
		field = strings.ToUpper(field)
	}
	if g.flip {
		return g.lit + sp(r) + kw(r, flipOp[g.op]) + sp(r) + field
	}
	return field + sp(r) + kw(r, g.op) + sp(r) + g.lit
}

func (g gFn) render(r *rand.Rand) string {
	lit := quoteString(g.arg)
	s := kw(r, g.fn) + "(name," + sp(r) + lit + ")"
	if g.fn == "substringof" {
		s = kw(r, g.fn) + "(" + lit + "," + sp(r) + "name)"
	}
	if g.cmp != "" {
		s += " " + g.cmp
	}
	return s
}

func (g gOr) eval(x row, now int64) bool  { return g.l.eval(x, now) || g.r.eval(x, now) }
func (g gAnd) eval(x row, now int64) bool { return g.l.eval(x, now) && g.r.eval(x, now) }
func (g gNot) eval(x row, now int64) bool { return !g.x.eval(x, now) }

func (g gFn) eval(x row, _ int64) bool {
	var v bool
	switch g.fn {
	case "startswith":
		v = strings.HasPrefix(x.name, g.arg)
	case "endswith":
		v = strings.HasSuffix(x.name, g.arg)
	default:
		v = strings.Contains(x.name, g.arg)
	}
	if g.cmp == "eq false" || g.cmp == "ne true" {
		return !v
	}
	return v
}

func (g gCmp) eval(x row, now int64) bool {
	var c int
	switch g.field {
	case "name":
		c = strings.Compare(x.name, g.str) // byte-wise, as Go compares
	case "id":
		c = strings.Compare(x.id, strings.ToLower(g.str))
	case "createdAt":
		c = cmp.Compare(x.created*1000, g.ns)
	case "expiryAt":
		c = cmp.Compare(x.expiry*1000, g.ns)
	case "state":
		active := x.expiry > now
		return active == strings.EqualFold(g.str, "Active") == (g.op == "eq")
	}
	switch g.op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	}
	return c <= 0
}

// generator draws expressions whose literals often hit the data.
type generator struct {
	r    *rand.Rand
	rows []row
}

func (g *generator) some() row { return g.rows[g.r.IntN(len(g.rows))] }

// text is a string literal: an existing name, a piece of one, or pieces.
func (g *generator) text() string {
	name := g.some().name
	switch g.r.IntN(5) {
	case 0:
		return name
	case 1, 2: // a prefix, suffix or middle, on character boundaries
		rs := []rune(name)
		i := g.r.IntN(len(rs) + 1)
		j := i + g.r.IntN(len(rs)-i+1)
		return string(rs[i:j])
	case 3:
		return namePieces[g.r.IntN(len(namePieces))]
	}
	return namePieces[g.r.IntN(len(namePieces))] + namePieces[g.r.IntN(len(namePieces))]
}

// timeLit is a time near the data, in nanoseconds, and its rendering in a
// random zone and form, with exactly the digits it needs (or more).
func (g *generator) timeLit(field string) (int64, string) {
	x := g.some()
	us := x.created
	if field == "expiryAt" || g.r.IntN(3) == 0 {
		us = x.expiry
	}
	ns := us * 1000
	switch g.r.IntN(5) {
	case 0:
		ns += 1000 * (g.r.Int64N(3) - 1) // one microsecond either side
	case 1:
		ns += 1 + g.r.Int64N(999) // just after a stored value
	case 2:
		ns -= 1 + g.r.Int64N(999) // just before one
	case 3:
		ns += (g.r.Int64N(7200) - 3600) * 1e9
	}
	t := time.Unix(0, ns).UTC()
	if g.r.IntN(2) == 0 {
		t = t.In(time.FixedZone("", []int{-8 * 3600, 5*3600 + 1800, 14 * 3600, -(9*3600 + 30*60)}[g.r.IntN(4)]))
	}
	layout := "2006-01-02T15:04:05.999999999Z07:00"
	if g.r.IntN(4) == 0 {
		layout = "2006-01-02T15:04:05.000000000Z07:00"
	}
	s := t.Format(layout)
	switch g.r.IntN(6) {
	case 0:
		s = "'" + s + "'"
	case 1:
		s = kw(g.r, "datetime") + "'" + s + "'"
	}
	return ns, s
}

func (g *generator) compare() gen {
	c := gCmp{op: []string{"eq", "ne", "gt", "ge", "lt", "le"}[g.r.IntN(6)], flip: g.r.IntN(6) == 0}
	switch g.r.IntN(9) {
	case 0, 1, 2:
		c.field = "name"
		c.str = g.text()
		c.lit = quoteString(c.str)
	case 3:
		c.field = "id"
		c.str = g.some().id
		if g.r.IntN(3) == 0 {
			c.str = uuid.Must(uuid.NewRandomFromReader(rng{g.r})).String()
		}
		if g.r.IntN(2) == 0 {
			c.str = strings.ToUpper(c.str)
		}
		c.lit = []string{c.str, "'" + c.str + "'", "guid'" + c.str + "'"}[g.r.IntN(3)]
	case 4, 5:
		c.field = "createdAt"
		c.ns, c.lit = g.timeLit(c.field)
	case 6, 7:
		c.field = "expiryAt"
		c.ns, c.lit = g.timeLit(c.field)
	default:
		c.field, c.op = "state", []string{"eq", "ne"}[g.r.IntN(2)]
		c.str = []string{"Active", "Expired", "active", "EXPIRED"}[g.r.IntN(4)]
		c.lit = "'" + c.str + "'"
	}
	return c
}

func (g *generator) expr(depth int) gen {
	if depth <= 0 || g.r.IntN(3) == 0 {
		if g.r.IntN(3) == 0 {
			f := gFn{fn: []string{"startswith", "endswith", "contains", "substringof"}[g.r.IntN(4)], arg: g.text()}
			if g.r.IntN(4) == 0 {
				f.cmp = []string{"eq true", "eq false", "ne true", "ne false"}[g.r.IntN(4)]
			}
			return f
		}
		return g.compare()
	}
	switch g.r.IntN(5) {
	case 0, 1:
		return gAnd{g.expr(depth - 1), g.expr(depth - 1)}
	case 2, 3:
		return gOr{g.expr(depth - 1), g.expr(depth - 1)}
	}
	return gNot{g.expr(depth - 1)}
}

// sortKey is one key of the reference order.
type sortKey struct {
	field string
	desc  bool
}

func (g *generator) orderBy() (string, []sortKey) {
	fields := []string{"name", "createdAt", "expiryAt", "id"}
	g.r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	var parts []string
	var keys []sortKey
	for _, f := range fields[:g.r.IntN(4)] {
		k := sortKey{field: f}
		s := f
		switch g.r.IntN(3) {
		case 0:
			k.desc = true
			s += " " + kw(g.r, "desc")
		case 1:
			s += " " + kw(g.r, "asc")
		}
		parts = append(parts, s)
		keys = append(keys, k)
	}
	// The documented tie-break: id, in the direction of the last key.
	hasID := slices.ContainsFunc(keys, func(k sortKey) bool { return k.field == "id" })
	if !hasID {
		keys = append(keys, sortKey{field: "id", desc: len(keys) > 0 && keys[len(keys)-1].desc})
	}
	return strings.Join(parts, ","+sp(g.r)), keys
}

func compareRows(a, b row, keys []sortKey) int {
	for _, k := range keys {
		var c int
		switch k.field {
		case "name":
			c = strings.Compare(a.name, b.name)
		case "id":
			c = strings.Compare(a.id, b.id)
		case "createdAt":
			c = cmp.Compare(a.created, b.created)
		case "expiryAt":
			c = cmp.Compare(a.expiry, b.expiry)
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// reference answers a query over rows of accountA.
func reference(rows []row, filter gen, keys []sortKey, top, skip int) []string {
	now := diffNow.UnixMicro()
	var match []row
	for _, x := range rows {
		if x.account == accountA && (filter == nil || filter.eval(x, now)) {
			match = append(match, x)
		}
	}
	slices.SortFunc(match, func(a, b row) int { return compareRows(a, b, keys) })
	match = match[min(skip, len(match)):]
	if top >= 0 {
		match = match[:min(top, len(match))]
	}
	ids := make([]string, len(match))
	for i, x := range match {
		ids[i] = x.id
	}
	return ids
}
