package odata

import (
	"strconv"
	"strings"
	"time"
)

// maxFraction is OData's limit on fractional-second digits.
const maxFraction = 12

// The instants a DateTime literal may denote: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z (plus any fraction of that last second).
var (
	minMicros = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	maxMicros = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMicro()
)

// parseDateTime reads an OData dateTimeOffset,
// YYYY-MM-DDThh:mm[:ss[.fffffffff]](Z|±hh:mm), as unix microseconds rounded
// down plus whether a non-zero remainder below a microsecond was dropped.
// Years are 0001–9999. On failure it says what is wrong.
func parseDateTime(s string) (micros int64, subMicro bool, problem string) {
	const form = "expected YYYY-MM-DDThh:mm:ssZ"
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if !isDigit(c) {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false, form
	}
	if len(s) == 10 {
		return 0, false, "a date alone is not a datetime; add a time, as in " + s + "T00:00:00Z"
	}
	if s[10] != 'T' && s[10] != 't' {
		return 0, false, form
	}
	hour, ok1 := num(11, 2)
	minute, ok2 := num(14, 2)
	if !ok1 || !ok2 || len(s) < 16 || s[13] != ':' {
		return 0, false, form
	}
	i, sec, frac := 16, 0, ""
	if i < len(s) && s[i] == ':' {
		v, ok := num(i+1, 2)
		if !ok {
			return 0, false, form
		}
		sec, i = v, i+3
		if i < len(s) && s[i] == '.' {
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			frac = s[i+1 : j]
			if frac == "" || len(frac) > maxFraction {
				return 0, false, "fractional seconds need 1 to 12 digits"
			}
			i = j
		}
	}
	offset := 0
	switch {
	case i < len(s) && (s[i] == 'Z' || s[i] == 'z'):
		i++
	case i < len(s) && (s[i] == '+' || s[i] == '-'):
		oh, ok1 := num(i+1, 2)
		om, ok2 := num(i+4, 2)
		if !ok1 || !ok2 || i+3 >= len(s) || s[i+3] != ':' || oh > 23 || om > 59 {
			return 0, false, "a time zone offset is Z or ±hh:mm"
		}
		offset = oh*3600 + om*60
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, false, "a datetime needs a time zone: end it with Z (UTC) or ±hh:mm (in a URL, write + as %2B)"
	}
	if i != len(s) {
		return 0, false, form
	}
	switch {
	case year < 1:
		return 0, false, "the year must be 0001 to 9999"
	case month < 1 || month > 12:
		return 0, false, "the month must be 01 to 12"
	case hour > 23:
		return 0, false, "the hour must be 00 to 23"
	case minute > 59:
		return 0, false, "the minute must be 00 to 59"
	case sec > 59:
		return 0, false, "the second must be 00 to 59"
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day || day < 1 {
		return 0, false, "that month has no day " + s[8:10]
	}
	micros = (t.Unix() - int64(offset)) * 1_000_000
	// The offset may carry the instant out of the years 0001–9999, where
	// the canonical form (in UTC) could not write it.
	if micros < minMicros || micros > maxMicros {
		return 0, false, "in UTC it falls outside the years 0001 to 9999"
	}
	frac += "000000"
	us, _ := strconv.Atoi(frac[:6])
	return micros + int64(us), strings.Trim(frac[6:], "0") != "", ""
}

// dateTimeLiteral is a literal for a DateTime field, or why it is not one.
func dateTimeLiteral(s string) (Literal, string) {
	us, sub, problem := parseDateTime(s)
	if problem != "" {
		return Literal{}, problem
	}
	return Literal{Type: DateTime, Int: us, SubMicro: sub}, ""
}
