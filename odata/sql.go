package odata

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Mapping says how fields become SQL for one table.
type Mapping struct {
	Dialect Dialect
	// Columns maps a field's declared name to its column. Columns are
	// written into the SQL as given: they are constants from code, never
	// client text. Text columns must compare byte-wise: COLLATE "C" on
	// PostgreSQL; SQLite's default BINARY already does.
	Columns map[string]string
	// Computed maps a field with no column of its own to its translator
	// (see TimeState). Computed fields can be filtered, not sorted.
	Computed map[string]Computed
}

// Computed translates one comparison of a computed field (Op is Eq or Ne
// for an Enum) into a boolean SQL expression, adding its values to args.
type Computed func(c *Compare, args *Args) string

// TimeState is the Computed for an Enum field whose value follows from a
// time column and the clock, such as a Playwright access token's state:
// the field is future while column > now and past from then on. now is
// bound as unix microseconds, like the column.
func TimeState(column string, now time.Time, future, past string) Computed {
	us := now.UnixMicro()
	return func(c *Compare, args *Args) string {
		isFuture := strings.EqualFold(c.Value.Str, future)
		if !isFuture && !strings.EqualFold(c.Value.Str, past) {
			return alwaysFalse(c.Op == Ne)
		}
		if isFuture == (c.Op == Eq) {
			return column + " > " + args.Add(us)
		}
		return column + " <= " + args.Add(us)
	}
}

// alwaysFalse is a constant condition: false, or true when negated.
func alwaysFalse(negate bool) string {
	if negate {
		return "1=1"
	}
	return "1=0"
}

// column is the field's column; a missing one is a programming error
// (Schema.Validate finds it in a test).
func (m Mapping) column(field string) string {
	col, ok := m.Columns[field]
	if !ok {
		panic(fmt.Sprintf("odata: Mapping has no column for field %q", field))
	}
	return col
}

// ToSQL translates a filter into a boolean SQL expression over m's
// columns, adding every value to args. A nil filter is "1=1". The result is
// either a single comparison or parenthesized, so it can be joined to other
// conditions with AND as it is.
func ToSQL(e Expr, m Mapping, args *Args) string {
	if e == nil {
		return "1=1"
	}
	var b strings.Builder
	b.Grow(128)
	m.write(&b, e, args)
	return b.String()
}

var sqlOps = map[Op]string{Eq: " = ", Ne: " <> ", Gt: " > ", Ge: " >= ", Lt: " < ", Le: " <= "}

func (m Mapping) write(b *strings.Builder, e Expr, args *Args) {
	switch e := e.(type) {
	case *And:
		b.WriteByte('(')
		m.write(b, e.Left, args)
		b.WriteString(" AND ")
		m.write(b, e.Right, args)
		b.WriteByte(')')
	case *Or:
		b.WriteByte('(')
		m.write(b, e.Left, args)
		b.WriteString(" OR ")
		m.write(b, e.Right, args)
		b.WriteByte(')')
	case *Not:
		b.WriteString("NOT (")
		m.write(b, e.X, args)
		b.WriteByte(')')
	case *Compare:
		m.compare(b, e, args)
	case *Call:
		m.call(b, e, args)
	default:
		panic(fmt.Sprintf("odata: unknown expression %T", e))
	}
}

func (m Mapping) compare(b *strings.Builder, c *Compare, args *Args) {
	if fn, ok := m.Computed[c.Field]; ok {
		b.WriteByte('(')
		b.WriteString(fn(c, args))
		b.WriteByte(')')
		return
	}
	col, op := m.column(c.Field), c.Op
	if c.Value.SubMicro {
		// The literal lies strictly between two whole microseconds f and
		// f+1 (Int is f), and stored values are whole: x > v and x >= v
		// mean x > f; x < v and x <= v mean x <= f; x = v never holds.
		switch op {
		case Eq, Ne:
			b.WriteString(alwaysFalse(op == Ne))
			return
		case Ge:
			op = Gt
		case Lt:
			op = Le
		}
	}
	b.WriteString(col)
	b.WriteString(sqlOps[op])
	b.WriteString(args.Add(c.Value.value()))
}

func (m Mapping) call(b *strings.Builder, c *Call, args *Args) {
	if c.Arg == "" {
		b.WriteString("1=1") // every string starts with, ends with and contains ""
		return
	}
	col := m.column(c.Field)
	switch {
	case c.Op == StartsWith:
		// A half-open range on the column, which an index serves, where
		// LIKE 'x%' would need a special collation or operator class.
		lo := args.Add(c.Arg)
		hi, ok := prefixSuccessor(c.Arg)
		if !ok {
			b.WriteString(col + " >= " + lo)
			return
		}
		b.WriteString("(" + col + " >= " + lo + " AND " + col + " < " + args.Add(hi) + ")")
	case m.Dialect == PostgreSQL && c.Op == EndsWith:
		b.WriteString(col + " LIKE " + args.Add("%"+escapeLike(c.Arg)) + " ESCAPE '!'")
	case m.Dialect == PostgreSQL:
		b.WriteString(col + " LIKE " + args.Add("%"+escapeLike(c.Arg)+"%") + " ESCAPE '!'")
	case m.Dialect == SQLite && c.Op == EndsWith:
		p := args.Add(c.Arg)
		b.WriteString("substr(" + col + ", -length(" + p + ")) = " + p)
	case m.Dialect == SQLite:
		b.WriteString("instr(" + col + ", " + args.Add(c.Arg) + ") > 0")
	default:
		panic(fmt.Sprintf("odata: Mapping has no Dialect (%v)", m.Dialect))
	}
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '!'. The
// escape is '!' rather than '\' so that the SQL text is the same whatever
// standard_conforming_strings says.
func escapeLike(s string) string {
	if !strings.ContainsAny(s, "!%_") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '!', '%', '_':
			b.WriteByte('!')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// prefixSuccessor returns the least string greater, byte-wise, than every
// string starting with prefix: the prefix with its last character replaced
// by the next code point. UTF-8 byte order is code point order, and the
// result stays valid UTF-8, which PostgreSQL requires of text (incrementing
// the last byte would not: "¿" is C2 BF). A trailing U+10FFFF has no next
// code point, so it is dropped and the character before it incremented; a
// prefix made only of U+10FFFF has no successor (ok is false) and the range
// is open above. (This is the UTF-8 form of the all-0xFF edge case: no
// valid UTF-8 text contains the byte 0xFF.)
func prefixSuccessor(prefix string) (string, bool) {
	s := prefix
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
		if r < utf8.MaxRune {
			r++
			if r == 0xD800 { // surrogates are not characters
				r = 0xE000
			}
			return s + string(r), true
		}
	}
	return "", false
}
