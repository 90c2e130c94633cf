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

// listWindow is where a page starts and how much of $top is left.
type listWindow struct {
	pages     wire.Continuation
	after     string
	remaining int // -1: no $top
	size      int // items this page may hold
}

// openWindow reads $top and the continuation token of a list request.
// $top is the total number of results across pages, as ARM defines it;
// the token carries both the keyset position and what remains of $top, so
// following nextLinks never returns more.
func openWindow(r *pipeline.Request, pages wire.Continuation, pageSize int) (*listWindow, error) {
	w := &listWindow{pages: pages, remaining: -1, size: pageSize}
	if t := r.Query("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return nil, wire.BadRequest("InvalidParameter", "$top", "The value of '$top' must be a positive integer.")
		}
		w.remaining = n
	}
	if tok := wire.SkipToken(r.HTTP.URL.Query()); tok != "" {
		var pos listPosition
		if err := pages.Decode(tok, &pos); err != nil {
			return nil, err
		}
		if pos.After == "" || pos.Remaining < -1 || !wire.SQLText(pos.After) {
			return nil, pages.Invalid()
		}
		w.after, w.remaining = pos.After, pos.Remaining
	}
	if w.remaining >= 0 && w.remaining < w.size {
		w.size = w.remaining
	}
	return w, nil
}

// next is the nextLink of a page that served n items and may be followed
// by more after key ("" when $top is used up).
func (w *listWindow) next(r *pipeline.Request, n int, key string) string {
	remaining := w.remaining
	if remaining >= 0 {
		remaining -= n
		if remaining == 0 {
			return ""
		}
	}
	tok := w.pages.Encode(listPosition{After: key, Remaining: remaining})
	return wire.NextLink(r.BaseURL, r.HTTP, tok)
}

// ListResources is ListPage for providers that render items themselves: it
// returns the stored resources of this page and the nextLink ("" when done).
func ListResources(ctx context.Context, store tokend.ResourceStore, r *pipeline.Request, q tokend.ResourceQuery, pageSize int) ([]*tokend.Resource, string, error) {
	w, err := openWindow(r, wire.Continuation{Family: r.Route.Family, Scope: q.Type + "@" + q.Scope}, pageSize)
	if err != nil || w.size == 0 {
		return nil, "", err
	}
	q.After, q.Limit = w.after, w.size+1
	items, err := store.ListResources(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("list %s under %s: %w", q.Type, q.Scope, err)
	}
	if len(items) <= w.size {
		return items, "", nil
	}
	items = items[:w.size]
	return items, w.next(r, len(items), items[len(items)-1].Key), nil
}
