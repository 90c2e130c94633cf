package playwright

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/odata"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// The List operation takes OData query options: $filter, $orderby, $select,
// $top (items across all pages) and $skip, with pages of 10 (the contract's
// default) and an absolute nextLink that keeps the query and adds
// $skipToken, an opaque keyset position. Filtering, ordering and paging run
// in the database (see tokend.AccessTokenQuery); a nextLink page costs what
// the first page does, however deep.

const defaultPageSize = 10

// accessTokenFields declares the fields of the list's query options.
// state is computed: 'Active' means expiryAt is after the query's instant.
var accessTokenFields = odata.Fields{
	{Name: string(tokend.AccessTokenID), Type: odata.String, Filter: odata.Comparisons | odata.StartsWith | odata.EndsWith | odata.Contains, Sort: true},
	{Name: string(tokend.AccessTokenName), Type: odata.String, Filter: odata.Comparisons | odata.StartsWith | odata.EndsWith | odata.Contains, Sort: true},
	{Name: string(tokend.AccessTokenCreatedAt), Type: odata.DateTime, Filter: odata.Comparisons, Sort: true},
	{Name: string(tokend.AccessTokenExpiryAt), Type: odata.DateTime, Filter: odata.Comparisons, Sort: true},
	{Name: string(tokend.AccessTokenState), Type: odata.Enum, Values: []string{stateActive, stateExpired}, Filter: odata.Equality, Sort: true},
}

// listOptions are a List request's parsed query options.
type listOptions struct {
	filter odata.Expr
	order  odata.OrderBy
	sel    []string
	top    int // -1: none
	skip   int
	token  string // $skipToken, decoded against the account (continuationOf)
}

// queryOptionNames maps each OData system query option the List accepts,
// by its lower-case name, to its canonical spelling.
var queryOptionNames = map[string]string{
	"$filter": "$filter", "$orderby": "$orderby", "$select": "$select",
	"$top": "$top", "$skip": "$skip", "$skiptoken": wire.SkipTokenParam,
}

// parseListOptions reads the query options. Option names are matched
// without regard to case; an unknown or repeated $-option is an error,
// since silently ignoring it would answer a different question.
func parseListOptions(q url.Values) (*listOptions, error) {
	raw := map[string]string{}
	for k, vs := range q {
		if !strings.HasPrefix(k, "$") {
			continue
		}
		name, ok := queryOptionNames[strings.ToLower(k)]
		if !ok {
			return nil, wire.BadRequest("InvalidQueryParameter", k, "The query option '"+k+
				"' is not supported; the options are $filter, $orderby, $select, $top and $skip.")
		}
		if _, dup := raw[name]; dup || len(vs) > 1 {
			return nil, wire.BadRequest("InvalidQueryParameter", name, "The query option '"+name+"' is given more than once.")
		}
		raw[name] = vs[0]
	}
	o := &listOptions{}
	var err error
	if o.filter, err = odata.ParseFilter(raw["$filter"], accessTokenFields); err != nil {
		return nil, queryError(err)
	}
	if o.order, err = odata.ParseOrderBy(raw["$orderby"], accessTokenFields); err != nil {
		return nil, queryError(err)
	}
	if o.sel, err = odata.ParseSelect(raw["$select"], accessTokenFields); err != nil {
		return nil, queryError(err)
	}
	if o.top, err = odata.ParseTop(raw["$top"]); err != nil {
		return nil, queryError(err)
	}
	if o.skip, err = odata.ParseSkip(raw["$skip"]); err != nil {
		return nil, queryError(err)
	}
	if t, ok := raw[wire.SkipTokenParam]; ok {
		if t == "" {
			return nil, wire.Continuation{Family: wire.FamilyAzureCore}.Invalid()
		}
		o.token = t
	}
	return o, nil
}

// queryError turns an odata parse error into the 400 that names the option
// and the position.
func queryError(err error) error {
	var qe *odata.Error
	if errors.As(err, &qe) {
		return wire.BadRequest("InvalidQueryParameterValue", qe.Param, qe.Message)
	}
	return err
}

// continuation is what a $skipToken carries: where the previous page
// ended, what is left of $top, and the instant "state" is evaluated at (the
// first page's, so a token expiring mid-listing does not move between
// pages).
type continuation struct {
	Now  int64 `json:"n"` // unix microseconds
	Left int   `json:"l"` // -1: no $top
	// The last item's sort values.
	ID      string `json:"i"`
	Name    string `json:"m,omitempty"`
	Created int64  `json:"c,omitempty"`
	Expiry  int64  `json:"e,omitempty"`
}

