package admin

import (
	"net/http"
	"sort"
	"strconv"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Page sizes: $top asks for at most this many items a page.
const (
	defaultTop = 100
	maxTop     = 1000
)

// listPage is one page of a list: {"value": [...], "nextLink": "..."}.
type listPage[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

// top reads $top (1 to maxTop; default defaultTop).
func top(r *pipeline.Request) (int, error) {
	v := queryParam(r, "$top")
	if v == "" {
		return defaultTop, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxTop {
		return 0, wire.BadRequest("InvalidQueryParameterValue", "$top",
			"$top must be a whole number from 1 to "+strconv.Itoa(maxTop)+".")
	}
	return n, nil
}

// queryParam reads a query parameter whatever the case of its name.
func queryParam(r *pipeline.Request, name string) string {
	return wire.QueryParam(r.HTTP.URL.Query(), name)
}

// pageByKey pages a list held in memory (the registries list whole: a
// deployment has hundreds of clients, not millions) in the order of a
// unique key, continuing after the last key served: an item created
// between pages is neither skipped nor repeated.
func pageByKey[E any, V any](r *pipeline.Request, scope string, items []E, key func(E) string, view func(E) V) (*wire.Response, error) {
	n, err := top(r)
	if err != nil {
		return nil, err
	}
	cont := wire.Continuation{Family: wire.FamilyARM, Scope: scope}
	var after string
	if tok := wire.SkipToken(r.HTTP.URL.Query()); tok != "" {
		if werr := cont.Decode(tok, &after); werr != nil {
			return nil, werr
		}
	}
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	start := sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	page := listPage[V]{Value: make([]V, 0, min(n, len(items)-start))}
	end := min(start+n, len(items))
	for _, it := range items[start:end] {
		page.Value = append(page.Value, view(it))
	}
	if end < len(items) {
		page.NextLink = wire.NextLink(r.BaseURL, r.HTTP, cont.Encode(key(items[end-1])))
	}
	return wire.JSON(http.StatusOK, page), nil
}
