package odata

import (
	"fmt"
	"strings"
	"time"
)

// OrderSQL is the ORDER BY list for order, as "col ASC, col2 DESC" (without
// the keywords ORDER BY). Give it an order WithTieBreak so that it is total.
func OrderSQL(order OrderBy, m Mapping) string {
	var b strings.Builder
	for i, it := range order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.column(it.Field))
		if it.Desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
	}
	return b.String()
}

// KeysetAfter is the condition selecting the rows strictly after position
// after in a total order (one ending in a unique field, see WithTieBreak).
// after holds one value per key of order, as Token.After does; values are
// converted as in Query.Next, and a value of the wrong type panics.
//
// For keys k1 … kn with directions it is the expanded OR form
//
//	k1 ≥ v1 AND (k1 > v1 OR (k1 = v1 AND k2 > v2) OR … OR (k1 = v1 AND … AND kn > vn))
//
// with > read as < for a descending key. The leading k1 ≥ v1 (≤ when
// descending) is implied by the rest; it is there because planners turn it
// into an index range, so page 50 starts where page 49 stopped instead of
// scanning from the top. Each value is one parameter, used several times.
func KeysetAfter(order OrderBy, after []any, m Mapping, args *Args) string {
	if len(after) != len(order) || len(order) == 0 {
		panic(fmt.Sprintf("odata: keyset position has %d values for %d order keys", len(after), len(order)))
	}
	cols := make([]string, len(order))
	ph := make([]string, len(order))
	for i, it := range order {
		cols[i] = m.column(it.Field)
		ph[i] = args.Add(mustNormalize(it, after[i]))
	}
	past := func(i int) string {
		if order[i].Desc {
			return " < "
		}
		return " > "
	}
	if len(order) == 1 {
		return cols[0] + past(0) + ph[0]
	}
	var b strings.Builder
	b.WriteString("(" + cols[0])
	if order[0].Desc {
		b.WriteString(" <= ")
	} else {
		b.WriteString(" >= ")
	}
	b.WriteString(ph[0] + " AND (")
	for i := range order {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		for j := range i {
			b.WriteString(cols[j] + " = " + ph[j] + " AND ")
		}
		b.WriteString(cols[i] + past(i) + ph[i] + ")")
	}
	b.WriteString("))")
	return b.String()
}

// normalize converts a row's value of a field of type t into the form SQL
// binds and tokens carry: string, int64 (DateTime as unix microseconds) or
// bool.
func normalize(t Type, v any) (any, bool) {
	switch t {
	case String, Enum:
		s, ok := v.(string)
		return s, ok
	case GUID:
		switch v := v.(type) {
		case string:
			return strings.ToLower(v), true
		case fmt.Stringer: // uuid.UUID
			return strings.ToLower(v.String()), true
		}
	case Bool:
		b, ok := v.(bool)
		return b, ok
	case DateTime:
		switch v := v.(type) {
		case time.Time:
			if v.IsZero() {
				return int64(0), true // as tokend stores an unset time
			}
			return v.UnixMicro(), true
		case int64:
			return v, true
		}
	case Int:
		switch v := v.(type) {
		case int:
			return int64(v), true
		case int64:
			return v, true
		case int32:
			return int64(v), true
		}
	}
	return nil, false
}

func mustNormalize(it OrderItem, v any) any {
	n, ok := normalize(it.Type, v)
	if !ok {
		panic(fmt.Sprintf("odata: value %#v (%T) for %v field %q", v, v, it.Type, it.Field))
	}
	return n
}
