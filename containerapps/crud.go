package containerapps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// get: GET .../containerApps/{name} → 200 ContainerApp, the stored document.
func (s *Service) get(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	res, err := s.load(ctx, appID(r))
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, json.RawMessage(res.Body)), nil
}

// put: PUT .../containerApps/{name} creates (201) or replaces (200) the app
// with the request's ContainerApp. Both answer provisioningState Succeeded,
// so the SDK's poller completes without polling.
func (s *Service) put(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := appID(r)
	return lastWriterWins(ctx, id, func() (*wire.Response, error) { return s.putOnce(ctx, r, id) })
}

func (s *Service) putOnce(ctx context.Context, r *pipeline.Request, id arm.ID) (*wire.Response, error) {
	prev, err := s.store.GetResource(ctx, id.Key())
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		prev = nil
		if err := validateAppName(id.Name()); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("load container app %s: %w", id, err)
	}
	doc, err := decodeRequest(r)
	if err != nil {
		return nil, err
	}
	if err := validateApp(doc); err != nil {
		return nil, err
	}
	var prevDoc map[string]any
	var stored map[string]string
	if prev != nil {
		if prevDoc, err = s.storedDocument(prev); err != nil {
			return nil, err
		}
		if err := checkLocationUnchanged(prev, prevDoc, doc); err != nil {
			return nil, err
		}
		if stored, err = s.openSecrets(prev); err != nil {
			return nil, err
		}
	}
	if err := keepEnvironment(prevDoc, doc); err != nil {
		return nil, err
	}
	values, err := takeSecrets(doc, stored)
	if err != nil {
		return nil, err
	}
	res, err := s.save(ctx, r, id, prev, prevDoc, doc, values)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if prev == nil {
		status = http.StatusCreated
	}
	return wire.JSON(status, json.RawMessage(res.Body)), nil
}

// patch: PATCH .../containerApps/{name} applies the body to the stored
// document as a JSON merge patch (RFC 7396) and answers 200 with the result,
// which must still be a valid ContainerApp.
func (s *Service) patch(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := appID(r)
	return lastWriterWins(ctx, id, func() (*wire.Response, error) { return s.patchOnce(ctx, r, id) })
}

func (s *Service) patchOnce(ctx context.Context, r *pipeline.Request, id arm.ID) (*wire.Response, error) {
	prev, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	patch, err := decodeRequest(r)
	if err != nil {
		return nil, err
	}
	prevDoc, err := s.storedDocument(prev)
	if err != nil {
		return nil, err
	}
	base, err := s.storedDocument(prev) // a second copy: the merge consumes it
	if err != nil {
		return nil, err
	}
	doc := mergePatch(base, patch).(map[string]any)
	if err := validateApp(doc); err != nil {
		return nil, err
	}
	if err := checkLocationUnchanged(prev, prevDoc, doc); err != nil {
		return nil, err
	}
	if err := keepEnvironment(prevDoc, doc); err != nil {
		return nil, err
	}
	stored, err := s.openSecrets(prev)
	if err != nil {
		return nil, err
	}
	values, err := takeSecrets(doc, stored)
	if err != nil {
		return nil, err
	}
	res, err := s.save(ctx, r, id, prev, prevDoc, doc, values)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, json.RawMessage(res.Body)), nil
}

// delete: DELETE .../containerApps/{name} → 200, or 204 when there was no
// such app. The app's outstanding tokens stop validating at once (see
// ValidateClaims).
func (s *Service) delete(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := appID(r)
	err := s.store.DeleteResource(ctx, id.Key(), "")
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		// The router checks the group only after a 404; a 204 must not
		// hide a missing group either.
		if err := s.checkGroup(ctx, id); err != nil {
			return nil, err
		}
		return wire.Empty(http.StatusNoContent), nil
	case err != nil:
		return nil, fmt.Errorf("delete container app %s: %w", id, err)
	}
	return wire.Empty(http.StatusOK), nil
}

func (s *Service) checkGroup(ctx context.Context, id arm.ID) error {
	gid := id.GroupID()
	_, err := s.store.GetResource(ctx, gid.Key())
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		return wire.Errorf(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+gid.ResourceGroup+"' could not be found.")
	case err != nil:
		return fmt.Errorf("check resource group %s: %w", gid, err)
	}
	return nil
}

// listByGroup: GET .../resourceGroups/{rg}/providers/Microsoft.App/containerApps
// → 200 ContainerAppCollection, paged with nextLink.
func (s *Service) listByGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	scope := arm.ID{SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName")}.Key()
	return s.list(ctx, r, scope)
}

// listBySubscription: GET /subscriptions/{s}/providers/Microsoft.App/containerApps.
func (s *Service) listBySubscription(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return s.list(ctx, r, arm.SubscriptionKey(r.Param("subscriptionId")))
}

func (s *Service) list(ctx context.Context, r *pipeline.Request, scope string) (*wire.Response, error) {
	page, err := arm.ListPage(ctx, s.store, r, tokend.ResourceQuery{Scope: scope, Type: typeKey}, s.pageSize)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, page), nil
}
