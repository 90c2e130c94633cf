package odata

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds on a $filter, so a hostile query can exhaust neither the stack
// (the parser and translator recurse) nor the database (each condition
// adds SQL and parameters).
const (
	// MaxFilterLength is the longest $filter accepted, in characters.
	MaxFilterLength = 4096
	// MaxDepth is the deepest nesting of parentheses and not.
	MaxDepth = 32
	// MaxTerms is the most comparisons and function calls in one $filter.
	MaxTerms = 64
)

const filterParam = "$filter"

const functionList = "functions are startswith, endswith, contains, substringof"
const operatorList = "eq, ne, gt, ge, lt, le"

// ParseFilter parses a $filter over fields. An empty (or all-blank) filter
// is a nil Expr: no condition. Every failure is an *Error naming the
// position.
func ParseFilter(expr string, fields Fields) (Expr, error) {
	if len(expr) > utf8.UTFMax*MaxFilterLength { // too long whatever it holds
		return nil, errAt(filterParam, MaxFilterLength+1, "", "longer than %d characters", MaxFilterLength)
	}
	if pos := invalidUTF8(expr); pos != 0 {
		return nil, errAt(filterParam, pos, "", "invalid UTF-8")
	}
	if n := utf8.RuneCountInString(expr); n > MaxFilterLength {
		return nil, errAt(filterParam, MaxFilterLength+1, "", "longer than %d characters", MaxFilterLength)
	}
	p := &parser{lex: newLexer(expr), fields: fields}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, nil
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tEOF:
		return e, nil
	case tRParen:
		return nil, errAt(filterParam, p.tok.pos, "", "unexpected ')' without a matching '('")
	}
	return nil, errAt(filterParam, p.tok.pos, "join conditions with and, or", "unexpected %s after a complete condition", describe(p.tok))
}

type parser struct {
	lex    *lexer
	fields Fields
	tok    token // current
	ahead  token // one token of lookahead, when peeked is set
	peeked bool
	depth  int
	terms  int
}

func (p *parser) advance() error {
	if p.peeked {
		p.tok, p.peeked = p.ahead, false
		return nil
	}
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) peek() (token, error) {
	if !p.peeked {
		t, err := p.lex.next()
		if err != nil {
			return token{}, err
		}
		p.ahead, p.peeked = t, true
	}
	return p.ahead, nil
}

// keyword reports whether the current token is the keyword kw, in any case.
func (p *parser) keyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) or() (Expr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &Or{left, right}
	}
	return left, nil
}

func (p *parser) and() (Expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &And{left, right}
	}
	return left, nil
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return errAt(filterParam, pos, "", "nested deeper than %d levels of parentheses and not", MaxDepth)
	}
	return nil
}

// unary is "not" unary, or a primary. "not name eq 'x'" negates the whole
// comparison, as clients mean it (strict OData would read (not name) eq
// 'x', which is a type error for every non-boolean field and the same
// thing for a boolean one).
func (p *parser) unary() (Expr, error) {
	if !p.keyword("not") {
		return p.primary()
	}
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	// "not (…)" is one level, so that the canonical form (which always
	// writes not with parentheses) is no deeper than what was parsed.
	nested := p.tok.kind != tLParen
	if nested {
		if err := p.enter(pos); err != nil {
			return nil, err
		}
	}
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	if nested {
		p.depth--
	}
	return &Not{x}, nil
}

func (p *parser) primary() (Expr, error) {
	t := p.tok
	switch t.kind {
	case tLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tRParen {
			return nil, errAt(filterParam, p.tok.pos, "", "empty parentheses")
		}
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			if p.tok.kind == tEOF {
				return nil, errAt(filterParam, t.pos, "", "missing ')' to close the '('")
			}
			return nil, errAt(filterParam, p.tok.pos, "close the '(' at position "+strconv.Itoa(t.pos)+" with ')', or join conditions with and, or",
				"unexpected %s", describe(p.tok))
		}
		p.depth--
		return e, p.advance()
	case tEOF:
		return nil, errAt(filterParam, t.pos, "", "the expression ends where a condition was expected")
	case tRParen:
		return nil, errAt(filterParam, t.pos, "", "unexpected ')' where a condition was expected")
	case tComma:
		return nil, errAt(filterParam, t.pos, "", "unexpected ',' where a condition was expected")
	case tIdent:
		if isOperator(t.text) {
			return nil, errAt(filterParam, t.pos, "", "unexpected %s where a condition was expected", describe(t))
		}
		next, err := p.peek()
		if err != nil {
			return nil, err
		}
		if next.kind == tLParen {
			return p.call()
		}
	}
	p.terms++
	if p.terms > MaxTerms {
		return nil, errAt(filterParam, t.pos, "", "more than %d conditions", MaxTerms)
	}
	return p.comparison()
}

