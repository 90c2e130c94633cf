package odata

import (
	"strconv"
	"strings"
)

// enumValue finds an Enum field's declared value, ignoring case.
func enumValue(f *Field, s string) (string, bool) {
	for _, v := range f.Values {
		if strings.EqualFold(v, s) {
			return v, true
		}
	}
	return "", false
}

// coerce turns a literal token into a value of the field's type.
func coerce(f *Field, t token) (Literal, error) {
	mismatch := func() error {
		return errAt(filterParam, t.pos, "write "+f.Type.example(),
			"'%s' is %s field and cannot be compared with %s", f.Name, f.Type.withArticle(), describe(t))
	}
	if t.kind == tIdent && strings.EqualFold(t.text, "null") {
		return Literal{}, errAt(filterParam, t.pos, "", "null is not supported: '%s' always has a value", f.Name)
	}
	switch f.Type {
	case String:
		if t.kind == tString {
			return Literal{Type: String, Str: t.text}, nil
		}
	case Enum:
		if t.kind == tString || t.kind == tTyped && strings.Contains(t.prefix, ".") {
			if v, ok := enumValue(f, t.text); ok {
				return Literal{Type: Enum, Str: v}, nil
			}
			return Literal{}, errAt(filterParam, t.pos, "values are "+strings.Join(f.Values, ", "),
				"%s is not a valid value of '%s'", quote(t.text), f.Name)
		}
	case Int:
		if t.kind == tNumber {
			n, err := strconv.ParseInt(t.text, 10, 64)
			if err == nil {
				return Literal{Type: Int, Int: n}, nil
			}
			if isInteger(t.text) {
				return Literal{}, errAt(filterParam, t.pos, "", "the number %s is out of range", quote(t.text))
			}
			return Literal{}, errAt(filterParam, t.pos, "write "+Int.example(), "invalid number %s", quote(t.text))
		}
	case Bool:
		if t.kind == tIdent {
			switch strings.ToLower(t.text) {
			case "true":
				return Literal{Type: Bool, Bool: true}, nil
			case "false":
				return Literal{Type: Bool}, nil
			}
		}
	case DateTime:
		if t.kind == tDateTime || t.kind == tString ||
			t.kind == tTyped && (strings.EqualFold(t.prefix, "datetime") || strings.EqualFold(t.prefix, "datetimeoffset")) {
			v, problem := dateTimeLiteral(t.text)
			if problem == "" {
				return v, nil
			}
			return Literal{}, errAt(filterParam, t.pos, problem, "invalid datetime %s", quote(t.text))
		}
	case GUID:
		if t.kind == tGUID || t.kind == tString || t.kind == tTyped && strings.EqualFold(t.prefix, "guid") {
			if isGUID(t.text) {
				return Literal{Type: GUID, Str: strings.ToLower(t.text)}, nil
			}
			return Literal{}, errAt(filterParam, t.pos, "write "+GUID.example(), "invalid GUID %s", quote(t.text))
		}
	}
	return Literal{}, mismatch()
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// describe names a token for an error message.
func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end"
	case tString:
		return "the string " + quote(t.text)
	case tNumber:
		return "the number " + quote(t.text)
	case tGUID:
		return "the GUID " + quote(t.text)
	case tDateTime:
		return "the datetime " + quote(t.text)
	case tTyped:
		return "the value " + quote(t.prefix+"'"+t.text+"'")
	}
	return quote(t.text)
}
