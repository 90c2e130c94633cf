package arm

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// ListPage serves one page of resources in stored form: at most $top (or
// pageSize) items after the request's continuation token, with a nextLink
// when more may follow, encoded without re-encoding the stored documents.
func ListPage(ctx context.Context, store tokend.ResourceStore, r *pipeline.Request, q tokend.ResourceQuery, pageSize int) (json.RawMessage, error) {
	items, next, err := ListResources(ctx, store, r, q, pageSize)
	if err != nil {
		return nil, err
	}
	values := make([]json.RawMessage, len(items))
	for i, it := range items {
		values[i] = it.Body
	}
	var link *string
	if next != "" {
		link = &next
	}
	return wire.EncodeList(values, "nextLink", link), nil
}

// listPosition is what a list continuation token carries.
type listPosition struct {
	After     string `json:"k"`
	Remaining int    `json:"r"` // what is left of $top; -1 when unbounded
}

// ListResources is ListPage for providers that render items themselves: it
// returns the stored resources of this page and the nextLink ("" when done).
// $top is the total number of results across pages, as ARM defines it; the
// continuation token carries both the keyset position and what remains of
// $top, so following nextLinks never returns more.
func ListResources(ctx context.Context, store tokend.ResourceStore, r *pipeline.Request, q tokend.ResourceQuery, pageSize int) ([]*tokend.Resource, string, error) {
	remaining := -1 // no $top
	if t := r.Query("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return nil, "", wire.BadRequest("InvalidParameter", "$top", "The value of '$top' must be a positive integer.")
		}
		remaining = n
	}
	pages := wire.Continuation{Family: r.Route.Family, Scope: q.Type + "@" + q.Scope}
	if tok := wire.SkipToken(r.HTTP.URL.Query()); tok != "" {
		var pos listPosition
		if err := pages.Decode(tok, &pos); err != nil {
			return nil, "", err
		}
		if pos.After == "" || pos.Remaining < -1 || !wire.SQLText(pos.After) {
			return nil, "", pages.Invalid()
		}
		q.After, remaining = pos.After, pos.Remaining
	}
	if remaining >= 0 && remaining < pageSize {
		pageSize = remaining
	}
	if pageSize == 0 {
		return nil, "", nil
	}
	q.Limit = pageSize + 1
	items, err := store.ListResources(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("list %s under %s: %w", q.Type, q.Scope, err)
	}
	if len(items) <= pageSize {
		return items, "", nil
	}
	items = items[:pageSize]
	if remaining >= 0 {
		remaining -= pageSize
		if remaining == 0 {
			return items, "", nil
		}
	}
	tok := pages.Encode(listPosition{After: items[len(items)-1].Key, Remaining: remaining})
	return items, wire.NextLink(r.BaseURL, r.HTTP, tok), nil
}
