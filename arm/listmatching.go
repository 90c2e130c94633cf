package arm

import (
	"context"
	"fmt"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// scanBudget bounds the rows one page of a filtered list reads: a filter
// that matches little ends its page early with a nextLink at the last row
// read, as ARM's own lists may, rather than walk the whole scope in one
// request.
const scanBudget = 5000

// maxScanBatch caps one read of a filtered list; minScanBatch keeps the
// reads that complete a page from being round trips of a row or two.
const (
	maxScanBatch = 500
	minScanBatch = 16
)

// nextBatch sizes the read that follows one that left the page short:
// what is missing (and one more, to know whether a nextLink is due) at the
// share of rows kept so far, with half again as margin. A list that keeps
// almost everything (the groups between resources are the misses) reads a
// few rows more; a selective filter reads the most a batch may.
func nextBatch(missing, kept, scanned int) int {
	if kept == 0 {
		return maxScanBatch
	}
	n := (missing + 1) * scanned / kept
	return min(maxScanBatch, max(minScanBatch, n+n/2))
}

// ListMatching pages through the resources of every type below q.Scope (of
// q.Type when set) in key order, keeping those keep accepts and rendering
// them as it returns. What SQL cannot filter (a tag inside the body) is
// filtered here while walking the keys in batches. query is the canonical
// form of the request's filter, which the continuation token is bound to.
// It returns the page and the nextLink ("" when done).
func ListMatching[T any](ctx context.Context, store tokend.ResourceStore, r *pipeline.Request, q tokend.ResourceQuery, query string,
	pageSize int, keep func(*tokend.Resource) (T, bool, error)) ([]T, string, error) {
	w, err := openWindow(r, wire.Continuation{Family: r.Route.Family, Scope: q.Type + "@" + q.Scope, Query: query}, pageSize)
	if err != nil || w.size == 0 {
		return nil, "", err
	}
	var items []T
	// The first read expects nearly every row to match, with a tenth more
	// for the misses (the groups between their resources), so that a page
	// of an unfiltered list is one statement.
	q.After, q.Limit = w.after, w.size+w.size/10+1
	lastKept, scanned := "", 0
	for {
		batch, err := store.ListResourcesUnder(ctx, q)
		if err != nil {
			return nil, "", fmt.Errorf("list resources under %s: %w", q.Scope, err)
		}
		for _, res := range batch {
			item, ok, err := keep(res)
			if err != nil {
				return nil, "", err
			}
			if ok {
				if len(items) == w.size { // one more exists: the page is full
					return items, w.next(r, len(items), lastKept), nil
				}
				items, lastKept = append(items, item), res.Key
			}
		}
		scanned += len(batch)
		if len(batch) < q.Limit {
			return items, "", nil
		}
		q.After = batch[len(batch)-1].Key
		if scanned >= scanBudget {
			return items, w.next(r, len(items), q.After), nil
		}
		q.Limit = nextBatch(w.size-len(items), len(items), scanned)
	}
}