// isOperator reports whether an identifier is an OData keyword that cannot
// start a condition.
func isOperator(s string) bool {
	if len(s) > 5 {
		return false
	}
	for _, kw := range operatorKeywords {
		if strings.EqualFold(s, kw) {
			return true
		}
	}
	return false
}

var operatorKeywords = []string{"and", "or", "eq", "ne", "gt", "ge", "lt", "le", "has", "in", "add", "sub", "mul", "div", "divby", "mod"}

// operand is one side of a comparison: a field or a literal token.
type operand struct {
	field *Field
	lit   token
}

func (p *parser) operand() (operand, error) {
	t := p.tok
	switch t.kind {
	case tIdent:
		switch strings.ToLower(t.text) {
		case "true", "false", "null":
			return operand{lit: t}, p.advance()
		}
		if isOperator(t.text) || strings.EqualFold(t.text, "not") {
			return operand{}, errAt(filterParam, t.pos, "", "unexpected %s where a field or value was expected", describe(t))
		}
		if f, ok := p.fields.Lookup(t.text); ok && f.Filter != 0 {
			return operand{field: f}, p.advance()
		}
		return operand{}, p.unknownField(t)
	case tString, tTyped, tNumber, tGUID, tDateTime:
		return operand{lit: t}, p.advance()
	case tEOF:
		return operand{}, errAt(filterParam, t.pos, "", "the expression ends where a field or value was expected")
	}
	return operand{}, errAt(filterParam, t.pos, "", "unexpected %s where a field or value was expected", describe(t))
}

func (p *parser) unknownField(t token) error {
	if f, ok := p.fields.Lookup(t.text); ok {
		return errAt(filterParam, t.pos, "filterable fields are "+p.filterable(), "field '%s' cannot be used in $filter", f.Name)
	}
	return errAt(filterParam, t.pos, "fields are "+p.filterable(), "unknown field %s", quote(t.text))
}

func (p *parser) filterable() string {
	return p.fields.names(func(f *Field) bool { return f.Filter != 0 })
}

// compareOp reads a comparison operator keyword, in any case.
func compareOp(t token) (Op, bool) {
	if t.kind != tIdent || len(t.text) != 2 {
		return 0, false
	}
	for i, name := range opNames[:6] {
		if strings.EqualFold(t.text, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

// flipped is the operator with its operands swapped: 5 lt x is x gt 5.
func flipped(op Op) Op {
	switch op {
	case Gt:
		return Lt
	case Lt:
		return Gt
	case Ge:
		return Le
	case Le:
		return Ge
	}
	return op
}

func (p *parser) comparison() (Expr, error) {
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	opTok := p.tok
	op, isCmp := compareOp(opTok)
	if !isCmp {
		// A boolean field alone is a condition: enabled means enabled eq
		// true.
		if left.field != nil && left.field.Type == Bool && left.field.Filter&Eq != 0 {
			return &Compare{Field: left.field.Name, Op: Eq, Value: Literal{Type: Bool, Bool: true}}, nil
		}
		what := "the value " + describe(left.lit)
		if left.field != nil {
			what = "'" + left.field.Name + "'"
		}
		if opTok.kind == tEOF {
			return nil, errAt(filterParam, opTok.pos, "", "the expression ends where an operator (%s) was expected after %s", operatorList, what)
		}
		if opTok.kind == tIdent && isOperator(opTok.text) {
			return nil, errAt(filterParam, opTok.pos, "operators are "+operatorList+", and, or, not", "operator %s is not supported", quote(opTok.text))
		}
		return nil, errAt(filterParam, opTok.pos, "", "expected an operator (%s) after %s, found %s", operatorList, what, describe(opTok))
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	right, err := p.operand()
	if err != nil {
		if left.field != nil && left.field.Type == Enum && p.tok.kind == tIdent {
			if v, ok := enumValue(left.field, p.tok.text); ok {
				return nil, errAt(filterParam, p.tok.pos, "write it as '"+v+"'", "enum values must be quoted")
			}
		}
		return nil, err
	}
	switch {
	case left.field != nil && right.field != nil:
		return nil, errAt(filterParam, opTok.pos, "compare a field with a value", "comparing two fields ('%s' and '%s') is not supported", left.field.Name, right.field.Name)
	case left.field == nil && right.field == nil:
		return nil, errAt(filterParam, left.lit.pos, "", "a comparison needs a field on one side")
	case left.field == nil:
		left, right, op = right, left, flipped(op)
	}
	f := left.field
	if f.Filter&op == 0 {
		return nil, errAt(filterParam, opTok.pos, "'"+f.Name+"' takes "+(f.Filter&Comparisons).String(),
			"operator '%s' is not supported for '%s'", op, f.Name)
	}
	v, err := coerce(f, right.lit)
	if err != nil {
		return nil, err
	}
	return &Compare{Field: f.Name, Op: op, Value: v}, nil
}
