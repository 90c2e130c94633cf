package playwrightworkspaces

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/wire"
)

// workspacePageSize is the ARM list's page size.
const workspacePageSize = 100

func (s *Service) loadWorkspace(ctx context.Context, id arm.ID) (*tokend.Resource, *workspaceDocument, error) {
	res, err := s.store.GetResource(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, nil, workspaceNotFound(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load workspace %s: %w", id, err)
	}
	doc, err := decodeWorkspace(res)
	if err != nil {
		return nil, nil, err
	}
	return res, doc, nil
}

func (s *Service) getWorkspace(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := workspaceResourceID(r)
	if err := validateWorkspaceName(id.Name()); err != nil {
		return nil, err
	}
	res, doc, err := s.loadWorkspace(ctx, id)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, renderARM(res, doc, r.BaseURL)), nil
}

// workspaceInput is the PUT body; read-only members (id, name, type,
// systemData, dataplaneUri, workspaceId, provisioningState) are accepted
// and ignored.
type workspaceInput struct {
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties *flagsInput       `json:"properties"`
}

// putWorkspace creates (201) or replaces (200) a workspace. PUT replaces:
// flags left out return to their defaults and tags are the ones sent.
// Provisioning is synchronous, so both answers read Succeeded and the
// SDK's poller completes without polling.
func (s *Service) putWorkspace(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := workspaceResourceID(r)
	if err := validateWorkspaceName(id.Name()); err != nil {
		return nil, err
	}
	var in workspaceInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Location) == "" {
		return nil, wire.BadRequest("LocationRequired", "location", "The location property is required for this definition.")
	}
	flags := defaultFlags()
	if in.Properties != nil {
		if err := in.Properties.apply(&flags); err != nil {
			return nil, err
		}
	}
	if err := arm.ValidateTags(in.Tags); err != nil {
		return nil, err
	}
	return writeWins(ctx, id, func() (*wire.Response, error) { return s.putOnce(ctx, r, id, in, flags) })
}

// writeWins runs one read-modify-write of workspace id until it does not
// race with another request's.
func writeWins(ctx context.Context, id arm.ID, attempt func() (*wire.Response, error)) (*wire.Response, error) {
	return arm.LastWriterWins(ctx, wire.Errorf(http.StatusConflict, "Conflict",
		"The workspace '"+id.Name()+"' is being changed by many requests at once; retry."), attempt)
}

func (s *Service) putOnce(ctx context.Context, r *pipeline.Request, id arm.ID, in workspaceInput, flags workspaceFlags) (*wire.Response, error) {
	existing, err := s.store.GetResource(ctx, id.Key())
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		return s.createWorkspace(ctx, r, id, in, flags)
	case err != nil:
		return nil, fmt.Errorf("load workspace %s: %w", id, err)
	}
	doc, err := decodeWorkspace(existing)
	if err != nil {
		return nil, err
	}
	if arm.NormalizeLocation(in.Location) != doc.Location {
		return nil, arm.LocationConflict(doc.Name, doc.Location, id.ResourceGroup, in.Location)
	}
	doc.Tags, doc.Properties = in.Tags, flags
	return s.saveWorkspace(ctx, r, existing, doc)
}

