package apim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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
	if tok := query.Get(wire.SkipTokenParam); tok != "" {
		// The position already accounts for any $skip of the first page.
		after, err := decodePosition(tok, serviceKey)
		if err != nil {
			return q, err
		}
		q.after = after
	} else if v := query.Get("$skip"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return q, badField("$skip", "'$skip' must be an integer of at least 0, not '%s'.", v)
		}
		q.skip = int(n)
	}
	if f := query.Get("$filter"); strings.TrimSpace(f) != "" {
		expr, err := parseFilter(f)
		if err != nil {
			return q, err
		}
		q.filter = expr
	}
	return q, nil
}

// A continuation position is the last name served, behind the listed
// service's key: a token from another service's list (or a forged one) is
// refused rather than used as a cursor.
func encodePosition(serviceKey, name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(serviceKey + "/" + name))
}

func decodePosition(tok, serviceKey string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	name, ok := strings.CutPrefix(string(b), serviceKey+"/")
	if err != nil || !ok || name == "" || strings.ContainsAny(tok, "\r\n") {
		return "", badField(wire.SkipTokenParam, "The continuation token in '%s' is not valid for this list; use the nextLink of the previous page.", wire.SkipTokenParam)
	}
	return name, nil
}

// nextLink is the request's own URL with the position in $skipToken, $skip
// dropped (the position is past it) and every other parameter kept: the SDK
// pagers follow it verbatim.
func nextLink(r *pipeline.Request, serviceKey, position string) string {
	q := r.HTTP.URL.Query()
	q.Del("$skip")
	q.Set(wire.SkipTokenParam, encodePosition(serviceKey, position))
	u := url.URL{Path: r.HTTP.URL.Path, RawQuery: q.Encode()}
	return r.BaseURL + u.String()
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
		link := nextLink(r, sid.Key(), items[len(items)-1].Name)
		next = &link
	}
	values := make([]json.RawMessage, len(items))
	for i, s := range items {
		values[i] = s.Body
	}
	return wire.JSON(http.StatusOK, wire.EncodeList(values, "count", page.Count, "nextLink", next)), nil
}
