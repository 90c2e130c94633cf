package odata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxOptionLength bounds $orderby and $select, in characters.
const MaxOptionLength = 1024

// OrderItem is one key of an order.
type OrderItem struct {
	// Field is the field's declared name.
	Field string
	Type  Type
	Desc  bool
}

// OrderBy is a sort order, most significant key first.
type OrderBy []OrderItem

// String renders the order as canonical $orderby text.
func (o OrderBy) String() string {
	var b strings.Builder
	for i, it := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(it.Field)
		if it.Desc {
			b.WriteString(" desc")
		}
	}
	return b.String()
}

// WithTieBreak makes the order total by appending the unique field key,
// unless the order already has it. The key sorts in the direction of the
// last key before it, so one index on (…, field, key) serves the whole
// order, scanned forwards or backwards.
func (o OrderBy) WithTieBreak(key Field) OrderBy {
	for _, it := range o {
		if it.Field == key.Name {
			return o
		}
	}
	desc := len(o) > 0 && o[len(o)-1].Desc
	return append(o[:len(o):len(o)], OrderItem{Field: key.Name, Type: key.Type, Desc: desc})
}

// item is one comma-separated element of $orderby or $select, trimmed.
type item struct {
	text string
	pos  int // 1-based character offset of text
}

// splitItems splits s at commas, trimming spaces, with positions. An item
// that is empty after trimming is kept, for the caller to reject.
func splitItems(s string) []item {
	var items []item
	pos := 1
	for {
		part, rest, more := strings.Cut(s, ",")
		trimmed := strings.TrimLeft(part, " \t")
		items = append(items, item{
			text: strings.TrimRight(trimmed, " \t"),
			pos:  pos + len(part) - len(trimmed), // spaces are one byte
		})
		pos += utf8.RuneCountInString(part) + 1
		if !more {
			return items
		}
		s = rest
	}
}

func checkOption(param, s string) error {
	if pos := invalidUTF8(s); pos != 0 {
		return errAt(param, pos, "", "invalid UTF-8")
	}
	if utf8.RuneCountInString(s) > MaxOptionLength {
		return errAt(param, MaxOptionLength+1, "", "longer than %d characters", MaxOptionLength)
	}
	return nil
}

// ParseOrderBy parses "$orderby=field [asc|desc], ...". An empty value is
// a nil OrderBy. The result has no tie-break yet; see WithTieBreak.
func ParseOrderBy(s string, fields Fields) (OrderBy, error) {
	const param = "$orderby"
	if err := checkOption(param, s); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	sortable := func() string { return "sortable fields are " + fields.names(func(f *Field) bool { return f.Sort }) }
	var order OrderBy
	for _, it := range splitItems(s) {
		if it.text == "" {
			return nil, errAt(param, it.pos, "separate fields with single commas", "empty item")
		}
		name, dir := it.text, ""
		if i := strings.IndexAny(name, " \t"); i >= 0 {
			name, dir = name[:i], strings.TrimLeft(name[i:], " \t")
		}
		f, ok := fields.Lookup(name)
		switch {
		case !ok:
			return nil, errAt(param, it.pos, sortable(), "unknown field %s", quote(name))
		case !f.Sort:
			return nil, errAt(param, it.pos, sortable(), "field '%s' cannot be used in $orderby", f.Name)
		}
		o := OrderItem{Field: f.Name, Type: f.Type}
		switch strings.ToLower(dir) {
		case "", "asc":
		case "desc":
			o.Desc = true
		default:
			return nil, errAt(param, it.pos+utf8.RuneCountInString(it.text)-utf8.RuneCountInString(dir), "",
				"expected asc or desc after '%s', found %s", f.Name, quote(dir))
		}
		for _, prev := range order {
			if prev.Field == o.Field {
				return nil, errAt(param, it.pos, "", "field '%s' is listed twice", f.Name)
			}
		}
		order = append(order, o)
	}
	return order, nil
}

// ParseSelect parses "$select=field, ...": the declared names of the
// fields to return, without duplicates. Empty or "*" is nil: every field.
func ParseSelect(s string, fields Fields) ([]string, error) {
	const param = "$select"
	if err := checkOption(param, s); err != nil {
		return nil, err
	}
	if t := strings.TrimSpace(s); t == "" || t == "*" {
		return nil, nil
	}
	var names []string
	for _, it := range splitItems(s) {
		if it.text == "" {
			return nil, errAt(param, it.pos, "separate fields with single commas", "empty item")
		}
		f, ok := fields.Lookup(it.text)
		if !ok {
			return nil, errAt(param, it.pos, "fields are "+fields.names(func(*Field) bool { return true }), "unknown field %s", quote(it.text))
		}
		dup := false
		for _, n := range names {
			dup = dup || n == f.Name
		}
		if !dup {
			names = append(names, f.Name)
		}
	}
	return names, nil
}

// ParseTop parses $top: a whole number from 0 to 2147483647 (OData's
// int32). "" is -1: no limit.
func ParseTop(s string) (int, error) { return parseCount("$top", s) }

// ParseSkip parses $skip: a whole number from 0 to 2147483647. "" is 0.
func ParseSkip(s string) (int, error) {
	n, err := parseCount("$skip", s)
	return max(n, 0), err
}

func parseCount(param, s string) (int, error) {
	if s == "" {
		return -1, nil
	}
	hint := "use a whole number from 0 to " + strconv.Itoa(math.MaxInt32)
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, errAt(param, utf8.RuneCountInString(s[:i])+1, hint, "invalid number %s", quote(s))
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, errAt(param, 1, hint, "the number %s is too large", quote(s))
	}
	return int(n), nil
}
