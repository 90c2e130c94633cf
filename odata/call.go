package odata

import "strings"

// callUsage is how to write each function, for hints.
var callUsage = map[Op]string{
	StartsWith:  "startswith(name,'text')",
	EndsWith:    "endswith(name,'text')",
	Contains:    "contains(name,'text')",
	SubstringOf: "substringof('text',name)",
}

// call parses name(args) [eq|ne true|false].
func (p *parser) call() (Expr, error) {
	name := p.tok
	var op Op
	for i, fn := range opNames[6:] {
		if strings.EqualFold(name.text, fn) {
			op = StartsWith << i
		}
	}
	if op == 0 {
		return nil, errAt(filterParam, name.pos, functionList, "unknown function %s", quote(name.text))
	}
	p.terms++
	if p.terms > MaxTerms {
		return nil, errAt(filterParam, name.pos, "", "more than %d conditions", MaxTerms)
	}
	usage := callUsage[op]
	if err := p.advance(); err != nil { // name
		return nil, err
	}
	open := p.tok
	if err := p.advance(); err != nil { // (
		return nil, err
	}
	var args [2]operand
	var argPos [2]int
	n := 0
	for {
		if n == 2 {
			if p.tok.kind == tRParen {
				break
			}
			if p.tok.kind == tEOF {
				return nil, errAt(filterParam, open.pos, "", "missing ')' to close the '(' of %s", op)
			}
			return nil, errAt(filterParam, p.tok.pos, "write "+usage, "%s takes 2 arguments", op)
		}
		if p.tok.kind == tRParen {
			return nil, errAt(filterParam, p.tok.pos, "write "+usage, "%s takes 2 arguments", op)
		}
		argPos[n] = p.tok.pos
		a, err := p.operand()
		if err != nil {
			return nil, err
		}
		args[n] = a
		n++
		if n == 1 {
			if p.tok.kind != tComma {
				if p.tok.kind == tRParen {
					return nil, errAt(filterParam, p.tok.pos, "write "+usage, "%s takes 2 arguments", op)
				}
				if p.tok.kind == tEOF {
					return nil, errAt(filterParam, open.pos, "", "missing ')' to close the '(' of %s", op)
				}
				return nil, errAt(filterParam, p.tok.pos, "write "+usage, "expected ',' between the arguments of %s, found %s", op, describe(p.tok))
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	fieldArg, textArg := 0, 1
	if op == SubstringOf {
		fieldArg, textArg = 1, 0
	}
	f := args[fieldArg].field
	if f == nil || args[textArg].field != nil {
		return nil, errAt(filterParam, argPos[fieldArg], "write "+usage, "%s takes a field and a string", op)
	}
	if f.Filter&op == 0 {
		takes := f.Filter
		if takes&Substrings != 0 {
			takes &= Substrings
		}
		return nil, errAt(filterParam, name.pos, "'"+f.Name+"' takes "+takes.String(), "%s is not supported for '%s'", op, f.Name)
	}
	text := args[textArg].lit
	if text.kind != tString {
		return nil, errAt(filterParam, text.pos, "write "+usage, "the text argument of %s must be a quoted string, not %s", op, describe(text))
	}
	if err := p.advance(); err != nil { // )
		return nil, err
	}
	var e Expr = &Call{Op: op, Field: f.Name, Arg: text.text}
	// startswith(name,'a') eq true, as some clients write it.
	if p.keyword("eq") || p.keyword("ne") {
		negate := p.keyword("ne")
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch {
		case p.keyword("true"):
		case p.keyword("false"):
			negate = !negate
		default:
			return nil, errAt(filterParam, p.tok.pos, "", "%s can only be compared with true or false", op)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if negate {
			e = &Not{e}
		}
	}
	return e, nil
}
