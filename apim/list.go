package apim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/odata"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const (
	// defaultPageSize is the page size without $top.
	defaultPageSize = 100
	// maxPageSize bounds one page whatever $top asks; the rest follows
	// through nextLink.
	maxPageSize = 1000
)

// listQuery is a parsed ListByService request.
type listQuery struct {
	filter odata.Expr // parsed $filter, nil for none
	top    int        // page size
	skip   int
	after  string // keyset position from $skipToken
}

// parseListQuery reads $filter, $top, $skip and $skipToken, answering a
// ValidationError that names the parameter.
func parseListQuery(r *pipeline.Request, serviceKey string) (listQuery, error) {
	q := listQuery{top: defaultPageSize}
	query := r.HTTP.URL.Query()
	if v := query.Get("$top"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			return q, badField("$top", "'$top' must be an integer of at least 1, not '%s'.", v)
		}
		q.top = int(min(n, maxPageSize))
	}
	if f := query.Get("$filter"); strings.TrimSpace(f) != "" {
		expr, err := parseFilter(f)
		if err != nil {
			return q, err
		}
		q.filter = expr
	}
	if tok := wire.SkipToken(query); tok != "" {
		// The position already accounts for any $skip of the first page.
		var name string
		if err := pages(serviceKey, q.filter).Decode(tok, &name); err != nil {
			return q, err
		}
		if name == "" || !wire.SQLText(name) {
			return q, pages(serviceKey, q.filter).Invalid()
		}
		q.after = name
	} else if v := query.Get("$skip"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return q, badField("$skip", "'$skip' must be an integer of at least 0, not '%s'.", v)
		}
		q.skip = int(n)
	}
	return q, nil
}

// pages is the list's continuation: a position is the last name served,
// bound to the listed service and the $filter, so a token from another
// service's list, another filter or a forged one is refused rather than
// used as a cursor.
func pages(serviceKey string, filter odata.Expr) wire.Continuation {
	c := wire.Continuation{Family: wire.FamilyAPIM, Scope: serviceKey}
	if filter != nil {
		c.Query = filter.String()
	}
	return c
}

// listAuthServers is ListByService: one page of the service's servers that
// match $filter, the total count of matches, and a nextLink while more
// follow. Filtering, counting and paging all happen in the database.
func (p *Provider) listAuthServers(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if err := checkAuthServerPath(r, false); err != nil {
		return nil, err
	}
	sid := serviceIDOf(r)
	lq, err := parseListQuery(r, sid.Key())
	if err != nil {
		return nil, err
	}
	sq := tokend.AuthorizationServerQuery{ServiceKey: sid.Key(), Filter: lq.filter, After: lq.after, Skip: lq.skip, Limit: lq.top + 1}
	page, err := p.store.ListAuthorizationServers(ctx, sq)
	if err != nil {
		return nil, fmt.Errorf("list authorization servers of %s: %w", sid, err)
	}
	items := page.Servers
	if len(items) == 0 {
		// Servers never outlive their service (every write and delete of
		// either takes the service's lock), so a page with servers proves
		// the service, as a found server does for GET; only an empty page
		// must tell "none" from "no such service".
		if err := requireService(ctx, p.store, r); err != nil {
			return nil, err
		}
	}
	var next *string
	if len(items) > lq.top {
		items = items[:lq.top]
		// $skip is dropped: the position is past it.
		link := wire.NextLink(r.BaseURL, r.HTTP, pages(sid.Key(), lq.filter).Encode(items[len(items)-1].Name), "$skip")
		next = &link
	}
	values := make([]json.RawMessage, len(items))
	for i, s := range items {
		values[i] = s.Body
	}
	return wire.JSON(http.StatusOK, wire.EncodeList(values, "count", page.Count, "nextLink", next)), nil
}
