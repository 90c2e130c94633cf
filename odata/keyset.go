package odata

import (
	"fmt"
	"reflect"
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
// When every key sorts the same way (always so for one field and its
// tie-break) it is a row-value comparison,
//
//	(name, id) > ($1, $2)        or < for descending
//
// which both engines run as an exact index seek: a range on (name, id), so
// even a page that starts inside a long run of equal names reads only the
// rows it returns. (The expanded form below seeks on name alone and filters
// the equal names one by one: with 7,000 equal names, 2.3 ms instead of
// 0.13 ms on SQLite and 9.5 ms instead of 0.23 ms on PostgreSQL.)
//
// With mixed directions no single range exists, and it is the expanded OR
// form over the runs R1 … Rn of keys sorting the same way,
//
//	R1 ≥ V1 AND (R1 > V1 OR (R1 = V1 AND R2 > V2) OR … OR (R1 = V1 AND … AND Rn > Vn))
//
// with > read as < for a descending run, and a run of several keys written
// as a row value. The leading R1 ≥ V1 (≤ when descending) is implied by the
// rest; it is there because planners turn it into an index range, so page
// 50 starts where page 49 stopped instead of scanning from the top. Each
// value is one parameter, used several times.
func KeysetAfter(order OrderBy, after []any, m Mapping, args *Args) string {
	if len(after) != len(order) || len(order) == 0 {
		panic(fmt.Sprintf("odata: keyset position has %d values for %d order keys", len(after), len(order)))
	}
	// runs[i] are the columns and placeholders of a run of keys sorting
	// the same way.
	type run struct {
		cols, ph []string
		desc     bool
	}
	cols := make([]string, len(order))
	ph := make([]string, len(order))
	runs := make([]run, 0, 2)
	for i, it := range order {
		cols[i] = m.column(it.Field)
		ph[i] = args.Add(mustNormalize(it, after[i]))
		if len(runs) == 0 || runs[len(runs)-1].desc != it.Desc {
			runs = append(runs, run{desc: it.Desc, cols: cols[i:i], ph: ph[i:i]})
		}
		r := &runs[len(runs)-1]
		r.cols, r.ph = r.cols[:len(r.cols)+1], r.ph[:len(r.ph)+1]
	}
	tuple := func(xs []string) string {
		if len(xs) == 1 {
			return xs[0]
		}
		return "(" + strings.Join(xs, ", ") + ")"
	}
	past := func(r run) string {
		if r.desc {
			return tuple(r.cols) + " < " + tuple(r.ph)
		}
		return tuple(r.cols) + " > " + tuple(r.ph)
	}
	if len(runs) == 1 {
		return past(runs[0])
	}
	var b strings.Builder
	b.WriteString("(" + tuple(runs[0].cols))
	if runs[0].desc {
		b.WriteString(" <= ")
	} else {
		b.WriteString(" >= ")
	}
	b.WriteString(tuple(runs[0].ph) + " AND (")
	for i := range runs {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		for _, r := range runs[:i] {
			b.WriteString(tuple(r.cols) + " = " + tuple(r.ph) + " AND ")
		}
		b.WriteString(past(runs[i]) + ")")
	}
	b.WriteString("))")
	return b.String()
}

// normalize converts a row's value of a field of type t into the form SQL
// binds and tokens carry: string, int64 (DateTime as unix microseconds) or
// bool. It takes named types (type ID string) by their kind, a time.Time
// for a DateTime and a fmt.Stringer (uuid.UUID) for a GUID.
func normalize(t Type, v any) (any, bool) {
	if s, ok := v.(fmt.Stringer); ok && t == GUID {
		return strings.ToLower(s.String()), true
	}
	if tm, ok := v.(time.Time); ok && t == DateTime {
		if tm.IsZero() {
			return int64(0), true // as tokend stores an unset time
		}
		return tm.UnixMicro(), true
	}
	rv := reflect.ValueOf(v)
	switch {
	case (t == String || t == Enum) && rv.Kind() == reflect.String:
		return rv.String(), true
	case t == GUID && rv.Kind() == reflect.String:
		return strings.ToLower(rv.String()), true
	case (t == Int || t == DateTime) && rv.CanInt():
		return rv.Int(), true
	case t == Bool && rv.Kind() == reflect.Bool:
		return rv.Bool(), true
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