// pages binds a continuation to the account listed and to the $filter and
// $orderby it continues: a token replayed with another filter or order
// would start at a position in another order.
func pages(accountID string, filter odata.Expr, order odata.OrderBy) wire.Continuation {
	var f string
	if filter != nil {
		f = filter.String()
	}
	return wire.Continuation{Family: wire.FamilyAzureCore, Scope: accountID, Query: f + "\n" + order.String()}
}

// continuationOf decodes the request's $skipToken, nil without one.
func continuationOf(accountID string, o *listOptions) (*continuation, error) {
	if o.token == "" {
		return nil, nil
	}
	p := pages(accountID, o.filter, o.order)
	var c continuation
	if err := p.Decode(o.token, &c); err != nil {
		return nil, err
	}
	if c.ID == "" || c.Left < -1 || !wire.SQLText(c.ID) || !wire.SQLText(c.Name) {
		return nil, p.Invalid()
	}
	return &c, nil
}

func (c *continuation) position() *tokend.AccessToken {
	return &tokend.AccessToken{ID: c.ID, Name: c.Name, CreatedAt: timeFromMicros(c.Created), ExpiryAt: timeFromMicros(c.Expiry)}
}

func timeFromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// pagedAccessTokens is PagedAccessToken; with $select, items carry only the
// selected properties.
type pagedAccessTokens struct {
	Value    []any   `json:"value"`
	NextLink *string `json:"nextLink,omitempty"`
}

func (k *Tokens) listAccessTokens(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	opts, err := parseListOptions(r.HTTP.URL.Query())
	if err != nil {
		return nil, err
	}
	now := k.now().UTC().Truncate(time.Microsecond)
	left := opts.top
	q := tokend.AccessTokenQuery{AccountID: ParentOf(r).ID, Filter: opts.filter}
	for _, it := range opts.order {
		q.OrderBy = append(q.OrderBy, tokend.AccessTokenOrder{Field: tokend.AccessTokenField(it.Field), Desc: it.Desc})
	}
	c, err := continuationOf(ParentOf(r).ID, opts)
	if err != nil {
		return nil, err
	}
	if c != nil {
		// The token carries the position and what is left of $top; a
		// $skip was spent on the first page.
		now, left, q.After = time.UnixMicro(c.Now).UTC(), c.Left, c.position()
	} else {
		q.Skip = opts.skip
	}
	q.Now = now
	size := k.pageSize
	if left >= 0 && left < size {
		size = left
	}
	page := pagedAccessTokens{Value: []any{}}
	if size == 0 {
		return wire.JSON(http.StatusOK, page), nil
	}
	q.Limit = size + 1 // one more tells whether another page follows
	list, err := k.store.ListAccessTokens(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list access tokens of %s: %w", ParentOf(r).ID, err)
	}
	more := len(list) > size
	if more {
		list = list[:size]
	}
	if left >= 0 {
		left -= len(list)
		more = more && left > 0
	}
	for _, t := range list {
		page.Value = append(page.Value, selectFields(renderToken(t, now), opts.sel))
	}
	if more {
		last := list[len(list)-1]
		next := continuation{Now: micros(now), Left: left,
			ID: last.ID, Name: last.Name, Created: micros(last.CreatedAt), Expiry: micros(last.ExpiryAt)}
		link := wire.NextLink(r.BaseURL, r.HTTP, pages(ParentOf(r).ID, opts.filter, opts.order).Encode(next), "$skip")
		page.NextLink = &link
	}
	return wire.JSON(http.StatusOK, page), nil
}

// selectFields applies $select: nil keeps the whole item.
func selectFields(t accessTokenBody, sel []string) any {
	if sel == nil {
		return t
	}
	m := make(map[string]any, len(sel))
	for _, f := range sel {
		switch tokend.AccessTokenField(f) {
		case tokend.AccessTokenID:
			m[f] = t.ID
		case tokend.AccessTokenName:
			m[f] = t.Name
		case tokend.AccessTokenCreatedAt:
			m[f] = t.CreatedAt
		case tokend.AccessTokenExpiryAt:
			m[f] = t.ExpiryAt
		case tokend.AccessTokenState:
			m[f] = t.State
		}
	}
	return m
}
