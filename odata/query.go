package odata

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Schema is one list API's query options: its fields, unique key and
// limits. Declare it once per API, as a package variable.
type Schema struct {
	Fields Fields
	// Key is the name of a unique field, such as "id": the last key of
	// every order, and so of every keyset position. It needs a column.
	Key string
	// DefaultOrder applies when the request has no $orderby (Field and
	// Desc are enough; types are filled in). Empty: Key ascending.
	DefaultOrder OrderBy
	// MinTop is the smallest $top accepted (API Management's is 1).
	MinTop int
	// TokenKey authenticates $skipToken (see Token.Encode); nil makes the
	// MAC a checksum.
	TokenKey []byte
}

// Validate reports mistakes in the schema and in m, the mapping it will be
// translated with. Call it from a test of the provider.
func (s *Schema) Validate(m Mapping) error {
	errs := []error{s.Fields.Validate()}
	if m.Dialect != SQLite && m.Dialect != PostgreSQL {
		errs = append(errs, errors.New("mapping: no Dialect"))
	}
	key, ok := s.Fields.Lookup(s.Key)
	if !ok || key.Name != s.Key {
		errs = append(errs, fmt.Errorf("key %q is not a declared field", s.Key))
	} else if _, ok := m.Columns[key.Name]; !ok {
		errs = append(errs, fmt.Errorf("key %q has no column", s.Key))
	}
	for _, it := range s.DefaultOrder {
		if f, ok := s.Fields.Lookup(it.Field); !ok || f.Name != it.Field || !f.Sort {
			errs = append(errs, fmt.Errorf("default order: %q is not a sortable field", it.Field))
		}
	}
	for _, f := range s.Fields {
		_, col := m.Columns[f.Name]
		_, comp := m.Computed[f.Name]
		switch {
		case col && comp:
			errs = append(errs, fmt.Errorf("field %q has both a column and a translator", f.Name))
		case f.Sort && !col:
			errs = append(errs, fmt.Errorf("sortable field %q has no column", f.Name))
		case f.Filter != 0 && !col && !comp:
			errs = append(errs, fmt.Errorf("filterable field %q has no column or translator", f.Name))
		}
	}
	return errors.Join(errs...)
}

// Query is a parsed list request: the first page's, or a later page's with
// the position from its $skipToken.
type Query struct {
	// Filter is nil when every row is listed.
	Filter Expr
	// OrderBy is the requested (or default) order, with the tie-break on
	// the schema's Key.
	OrderBy OrderBy
	// Select is the fields to return; nil means all.
	Select []string
	// Top is how many rows this and the later pages may serve in all; -1
	// is no limit. On later pages it comes from the token, not $top.
	Top int
	// Skip is how many rows to skip first: $skip on the first page, 0 on
	// later ones (the position already accounts for it).
	Skip int
	// Now is the time computed fields are evaluated at: the request's
	// clock on the first page, the first page's on later ones.
	Now time.Time
	// After is the position from $skipToken; nil on the first page.
	After []any

	fingerprint uint64
	key         []byte
}

// Parse reads $filter, $orderby, $select, $top, $skip and $skipToken from
// a request's query (option names in any case) at time now. Other
// parameters, such as api-version, are left alone. Every failure is an
// *Error.
//
// A nextLink keeps every parameter of the first request and adds
// $skipToken; on such a request $top and $skip are ignored (the token
// carries what is left of $top, and the position is already past $skip).
func (s *Schema) Parse(values url.Values, now time.Time) (*Query, error) {
	opts, err := options(values)
	if err != nil {
		return nil, err
	}
	q := &Query{Now: now.UTC().Truncate(time.Microsecond), key: s.TokenKey}
	if q.Filter, err = ParseFilter(opts["$filter"], s.Fields); err != nil {
		return nil, err
	}
	order, err := ParseOrderBy(opts["$orderby"], s.Fields)
	if err != nil {
		return nil, err
	}
	if order == nil {
		for _, it := range s.DefaultOrder {
			if f, ok := s.Fields.Lookup(it.Field); ok {
				order = append(order, OrderItem{Field: f.Name, Type: f.Type, Desc: it.Desc})
			}
		}
	}
	key, ok := s.Fields.Lookup(s.Key)
	if !ok {
		panic(fmt.Sprintf("odata: schema key %q is not a field", s.Key))
	}
	q.OrderBy = order.WithTieBreak(*key)
	if q.Select, err = ParseSelect(opts["$select"], s.Fields); err != nil {
		return nil, err
	}
	if q.Top, err = ParseTop(opts["$top"]); err != nil {
		return nil, err
	}
	if q.Top >= 0 && q.Top < s.MinTop {
		return nil, errAt("$top", 0, "", "must be at least %d, not %d", s.MinTop, q.Top)
	}
	if q.Skip, err = ParseSkip(opts["$skip"]); err != nil {
		return nil, err
	}
	q.fingerprint = Fingerprint(q.Filter, q.OrderBy)
	if raw := opts[tokenParam]; raw != "" {
		t, err := DecodeToken(raw, s.TokenKey, q.OrderBy)
		if err != nil {
			return nil, err
		}
		if t.Fingerprint != q.fingerprint {
			return nil, &Error{Param: tokenParam, Message: tokenParam +
				": the continuation token belongs to a different $filter or $orderby; keep the query of the first page, or list again without " + tokenParam}
		}
		q.After, q.Top, q.Skip, q.Now = t.After, t.Remaining, 0, time.UnixMicro(t.Now).UTC()
	}
	return q, nil
}