func (s *Service) createWorkspace(ctx context.Context, r *pipeline.Request, id arm.ID, in workspaceInput, flags workspaceFlags) (*wire.Response, error) {
	loc := arm.NormalizeLocation(in.Location)
	now := s.now().UTC()
	doc := &workspaceDocument{
		ID: id.String(), Name: id.Name(), Location: loc, Tags: in.Tags, Properties: flags,
		WorkspaceID: uuid.NewString(),
	}
	res := &tokend.Resource{
		Key: id.Key(), ID: id.String(), Type: workspaceType, Name: id.Name(), UID: uuid.NewString(),
		ETag: arm.NewETag(), SortName: doc.WorkspaceID,
		CreatedAt: now, UpdatedAt: now, CreatedBy: r.Caller(), UpdatedBy: r.Caller(),
	}
	err := s.store.InTx(ctx, func(q tokend.Queries) error {
		if err := r.EnsureParent(ctx, q); err != nil {
			return err
		}
		held, err := trialHolder(ctx, q, arm.SubscriptionKey(id.SubscriptionID))
		if err != nil {
			return err
		}
		if held == nil {
			doc.FreeTrial = &freeTrial{CreatedAt: now, ExpiryAt: now.Add(freeTrialDuration)}
		}
		if res.Body, err = json.Marshal(doc); err != nil {
			return fmt.Errorf("encode workspace: %w", err)
		}
		if err := q.CreateResource(ctx, res); err != nil {
			return err
		}
		return q.CreatePlaywrightAccount(ctx, &tokend.PlaywrightAccount{ID: doc.WorkspaceID, ResourceKey: res.Key, CreatedAt: now})
	})
	if errors.Is(err, tokend.ErrAlreadyExists) {
		return nil, arm.ErrRaced
	}
	if err != nil {
		return nil, fmt.Errorf("create workspace %s: %w", id, err)
	}
	return wire.JSON(http.StatusCreated, renderARM(res, doc, r.BaseURL)).WithHeader("Retry-After", "0"), nil
}

func (s *Service) saveWorkspace(ctx context.Context, r *pipeline.Request, res *tokend.Resource, doc *workspaceDocument) (*wire.Response, error) {
	if err := arm.SaveBody(ctx, s.store, res, doc, r.Caller(), s.now().UTC()); err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, renderARM(res, doc, r.BaseURL)), nil
}

// workspaceUpdate is PlaywrightWorkspaceUpdate: every member optional.
type workspaceUpdate struct {
	Tags       *map[string]string `json:"tags"`
	Properties *flagsInput        `json:"properties"`
}

// patchWorkspace is PlaywrightWorkspaces_Update (synchronous, 200).
func (s *Service) patchWorkspace(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := workspaceResourceID(r)
	if err := validateWorkspaceName(id.Name()); err != nil {
		return nil, err
	}
	var patch workspaceUpdate
	if err := r.Decode(&patch); err != nil {
		return nil, err
	}
	if patch.Tags != nil {
		if err := arm.ValidateTags(*patch.Tags); err != nil {
			return nil, err
		}
	}
	return writeWins(ctx, id, func() (*wire.Response, error) {
		res, doc, err := s.loadWorkspace(ctx, id)
		if err != nil {
			return nil, err
		}
		if patch.Tags != nil {
			doc.Tags = *patch.Tags
		}
		if patch.Properties != nil {
			if err := patch.Properties.apply(&doc.Properties); err != nil {
				return nil, err
			}
		}
		return s.saveWorkspace(ctx, r, res, doc)
	})
}

