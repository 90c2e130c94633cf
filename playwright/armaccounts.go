package playwright

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
	"github.com/tokend-dev/tokend/wire"
)

// An account is one generic resource (Body: accountDocument, SortName: the
// data-plane account id) plus a playwright_accounts row indexing that id;
// both are written in one transaction.

// accountPageSize is the ARM list's page size.
const accountPageSize = 100

func (s *Service) loadAccount(ctx context.Context, id arm.ID) (*tokend.Resource, *accountDocument, error) {
	res, err := s.store.GetResource(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, nil, accountNotFound(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load account %s: %w", id, err)
	}
	doc, err := decodeAccount(res)
	if err != nil {
		return nil, nil, err
	}
	return res, doc, nil
}

func (s *Service) getAccount(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := accountResourceID(r)
	if err := validateAccountName(id.Name()); err != nil {
		return nil, err
	}
	res, doc, err := s.loadAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, renderARM(res, doc, r.BaseURL)), nil
}

// accountInput is the PUT body: read-only members (id, name, type,
// systemData, dashboardUri, provisioningState) are accepted and ignored.
type accountInput struct {
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties *flagsInput       `json:"properties"`
}

// putAccount creates (201) or replaces (200) an account. PUT replaces: flags
// left out return to their defaults and tags are the ones sent. Provisioning
// is synchronous, so both answers already read Succeeded and the SDK's
// poller completes without polling.
func (s *Service) putAccount(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := accountResourceID(r)
	if err := validateAccountName(id.Name()); err != nil {
		return nil, err
	}
	var in accountInput
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
	// A concurrent PUT that created or changed the account between this
	// one's read and write makes it read again and apply on top.
	return accountWriteWins(ctx, id, func() (*wire.Response, error) { return s.putAccountOnce(ctx, r, id, in, flags) })
}

// accountWriteWins runs one read-modify-write of account id until it does
// not race with another request's.
func accountWriteWins(ctx context.Context, id arm.ID, attempt func() (*wire.Response, error)) (*wire.Response, error) {
	return arm.LastWriterWins(ctx, wire.Errorf(http.StatusConflict, "Conflict",
		"The account '"+id.Name()+"' is being changed by many requests at once; retry."), attempt)
}

func (s *Service) putAccountOnce(ctx context.Context, r *pipeline.Request, id arm.ID, in accountInput, flags accountFlags) (*wire.Response, error) {
	existing, err := s.store.GetResource(ctx, id.Key())
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		return s.createAccount(ctx, r, id, in, flags)
	case err != nil:
		return nil, fmt.Errorf("load account %s: %w", id, err)
	}
	doc, err := decodeAccount(existing)
	if err != nil {
		return nil, err
	}
	if arm.NormalizeLocation(in.Location) != doc.Location {
		return nil, arm.LocationConflict(doc.Name, doc.Location, id.ResourceGroup, in.Location)
	}
	doc.Tags, doc.Properties = in.Tags, flags
	return s.saveAccount(ctx, r, existing, doc)
}

func (s *Service) createAccount(ctx context.Context, r *pipeline.Request, id arm.ID, in accountInput, flags accountFlags) (*wire.Response, error) {
	loc := arm.NormalizeLocation(in.Location)
	if !locationPattern.MatchString(loc) {
		return nil, wire.BadRequest("LocationNotAvailableForResourceType", "location", "The provided location '"+in.Location+
			"' is not available for resource type '"+accountARMType+"': a location is 1 to 27 letters and digits, such as 'eastus'.")
	}
	doc := &accountDocument{
		ID: id.String(), Name: id.Name(), Location: loc, Tags: in.Tags, Properties: flags,
		AccountID: loc + "_" + uuid.NewString(),
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode account: %w", err)
	}
	now := s.now().UTC()
	res := &tokend.Resource{
		Key: id.Key(), ID: id.String(), Type: accountType, Name: id.Name(), UID: uuid.NewString(),
		ETag: arm.NewETag(), Body: body, SortName: doc.AccountID,
		CreatedAt: now, UpdatedAt: now, CreatedBy: r.Caller(), UpdatedBy: r.Caller(),
	}
	err = s.store.InTx(ctx, func(q tokend.Queries) error {
		if err := r.EnsureParent(ctx, q); err != nil {
			return err
		}
		if err := q.CreateResource(ctx, res); err != nil {
			return err
		}
		return q.CreatePlaywrightAccount(ctx, &tokend.PlaywrightAccount{ID: doc.AccountID, ResourceKey: res.Key, CreatedAt: now})
	})
	if errors.Is(err, tokend.ErrAlreadyExists) {
		return nil, arm.ErrRaced
	}
	if err != nil {
		return nil, fmt.Errorf("create account %s: %w", id, err)
	}
	return wire.JSON(http.StatusCreated, renderARM(res, doc, r.BaseURL)).WithHeader("Retry-After", "0"), nil
}