var optionNames = []string{"$filter", "$orderby", "$select", "$top", "$skip", tokenParam}

// options picks the OData options out of a query, by canonical name.
func options(values url.Values) (map[string]string, error) {
	opts := make(map[string]string, len(optionNames))
	for k, vs := range values {
		if !strings.HasPrefix(k, "$") || len(vs) == 0 {
			continue
		}
		for _, name := range optionNames {
			if !strings.EqualFold(k, name) {
				continue
			}
			if _, dup := opts[name]; dup || len(vs) > 1 {
				return nil, &Error{Param: name, Message: name + ": given more than once; give it once"}
			}
			opts[name] = vs[0]
		}
	}
	return opts, nil
}

// Page is the SQL for one page of a listing, to be placed into the
// provider's own statement:
//
//	SELECT … FROM t WHERE account_id = $1 AND <Where> ORDER BY <OrderBy> LIMIT <Limit> OFFSET <Offset>
//
// (Suffix writes the part from ORDER BY on).
type Page struct {
	// Where is the filter and the keyset position as one boolean
	// expression ("1=1" when there are neither), safe to join with AND.
	Where string
	// OrderBy is the ORDER BY list.
	OrderBy string
	// Limit is how many rows to fetch: Size, plus one when there may be
	// more, to learn whether a next page exists without another query.
	Limit int
	// Offset is $skip on the first page, 0 after.
	Offset int
	// Size is the most rows to serve on this page.
	Size int
}

// Suffix is "ORDER BY … LIMIT n[ OFFSET m]".
func (p Page) Suffix() string {
	s := "ORDER BY " + p.OrderBy + " LIMIT " + strconv.Itoa(p.Limit)
	if p.Offset > 0 {
		s += " OFFSET " + strconv.Itoa(p.Offset)
	}
	return s
}

// Served is how many of the fetched rows to serve: the first Served.
func (p Page) Served(fetched int) int { return min(fetched, p.Size) }

// Page plans the next page of at most pageSize rows, adding its values to
// args.
func (q *Query) Page(m Mapping, args *Args, pageSize int) Page {
	size := max(pageSize, 1)
	limit := size + 1
	if q.Top >= 0 && q.Top <= size {
		size, limit = q.Top, q.Top // $top ends the listing on this page
	}
	where := ToSQL(q.Filter, m, args)
	if q.After != nil {
		keyset := KeysetAfter(q.OrderBy, q.After, m, args)
		if q.Filter == nil {
			where = keyset
		} else {
			where += " AND " + keyset
		}
	}
	return Page{Where: where, OrderBy: OrderSQL(q.OrderBy, m), Limit: limit, Offset: q.Skip, Size: size}
}

// Next is the $skipToken of the page after p, or "" when p is the last.
// fetched is how many rows p's statement returned; last gives a field's
// value in the last row served (row Served(fetched)-1), for each key of
// the order: string, int64 or bool, a time.Time for a DateTime, a
// fmt.Stringer (uuid.UUID) for a GUID. A value of the wrong type panics.
func (q *Query) Next(p Page, fetched int, last func(field string) any) string {
	if fetched <= p.Size {
		return ""
	}
	t := Token{Fingerprint: q.fingerprint, Now: q.Now.UnixMicro(), Remaining: -1, After: make([]any, len(q.OrderBy))}
	if q.Top >= 0 {
		t.Remaining = q.Top - p.Size
	}
	for i, it := range q.OrderBy {
		t.After[i] = mustNormalize(it, last(it.Field))
	}
	return t.Encode(q.key)
}