// deleteWorkspace removes the workspace, its test runs, its index row and
// all of its access tokens in one transaction, so every token stops
// working with the commit. The delete completes before it is answered, so
// the answer is the contract's 204 (202 is for a delete still running),
// for an absent workspace too.
func (s *Service) deleteWorkspace(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := workspaceResourceID(r)
	if err := validateWorkspaceName(id.Name()); err != nil {
		return nil, err
	}
	res, err := s.store.GetResource(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return wire.Empty(http.StatusNoContent), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load workspace %s: %w", id, err)
	}
	err = s.store.InTx(ctx, func(q tokend.Queries) error {
		if _, err := q.DeleteResourcesUnder(ctx, res.Key); err != nil {
			return err
		}
		if err := q.DeleteResource(ctx, res.Key, ""); err != nil {
			return err
		}
		if err := q.DeletePlaywrightAccount(ctx, res.SortName); err != nil && !errors.Is(err, tokend.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil && !errors.Is(err, tokend.ErrNotFound) {
		return nil, fmt.Errorf("delete workspace %s: %w", id, err)
	}
	s.cfg.Browsers.CloseParent(res.SortName)
	return wire.Empty(http.StatusNoContent), nil
}

// onGroupDelete runs in the transaction that deletes a resource group: the
// group's workspaces go with their resources (test runs included), their
// tokens with them.
func (s *Service) onGroupDelete(ctx context.Context, q tokend.Queries, groupKey string) error {
	return playwright.DeleteIndexedUnder(ctx, q, groupKey, workspaceType)
}

func (s *Service) listWorkspaces(ctx context.Context, r *pipeline.Request, scope string) (*wire.Response, error) {
	return arm.ListRendered(ctx, s.store, r, tokend.ResourceQuery{Scope: scope, Type: workspaceType}, workspacePageSize,
		func(res *tokend.Resource) (armWorkspace, error) {
			doc, err := decodeWorkspace(res)
			if err != nil {
				return armWorkspace{}, err
			}
			return renderARM(res, doc, r.BaseURL), nil
		})
}

func (s *Service) listBySubscription(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return s.listWorkspaces(ctx, r, arm.SubscriptionKey(r.Param("subscriptionId")))
}

func (s *Service) listByGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	gid := arm.ID{SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName")}
	return s.listWorkspaces(ctx, r, gid.Key())
}

// eachWorkspace calls fn with every workspace below scope ("" for all),
// in key order, until fn returns false.
func eachWorkspace(ctx context.Context, store tokend.ResourceStore, scope string, fn func(*tokend.Resource, *workspaceDocument) bool) error {
	q := tokend.ResourceQuery{Scope: scope, Type: workspaceType, Limit: 1000}
	for {
		page, err := store.ListResources(ctx, q)
		if err != nil {
			return fmt.Errorf("list workspaces: %w", err)
		}
		for _, res := range page {
			doc, err := decodeWorkspace(res)
			if err != nil {
				return err
			}
			if !fn(res, doc) {
				return nil
			}
		}
		if len(page) < q.Limit {
			return nil
		}
		q.After = page[len(page)-1].Key
	}
}

// trialHolder is the workspace of the subscription that holds its free
// trial, nil when none does.
func trialHolder(ctx context.Context, store tokend.ResourceStore, subKey string) (*workspaceDocument, error) {
	var held *workspaceDocument
	err := eachWorkspace(ctx, store, subKey, func(_ *tokend.Resource, doc *workspaceDocument) bool {
		if doc.FreeTrial != nil {
			held = doc
		}
		return held == nil
	})
	return held, err
}

// checkNameRequest and checkNameResponse are the common-types
// CheckNameAvailabilityRequest and _Response.
type checkNameRequest struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type checkNameResponse struct {
	NameAvailable bool   `json:"nameAvailable"`
	Reason        string `json:"reason,omitempty"`
	Message       string `json:"message,omitempty"`
}

// checkNameAvailability answers whether a workspace name is valid and not
// taken anywhere on this tokend (the contract checks names globally).
func (s *Service) checkNameAvailability(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	var in checkNameRequest
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Type != "" && !strings.EqualFold(in.Type, workspaceARMType) {
		return nil, wire.BadRequest("InvalidResourceType", "type", "The resource type '"+wire.Clip(in.Type)+
			"' is not supported; the only type is '"+workspaceARMType+"'.")
	}
	if !workspaceNamePattern.MatchString(in.Name) {
		return wire.JSON(http.StatusOK, checkNameResponse{Reason: "Invalid", Message: "The name '" + wire.Clip(in.Name) +
			"' is invalid: a workspace name is 3 to 24 letters, digits and hyphens."}), nil
	}
	var taken string
	err := eachWorkspace(ctx, s.store, "", func(res *tokend.Resource, _ *workspaceDocument) bool {
		if strings.EqualFold(res.Name, in.Name) {
			taken = res.Name
		}
		return taken == ""
	})
	if err != nil {
		return nil, err
	}
	if taken != "" {
		return wire.JSON(http.StatusOK, checkNameResponse{Reason: "AlreadyExists",
			Message: "A workspace named '" + taken + "' already exists."}), nil
	}
	return wire.JSON(http.StatusOK, checkNameResponse{NameAvailable: true}), nil
}
