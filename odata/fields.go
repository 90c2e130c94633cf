package odata

import (
	"errors"
	"fmt"
	"strings"
)

// Type is the type of a field's values; it decides which literals a field
// may be compared with and how they are bound to SQL.
type Type uint8

const (
	// String is text, compared byte-wise (see the package doc on collation).
	String Type = iota + 1
	// Int is a 64-bit integer.
	Int
	// Bool is true or false.
	Bool
	// DateTime is an instant, stored as BIGINT unix microseconds UTC.
	DateTime
	// GUID is a UUID, stored as lower-case canonical text.
	GUID
	// Enum is text restricted to Field.Values.
	Enum
)

func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Int:
		return "integer"
	case Bool:
		return "boolean"
	case DateTime:
		return "datetime"
	case GUID:
		return "GUID"
	case Enum:
		return "enum"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// withArticle is "a string", "an integer", "an enum".
func (t Type) withArticle() string {
	if t == Int || t == Enum {
		return "an " + t.String()
	}
	return "a " + t.String()
}

// example is a literal of the type, for "write it like this" hints.
func (t Type) example() string {
	switch t {
	case String:
		return "a quoted string such as 'text'"
	case Int:
		return "a whole number such as 42"
	case Bool:
		return "true or false"
	case DateTime:
		return "a datetime such as 2026-11-01T00:00:00Z"
	case GUID:
		return "a GUID such as 01234567-89ab-cdef-0123-456789abcdef"
	}
	return "a quoted value"
}

// Op is one $filter operator or function, or (in Field.Filter) a set of
// them.
type Op uint16

// The operators and functions, each one bit.
const (
	Eq Op = 1 << iota
	Ne
	Gt
	Ge
	Lt
	Le
	StartsWith
	EndsWith
	Contains
	// SubstringOf is OData v3's substringof('text', field), which API
	// Management still accepts; it means contains(field, 'text').
	SubstringOf
)

// Common sets of operators for Field.Filter.
const (
	Equality    = Eq | Ne
	Comparisons = Eq | Ne | Gt | Ge | Lt | Le
	Substrings  = StartsWith | EndsWith | Contains | SubstringOf
)

var opNames = [...]string{"eq", "ne", "gt", "ge", "lt", "le", "startswith", "endswith", "contains", "substringof"}

// String is the OData spelling of a single operator, or the members of a
// set joined by commas.
func (o Op) String() string {
	var names []string
	for i, n := range opNames {
		if o&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// supported is every operator a type can meaningfully take.
func (t Type) supported() Op {
	switch t {
	case String:
		return Comparisons | Substrings
	case Int, DateTime, GUID:
		return Comparisons
	case Bool, Enum:
		return Equality
	}
	return 0
}

// Field declares one property of a listed resource as the client names it.
// A field in Fields is always allowed in $select; Filter and Sort open it to
// $filter and $orderby.
type Field struct {
	// Name is the property name. Clients may write it in any case.
	Name string
	Type Type
	// Values are an Enum's allowed values, in their canonical casing.
	// Clients may write them in any case; the parser canonicalizes.
	Values []string
	// Filter is the operators and functions allowed in $filter, a subset of
	// what Type supports; zero keeps the field out of $filter.
	Filter Op
	// Sort allows the field in $orderby.
	Sort bool
}

// Fields declares every property of a listed resource.
type Fields []Field

// Lookup finds a field by name, ignoring case.
func (fs Fields) Lookup(name string) (*Field, bool) {
	for i := range fs {
		if strings.EqualFold(fs[i].Name, name) {
			return &fs[i], true
		}
	}
	return nil, false
}

// names lists the fields keep accepts, for "fields are ..." hints.
func (fs Fields) names(keep func(*Field) bool) string {
	var b strings.Builder
	for i := range fs {
		if keep(&fs[i]) {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(fs[i].Name)
		}
	}
	return b.String()
}

// Validate reports declaration mistakes. Parsing trusts the declaration, so
// call this once in a test of the provider (it is cheap, but a wrong
// declaration is a programming error, not a client's).
func (fs Fields) Validate() error {
	var errs []error
	for i, f := range fs {
		if !isIdent(f.Name) {
			errs = append(errs, fmt.Errorf("field %d: name %q is not an identifier", i, f.Name))
		}
		for _, g := range fs[:i] {
			if strings.EqualFold(f.Name, g.Name) {
				errs = append(errs, fmt.Errorf("field %q: declared twice (names ignore case)", f.Name))
			}
		}
		if f.Type.supported() == 0 {
			errs = append(errs, fmt.Errorf("field %q: unknown type %v", f.Name, f.Type))
			continue
		}
		if extra := f.Filter &^ f.Type.supported(); extra != 0 {
			errs = append(errs, fmt.Errorf("field %q: %s field cannot take %v", f.Name, f.Type.withArticle(), extra))
		}
		if (f.Type == Enum) != (len(f.Values) > 0) {
			errs = append(errs, fmt.Errorf("field %q: Values are required for an Enum and only for an Enum", f.Name))
		}
		for j, v := range f.Values {
			if v == "" || invalidUTF8(v) != 0 {
				errs = append(errs, fmt.Errorf("field %q: empty or invalid enum value %q", f.Name, v))
			}
			for _, w := range f.Values[:j] {
				if strings.EqualFold(v, w) {
					errs = append(errs, fmt.Errorf("field %q: enum value %q declared twice (values ignore case)", f.Name, v))
				}
			}
		}
	}
	return errors.Join(errs...)
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
