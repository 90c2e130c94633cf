package odata

import (
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tComma
	// tIdent is a field name, keyword or function name; may be qualified
	// (a.b) or a path (a/b), which no field matches.
	tIdent
	// tString is a quoted string; text is the unescaped content.
	tString
	// tTyped is prefix'content' (datetime'…', guid'…', Ns.Enum'…'); text
	// is the unescaped content.
	tTyped
	// tNumber is an optionally signed run of digits, possibly with a
	// fraction or exponent (rejected by the parser with a clear message).
	tNumber
	// tGUID is an unquoted GUID.
	tGUID
	// tDateTime is an unquoted run starting like a date (dddd-); its
	// validity is checked where its meaning is known.
	tDateTime
)

type token struct {
	kind   tokKind
	text   string
	prefix string // tTyped only
	pos    int    // 1-based character offset of the first character
}

// lexer turns a filter into tokens on demand, so the first error reported
// is the leftmost one.
type lexer struct {
	src  string
	i    int // byte offset
	pos  int // 1-based character offset of src[i]
	char int // characters in src, for the end position
}

func newLexer(src string) *lexer {
	return &lexer{src: src, pos: 1, char: utf8.RuneCountInString(src)}
}

func (l *lexer) endPos() int { return l.char + 1 }

// advance moves over n bytes, which must end on a character boundary.
func (l *lexer) advance(n int) {
	l.pos += utf8.RuneCountInString(l.src[l.i : l.i+n])
	l.i += n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}
func isIdentChar(c byte) bool { return isLetter(c) || isDigit(c) }

// isLiteralChar is what a run of an unquoted number, GUID or datetime may
// hold.
func isLiteralChar(c byte) bool {
	return isIdentChar(c) || c == '-' || c == ':' || c == '.' || c == '+'
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// isGUID reports whether s is 8-4-4-4-12 hex digits.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// guidAt reports whether an unquoted GUID starts at src[i]: one that is not
// the beginning of a longer word.
func guidAt(src string, i int) bool {
	return i+36 <= len(src) && isGUID(src[i:i+36]) && (i+36 == len(src) || !isLiteralChar(src[i+36]))
}

// next returns the next token, or an *Error for text that is no token.
func (l *lexer) next() (token, error) {
	for l.i < len(l.src) && isSpace(l.src[l.i]) {
		l.advance(1)
	}
	if l.i == len(l.src) {
		return token{kind: tEOF, pos: l.pos}, nil
	}
	start, pos := l.i, l.pos
	c := l.src[l.i]
	switch {
	case c == '(':
		l.advance(1)
		return token{kind: tLParen, text: "(", pos: pos}, nil
	case c == ')':
		l.advance(1)
		return token{kind: tRParen, text: ")", pos: pos}, nil
	case c == ',':
		l.advance(1)
		return token{kind: tComma, text: ",", pos: pos}, nil
	case c == '\'':
		s, err := l.quoted()
		return token{kind: tString, text: s, pos: pos}, err
	case guidAt(l.src, l.i):
		l.advance(36)
		return token{kind: tGUID, text: l.src[start:l.i], pos: pos}, nil
	case isLetter(c):
		for l.i < len(l.src) && (isIdentChar(l.src[l.i]) || l.src[l.i] == '.' || l.src[l.i] == '/') {
			l.advance(1)
		}
		word := l.src[start:l.i]
		// A quote right after a keyword (name eq'x') starts a string, not
		// a typed literal eq'x'.
		if l.i < len(l.src) && l.src[l.i] == '\'' && !isOperator(word) && !strings.EqualFold(word, "not") {
			s, err := l.quoted()
			return token{kind: tTyped, prefix: word, text: s, pos: pos}, err
		}
		return token{kind: tIdent, text: word, pos: pos}, nil
	case isDigit(c) || c == '-' && l.i+1 < len(l.src) && isDigit(l.src[l.i+1]):
		l.advance(1)
		for l.i < len(l.src) && isLiteralChar(l.src[l.i]) {
			l.advance(1)
		}
		word := l.src[start:l.i]
		if isDatePrefix(word) {
			return token{kind: tDateTime, text: word, pos: pos}, nil
		}
		return token{kind: tNumber, text: word, pos: pos}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.i:])
	return token{}, l.badChar(r, pos)
}

func isDatePrefix(s string) bool {
	return len(s) >= 5 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) && s[4] == '-'
}

// badChar explains a character that starts no token, with the OData
// spelling of what the client probably meant.
func (l *lexer) badChar(r rune, pos int) *Error {
	hint := ""
	switch r {
	case '=', '!', '<', '>':
		hint = "compare with eq, ne, gt, ge, lt or le, as in name eq 'x'"
	case '"':
		hint = "quote strings with single quotes, as in 'text'"
	case '&', '|':
		hint = "join conditions with and, or"
	case '+':
		hint = "a '+' in a URL means a space; write %2B for a plus sign"
	}
	return errAt("$filter", pos, hint, "unexpected character %s", quote(string(r)))
}

// quoted reads a single-quoted string at l.i, where ” stands for one
// quote.
func (l *lexer) quoted() (string, error) {
	open := l.pos
	l.advance(1)
	var b strings.Builder
	for {
		j := strings.IndexByte(l.src[l.i:], '\'')
		if j < 0 {
			if k := strings.IndexByte(l.src[l.i:], 0); k >= 0 {
				l.advance(k)
				return "", errAt("$filter", l.pos, "", "NUL characters are not allowed in strings")
			}
			l.advance(len(l.src) - l.i)
			return "", errAt("$filter", open, "end it with ' (write '' for a quote inside a string)",
				"unterminated string starting")
		}
		if k := strings.IndexByte(l.src[l.i:l.i+j], 0); k >= 0 {
			l.advance(k)
			return "", errAt("$filter", l.pos, "", "NUL characters are not allowed in strings")
		}
		b.WriteString(l.src[l.i : l.i+j])
		l.advance(j + 1)
		if l.i < len(l.src) && l.src[l.i] == '\'' {
			b.WriteByte('\'')
			l.advance(1)
			continue
		}
		return b.String(), nil
	}
}
