package resources

import "encoding/json"

// The generic lists read a few top-level members of every stored document
// and copy them into the page as they are. encoding/json would validate and
// decode each whole document first, which was half of a page's time: the
// documents are what providers wrote with json.Marshal, so a scan for the
// members' spans is enough, and a document it cannot follow is listed by
// what its row says.

// eachMember calls fn with the key (as written, without quotes) and the
// raw value of each member of the JSON object doc. It reports false, having
// stopped, when doc is not an object it can follow.
func eachMember(doc []byte, fn func(key, value []byte)) bool {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return false
	}
	if i = skipSpace(doc, i+1); i < len(doc) && doc[i] == '}' {
		return true
	}
	for i < len(doc) && doc[i] == '"' {
		end := endOfString(doc, i)
		if end < 0 {
			return false
		}
		key := doc[i+1 : end-1]
		if i = skipSpace(doc, end); i >= len(doc) || doc[i] != ':' {
			return false
		}
		if i = skipSpace(doc, i+1); i >= len(doc) {
			return false
		}
		valueEnd := endOfValue(doc, i)
		if valueEnd < 0 {
			return false
		}
		fn(key, doc[i:valueEnd])
		if i = skipSpace(doc, valueEnd); i >= len(doc) {
			return false
		}
		switch doc[i] {
		case '}':
			return true
		case ',':
			i = skipSpace(doc, i+1)
		default:
			return false
		}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// endOfString returns the index after the string opening at b[i], or -1.
func endOfString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// endOfValue returns the index after the value starting at b[i], or -1.
func endOfValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := endOfString(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default: // a number, true, false or null
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

// plainString returns the text of a raw JSON string without escapes, and
// false for anything else.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' {
			return "", false
		}
	}
	return string(raw[1 : len(raw)-1]), true
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s) // escapes, and replaces invalid UTF-8
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
