package odata

import (
	"strconv"
	"strings"
	"time"
)

// Expr is a parsed $filter: *And, *Or, *Not, *Compare or *Call. A nil Expr
// is the empty filter, which every row satisfies.
type Expr interface {
	// String renders the expression back as canonical OData: parsing it
	// again gives an expression with the same String and the same SQL.
	String() string
	expr()
}

// And is Left and Right.
type And struct{ Left, Right Expr }

// Or is Left or Right.
type Or struct{ Left, Right Expr }

// Not negates X.
type Not struct{ X Expr }

// Compare is a field compared with a literal, normalized so the field is on
// the left ('x' lt name becomes name gt 'x').
type Compare struct {
	// Field is the field's declared name (canonical casing).
	Field string
	// Op is one of Eq, Ne, Gt, Ge, Lt, Le.
	Op    Op
	Value Literal
}

// Call is a string function of a field: startswith, endswith, contains or
// substringof. "f(...) eq false" is parsed as Not{Call}.
type Call struct {
	// Op is StartsWith, EndsWith, Contains or SubstringOf.
	Op Op
	// Field is the field's declared name (canonical casing).
	Field string
	// Arg is the literal text argument.
	Arg string
}

// Literal is a value of the type of the field it is compared with.
type Literal struct {
	Type Type
	// Str holds String, Enum (canonical casing) and GUID (lower case)
	// values.
	Str string
	// Int holds Int values, and DateTime values as unix microseconds UTC,
	// rounded down.
	Int  int64
	Bool bool
	// SubMicro is set when a DateTime literal had a non-zero part below a
	// microsecond, which stored times (whole microseconds) never have;
	// comparisons then round the right way and eq can never hold.
	SubMicro bool
}

func (*And) expr()     {}
func (*Or) expr()      {}
func (*Not) expr()     {}
func (*Compare) expr() {}
func (*Call) expr()    {}

func (e *And) String() string { return binaryString(e.Left, " and ", e.Right, isOr) }
func (e *Or) String() string  { return binaryString(e.Left, " or ", e.Right, nil) }

func isOr(e Expr) bool { _, ok := e.(*Or); return ok }

// binaryString keeps the tree's shape: a left child of the same operator
// needs no parentheses (the parser builds chains left-deep), a right child
// does, and so does an "or" under an "and".
func binaryString(l Expr, op string, r Expr, lowerPrec func(Expr) bool) string {
	same := func(e Expr) bool {
		switch e.(type) {
		case *And:
			return op == " and "
		case *Or:
			return op == " or "
		}
		return false
	}
	ls, rs := l.String(), r.String()
	if lowerPrec != nil && lowerPrec(l) {
		ls = "(" + ls + ")"
	}
	if same(r) || lowerPrec != nil && lowerPrec(r) {
		rs = "(" + rs + ")"
	}
	return ls + op + rs
}

func (e *Not) String() string { return "not (" + e.X.String() + ")" }

func (e *Compare) String() string { return e.Field + " " + e.Op.String() + " " + e.Value.String() }

func (e *Call) String() string {
	if e.Op == SubstringOf {
		return "substringof(" + quoteString(e.Arg) + "," + e.Field + ")"
	}
	return e.Op.String() + "(" + e.Field + "," + quoteString(e.Arg) + ")"
}

// String renders the literal in OData syntax.
func (l Literal) String() string {
	switch l.Type {
	case Int:
		return strconv.FormatInt(l.Int, 10)
	case Bool:
		return strconv.FormatBool(l.Bool)
	case GUID:
		return l.Str
	case DateTime:
		t := time.UnixMicro(l.Int).UTC()
		if l.SubMicro {
			// Any sub-microsecond remainder translates the same way.
			return t.Format("2006-01-02T15:04:05.000000") + "5Z"
		}
		return t.Format("2006-01-02T15:04:05.999999Z")
	}
	return quoteString(l.Str)
}

// value is the literal as a database/sql argument.
func (l Literal) value() any {
	switch l.Type {
	case Int, DateTime:
		return l.Int
	case Bool:
		return l.Bool
	}
	return l.Str
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
