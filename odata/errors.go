package odata

import (
	"fmt"
	"unicode/utf8"
)

// Error is a query option the client got wrong. Every parse and token
// failure is one, so a handler can answer 400 in its own envelope, naming
// Param as the target and returning Message verbatim:
//
//	var qe *odata.Error
//	if errors.As(err, &qe) {
//		return nil, arm.BadRequest("InvalidQueryParameterValue", qe.Param, qe.Message)
//	}
type Error struct {
	// Param is the query option at fault: "$filter", "$orderby", "$select",
	// "$top", "$skip" or "$skipToken".
	Param string
	// Position is the 1-based character (not byte) offset of the problem in
	// the option's value, len+1 for "ended too early", and 0 when the whole
	// value is at fault (a continuation token, a repeated option, a $top
	// below Schema.MinTop).
	Position int
	// Message is the whole sentence for the client, starting with Param and
	// naming the position and what would be accepted instead.
	Message string
}

func (e *Error) Error() string { return e.Message }

// errAt builds an Error whose message reads "<param>: <what> at position
// <pos>[; <hint>]".
func errAt(param string, pos int, hint string, format string, args ...any) *Error {
	msg := param + ": " + fmt.Sprintf(format, args...)
	if pos > 0 {
		msg += fmt.Sprintf(" at position %d", pos)
	}
	if hint != "" {
		msg += "; " + hint
	}
	return &Error{Param: param, Position: pos, Message: msg}
}

// maxEcho bounds how much of the client's own text an error repeats.
const maxEcho = 40

// quote renders client text for an error message: single-quoted and cut
// short, so a hostile 4 KiB literal does not come back in full.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxEcho {
		n := 0
		for i := range s {
			if n == maxEcho {
				s = s[:i] + "…"
				break
			}
			n++
		}
	}
	return "'" + s + "'"
}

// invalidUTF8 returns the 1-based character position of the first byte of
// s that is not valid UTF-8, or 0. PostgreSQL rejects such text outright, so
// it must never reach a query.
func invalidUTF8(s string) int {
	pos := 1
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return pos
		}
		i += n
		pos++
	}
	return 0
}