func (s *Service) saveAccount(ctx context.Context, r *pipeline.Request, res *tokend.Resource, doc *accountDocument) (*wire.Response, error) {
	if err := arm.SaveBody(ctx, s.store, res, doc, r.Caller(), s.now().UTC()); err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, renderARM(res, doc, r.BaseURL)), nil
}

// accountUpdate is the PATCH body (AccountUpdate): every member optional.
type accountUpdate struct {
	Tags       *map[string]string `json:"tags"`
	Properties *flagsInput        `json:"properties"`
}

func (s *Service) patchAccount(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := accountResourceID(r)
	if err := validateAccountName(id.Name()); err != nil {
		return nil, err
	}
	var patch accountUpdate
	if err := r.Decode(&patch); err != nil {
		return nil, err
	}
	if patch.Tags != nil {
		if err := arm.ValidateTags(*patch.Tags); err != nil {
			return nil, err
		}
	}
	return accountWriteWins(ctx, id, func() (*wire.Response, error) {
		res, doc, err := s.loadAccount(ctx, id)
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
		return s.saveAccount(ctx, r, res, doc)
	})
}

// deleteAccount removes the account, its index row and all of its access
// tokens in one transaction, so every token stops working with the
// commit, and records the operation's outcome for the Location it answers
// 202 with (the contract's LRO: 202 + Location, or 204 when absent).
func (s *Service) deleteAccount(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := accountResourceID(r)
	if err := validateAccountName(id.Name()); err != nil {
		return nil, err
	}
	res, err := s.store.GetResource(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return wire.Empty(http.StatusNoContent), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load account %s: %w", id, err)
	}
	doc, err := decodeAccount(res)
	if err != nil {
		return nil, err
	}
	start := s.now().UTC()
	op := newOperation(id, doc.Location, start)
	err = s.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.DeleteResource(ctx, res.Key, ""); err != nil {
			return err
		}
		if err := q.DeletePlaywrightAccount(ctx, doc.AccountID); err != nil && !errors.Is(err, tokend.ErrNotFound) {
			return err
		}
		op.finish(s.now().UTC(), "Succeeded")
		return q.CreateResource(ctx, op.resource(r.Caller()))
	})
	if errors.Is(err, tokend.ErrNotFound) {
		// A concurrent DELETE won: for this caller the account is absent.
		return wire.Empty(http.StatusNoContent), nil
	}
	if err != nil {
		return nil, fmt.Errorf("delete account %s: %w", id, err)
	}
	s.cfg.Browsers.CloseParent(doc.AccountID)
	return wire.Empty(http.StatusAccepted).
		WithHeader("Location", r.BaseURL+op.ID.String()+"?api-version="+r.APIVersion).
		WithHeader("Retry-After", "0"), nil
}

// onGroupDelete runs in the transaction that deletes a resource group: the
// group's accounts go with their resources, and their tokens with them.
func (s *Service) onGroupDelete(ctx context.Context, q tokend.Queries, groupKey string) error {
	return DeleteIndexedUnder(ctx, q, groupKey, accountType)
}

// DeleteIndexedUnder removes from the id index (and so every access token
// of) each resource of type below groupKey whose SortName is its
// data-plane id: a group-delete hook of a provider whose resources the
// index holds.
func DeleteIndexedUnder(ctx context.Context, q tokend.Queries, groupKey, typ string) error {
	list, err := q.ListResources(ctx, tokend.ResourceQuery{Scope: groupKey, Type: typ})
	if err != nil {
		return fmt.Errorf("list %s under %s: %w", typ, groupKey, err)
	}
	for _, res := range list {
		if err := q.DeletePlaywrightAccount(ctx, res.SortName); err != nil && !errors.Is(err, tokend.ErrNotFound) {
			return fmt.Errorf("delete tokens of %s: %w", res.ID, err)
		}
	}
	return nil
}

func (s *Service) listAccounts(ctx context.Context, r *pipeline.Request, scope string) (*wire.Response, error) {
	return arm.ListRendered(ctx, s.store, r, tokend.ResourceQuery{Scope: scope, Type: accountType}, accountPageSize,
		func(res *tokend.Resource) (armAccount, error) {
			doc, err := decodeAccount(res)
			if err != nil {
				return armAccount{}, err
			}
			return renderARM(res, doc, r.BaseURL), nil
		})
}

func (s *Service) listAccountsBySubscription(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return s.listAccounts(ctx, r, arm.SubscriptionKey(r.Param("subscriptionId")))
}

func (s *Service) listAccountsByGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	gid := arm.ID{SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName")}
	return s.listAccounts(ctx, r, gid.Key())
}
