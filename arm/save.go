package arm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// SaveBody writes res back with doc as its body, a new ETag, and caller
// and now as its last change, on the condition that it still holds the
// ETag it was read with: a concurrent write or delete makes it ErrRaced,
// which LastWriterWins retries.
func SaveBody(ctx context.Context, store tokend.ResourceStore, res *tokend.Resource, doc any, caller string, now time.Time) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode %s: %w", res.ID, err)
	}
	prev := res.ETag
	res.Body, res.ETag, res.UpdatedAt, res.UpdatedBy = body, NewETag(), now, caller
	if err := store.UpdateResource(ctx, res, prev); err != nil {
		if errors.Is(err, tokend.ErrPreconditionFailed) || errors.Is(err, tokend.ErrNotFound) {
			return ErrRaced
		}
		return fmt.Errorf("update %s: %w", res.ID, err)
	}
	return nil
}

// LocationConflict is ARM's answer to a PUT that names another location
// than the existing resource's.
func LocationConflict(name, existing, group, requested string) *wire.Error {
	return &wire.Error{Status: http.StatusConflict, Code: "InvalidResourceLocation", Target: "location", Message: fmt.Sprintf(
		"The resource '%s' already exists in location '%s' in resource group '%s'. A resource with the same name cannot be created in location '%s'. Please select a new resource name.",
		name, existing, group, requested)}
}

// ListRendered serves one page of resources as a provider renders them:
// {"value": [...], "nextLink": ...} (ListResources' page and link).
func ListRendered[T any](ctx context.Context, store tokend.ResourceStore, r *pipeline.Request, q tokend.ResourceQuery, pageSize int,
	render func(*tokend.Resource) (T, error)) (*wire.Response, error) {
	items, next, err := ListResources(ctx, store, r, q, pageSize)
	if err != nil {
		return nil, err
	}
	out := struct {
		Value    []T     `json:"value"`
		NextLink *string `json:"nextLink,omitempty"`
	}{Value: make([]T, 0, len(items))}
	for _, res := range items {
		v, err := render(res)
		if err != nil {
			return nil, err
		}
		out.Value = append(out.Value, v)
	}
	if next != "" {
		out.NextLink = &next
	}
	return wire.JSON(http.StatusOK, out), nil
}
