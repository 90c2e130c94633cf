package resources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Versions are the Microsoft.Resources versions served: those the
// armresources and armsubscriptions clients send, and older ones.
var Versions = wire.NewAPIVersions(
	"2016-06-01", "2018-05-01", "2019-10-01", "2019-11-01", "2020-01-01", "2020-06-01", "2020-10-01",
	"2021-01-01", "2021-04-01", "2022-01-01", "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01",
	"2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01",
)

// Namespace is the provider namespace served.
const Namespace = "Microsoft.Resources"

// Config is what the provider needs.
type Config struct {
	Store tokend.Store
	// GroupPageSize is resource groups per list page; default 100.
	GroupPageSize int
	// ResourcePageSize is resources per page of Resources_List; default 100.
	ResourcePageSize int
	// ResourcePageCache bounds the bytes of Resources_List pages
	// remembered until their subscription changes (pagecache.go); 0 is
	// the default, 32 MiB, and a negative value remembers none.
	ResourcePageCache int
	// OnGroupDelete are the other providers' hooks, run in the transaction
	// that deletes a group.
	OnGroupDelete []pipeline.GroupDeleteHook
	// Access lists a caller's role scopes, for the lists by access
	// (subscriptions, tenants); nil shows everything (no authorization).
	Access AccessFunc
	// Locations are the regions subscriptions list; default
	// DefaultLocations.
	Locations []Location
	// Providers are the descriptors of the providers tokend serves,
	// listed as resource providers (Microsoft.Resources adds itself).
	Providers []*pipeline.Provider
	Now       func() time.Time
}

// Provider serves subscriptions and resource groups.
type Provider struct {
	cfg Config
	// pages are Resources_List's pages as last rendered.
	pages *pageCache
}

// New returns the provider's descriptor.
func New(cfg Config) *pipeline.Provider {
	if cfg.GroupPageSize == 0 {
		cfg.GroupPageSize = 100
	}
	if cfg.ResourcePageSize == 0 {
		cfg.ResourcePageSize = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Locations) == 0 {
		cfg.Locations = DefaultLocations
	}
	if cfg.ResourcePageCache == 0 {
		cfg.ResourcePageCache = defaultPageCacheBytes
	}
	p := &Provider{cfg: cfg, pages: newPageCache(cfg.ResourcePageCache)}
	const sub = "/subscriptions/{subscriptionId}"
	const group = sub + "/resourcegroups/{resourceGroupName}"
	const ns = "/providers/{resourceProviderNamespace}"
	desc := &pipeline.Provider{
		Namespace: Namespace, Family: wire.FamilyARM, Versions: Versions,
		Routes: []pipeline.Route{
			// Subscriptions, their locations and tenants are listed by
			// access: any role at, below or above a subscription shows it.
			{Method: http.MethodGet, Pattern: "/subscriptions", Handler: p.listSubscriptions, AuthorizesItself: true},
			{Method: http.MethodGet, Pattern: sub, Handler: p.getSubscription, AuthorizesItself: true},
			{Method: http.MethodGet, Pattern: sub + "/locations", Handler: p.listLocations, AuthorizesItself: true},
			{Method: http.MethodGet, Pattern: "/tenants", Handler: p.listTenants, AuthorizesItself: true},
			{Method: http.MethodGet, Pattern: sub + "/resourcegroups", Handler: p.listGroups},
			{Method: http.MethodGet, Pattern: group, Handler: p.getGroup},
			{Method: http.MethodHead, Pattern: group, Handler: p.headGroup},
			{Method: http.MethodPut, Pattern: group, Handler: p.putGroup},
			{Method: http.MethodPatch, Pattern: group, Handler: p.patchGroup},
			{Method: http.MethodDelete, Pattern: group, Handler: p.deleteGroup},
			// Every provider's top-level resources, from the one resources
			// table; moving them is refused in words (tokend does not move).
			{Method: http.MethodGet, Pattern: sub + "/resources", Handler: p.listResources},
			{Method: http.MethodGet, Pattern: group + "/resources", Handler: p.listResources},
			{Method: http.MethodPost, Pattern: group + "/moveResources", Handler: p.refuseMove},
			{Method: http.MethodPost, Pattern: group + "/validateMoveResources", Handler: p.refuseMove},
			// Operations_List of every namespace served, derived from the
			// routes; any signed-in caller may read it, as in Azure.
			{Method: http.MethodGet, Pattern: ns + "/operations", Handler: p.listOperations, AuthorizesItself: true,
				Versions: servedVersions(cfg.Providers)},
			// Resource providers: any caller may read what tokend serves;
			// registering needs the action Contributor holds.
			{Method: http.MethodGet, Pattern: "/providers", Handler: p.listProviders, AuthorizesItself: true},
			{Method: http.MethodGet, Pattern: ns, Handler: p.getProvider, AuthorizesItself: true},
			{Method: http.MethodGet, Pattern: sub + "/providers", Handler: p.listProviders, AuthorizesItself: true},
			{Method: http.MethodGet, Pattern: sub + ns, Handler: p.getProvider, AuthorizesItself: true},
			{Method: http.MethodPost, Pattern: sub + ns + "/register", Handler: p.setRegistration(stateRegistered),
				Action: "Microsoft.Resources/subscriptions/providers/register/action"},
			{Method: http.MethodPost, Pattern: sub + ns + "/unregister", Handler: p.setRegistration(stateUnregistered),
				Action: "Microsoft.Resources/subscriptions/providers/unregister/action"},
		},
	}
	p.cfg.Providers = append(append([]*pipeline.Provider(nil), cfg.Providers...), desc)
	return desc
}

type subscriptionBody struct {
	ID                   string               `json:"id"`
	SubscriptionID       string               `json:"subscriptionId"`
	TenantID             string               `json:"tenantId"`
	DisplayName          string               `json:"displayName"`
	State                string               `json:"state"`
	SubscriptionPolicies subscriptionPolicies `json:"subscriptionPolicies"`
	AuthorizationSource  string               `json:"authorizationSource"`
	ManagedByTenants     []struct{}           `json:"managedByTenants"`
}

type subscriptionPolicies struct {
	LocationPlacementID string `json:"locationPlacementId"`
	QuotaID             string `json:"quotaId"`
	SpendingLimit       string `json:"spendingLimit"`
}

func toSubscriptionBody(s *tokend.Subscription) subscriptionBody {
	return subscriptionBody{ID: "/subscriptions/" + s.ID, SubscriptionID: s.ID, TenantID: s.TenantID, DisplayName: s.DisplayName, State: s.State,
		SubscriptionPolicies: subscriptionPolicies{LocationPlacementID: "Public_2014-09-01", QuotaID: "PayAsYouGo_2014-09-01", SpendingLimit: "Off"},
		AuthorizationSource:  "RoleBased", ManagedByTenants: []struct{}{}}
}

// listSubscriptions is Subscriptions_List: the subscriptions the caller
// holds a role at, below or above.
func (p *Provider) listSubscriptions(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	v, err := p.visibility(ctx, r)
	if err != nil {
		return nil, err
	}
	subs, err := p.cfg.Store.ListSubscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	out := make([]subscriptionBody, 0, len(subs))
	for _, s := range subs {
		if v.sees(s.ID) {
			out = append(out, toSubscriptionBody(s))
		}
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": out}), nil
}

// requireVisible answers as for a missing subscription when the caller
// holds no role at, below or above it: its existence is not told.
func (p *Provider) requireVisible(ctx context.Context, r *pipeline.Request, sub string) error {
	v, err := p.visibility(ctx, r)
	if err != nil {
		return err
	}
	if !v.sees(sub) {
		return wire.Errorf(http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+wire.Clip(sub)+"' could not be found.")
	}
	return nil
}

func (p *Provider) getSubscription(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if err := p.requireVisible(ctx, r, r.Param("subscriptionId")); err != nil {
		return nil, err
	}
	s, err := p.cfg.Store.GetSubscription(ctx, strings.ToLower(r.Param("subscriptionId")))
	if err != nil {
		return nil, fmt.Errorf("get subscription: %w", err)
	}
	return wire.JSON(http.StatusOK, toSubscriptionBody(s)), nil
}

func groupID(r *pipeline.Request) arm.ID {
	return arm.ID{SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName")}
}

func (p *Provider) loadGroup(ctx context.Context, id arm.ID) (*tokend.Resource, error) {
	res, err := p.cfg.Store.GetResource(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, arm.GroupNotFound(id.ResourceGroup)
	}
	if err != nil {
		return nil, fmt.Errorf("load resource group %s: %w", id, err)
	}
	return res, nil
}

func (p *Provider) getGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	res, err := p.loadGroup(ctx, groupID(r))
	if err != nil {
		return nil, err
	}
	return &wire.Response{Status: http.StatusOK, Body: json.RawMessage(res.Body)}, nil
}

func (p *Provider) headGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if _, err := p.loadGroup(ctx, groupID(r)); err != nil {
		return nil, err
	}
	return wire.Empty(http.StatusNoContent), nil
}

func (p *Provider) putGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := groupID(r)
	if err := arm.ValidateGroupName(id.ResourceGroup); err != nil {
		return nil, err
	}
	var in arm.ResourceGroup
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Location) == "" {
		return nil, wire.BadRequest("LocationRequired", "location", "The location property is required for this definition.")
	}
	return groupWriteWins(ctx, id, func() (*wire.Response, error) { return p.putGroupOnce(ctx, r, id, in) })
}

// groupWriteWins runs one read-modify-write of group id until it does not
// race with another request's.
func groupWriteWins(ctx context.Context, id arm.ID, attempt func() (*wire.Response, error)) (*wire.Response, error) {
	return arm.LastWriterWins(ctx, wire.Errorf(http.StatusConflict, "Conflict",
		"The resource group '"+id.ResourceGroup+"' is being changed by many requests at once; retry."), attempt)
}

func (p *Provider) putGroupOnce(ctx context.Context, r *pipeline.Request, id arm.ID, in arm.ResourceGroup) (*wire.Response, error) {
	existing, err := p.cfg.Store.GetResource(ctx, id.Key())
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		res := arm.NewGroupResource(id, in.Location, in.Tags, in.ManagedBy, r.Caller(), p.cfg.Now())
		if err := p.cfg.Store.CreateResource(ctx, res); err != nil {
			if errors.Is(err, tokend.ErrAlreadyExists) {
				return nil, arm.ErrRaced // another creator won: now it is an update
			}
			return nil, fmt.Errorf("create resource group %s: %w", id, err)
		}
		return &wire.Response{Status: http.StatusCreated, Body: json.RawMessage(res.Body)}, nil
	case err != nil:
		return nil, fmt.Errorf("load resource group %s: %w", id, err)
	}
	var cur arm.ResourceGroup
	if err := json.Unmarshal(existing.Body, &cur); err != nil {
		return nil, fmt.Errorf("decode stored resource group %s: %w", id, err)
	}
	if !strings.EqualFold(arm.NormalizeLocation(cur.Location), arm.NormalizeLocation(in.Location)) {
		return nil, &wire.Error{Status: http.StatusConflict, Code: "InvalidResourceGroupLocation", Target: "location",
			Message: "Invalid resource group location '" + in.Location + "'. The Resource group already exists in location '" + cur.Location + "'."}
	}
	cur.Tags, cur.ManagedBy = in.Tags, in.ManagedBy
	return p.saveGroup(ctx, existing, cur, r.Caller())
}

func (p *Provider) patchGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := groupID(r)
	var patch groupPatch
	if err := r.Decode(&patch); err != nil {
		return nil, err
	}
	return groupWriteWins(ctx, id, func() (*wire.Response, error) { return p.patchGroupOnce(ctx, r, id, patch) })
}

// groupPatch is what a resource group PATCH may change.
type groupPatch struct {
	Tags      *map[string]string `json:"tags"`
	ManagedBy *string            `json:"managedBy"`
}

func (p *Provider) patchGroupOnce(ctx context.Context, r *pipeline.Request, id arm.ID, patch groupPatch) (*wire.Response, error) {
	existing, err := p.loadGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	var cur arm.ResourceGroup
	if err := json.Unmarshal(existing.Body, &cur); err != nil {
		return nil, fmt.Errorf("decode stored resource group %s: %w", id, err)
	}
	if patch.Tags != nil {
		cur.Tags = *patch.Tags
	}
	if patch.ManagedBy != nil {
		cur.ManagedBy = *patch.ManagedBy
	}
	return p.saveGroup(ctx, existing, cur, r.Caller())
}

func (p *Provider) saveGroup(ctx context.Context, res *tokend.Resource, g arm.ResourceGroup, caller string) (*wire.Response, error) {
	body, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode resource group: %w", err)
	}
	prev := res.ETag
	res.Body, res.ETag, res.UpdatedAt, res.UpdatedBy = body, arm.NewETag(), p.cfg.Now().UTC(), caller
	if err := p.cfg.Store.UpdateResource(ctx, res, prev); err != nil {
		if errors.Is(err, tokend.ErrPreconditionFailed) || errors.Is(err, tokend.ErrNotFound) {
			return nil, arm.ErrRaced
		}
		return nil, fmt.Errorf("update resource group %s: %w", res.ID, err)
	}
	return &wire.Response{Status: http.StatusOK, Body: json.RawMessage(body)}, nil
}

func (p *Provider) deleteGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := groupID(r)
	if _, err := p.loadGroup(ctx, id); err != nil {
		return nil, err
	}
	key := id.Key()
	err := p.cfg.Store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, arm.GroupLockName(key)); err != nil {
			return fmt.Errorf("lock resource group %s: %w", id, err)
		}
		for _, h := range p.cfg.OnGroupDelete {
			if err := h(ctx, q, key); err != nil {
				return err
			}
		}
		if _, err := q.DeleteResourcesUnder(ctx, key); err != nil {
			return fmt.Errorf("delete contents of %s: %w", id, err)
		}
		if err := q.DeleteResource(ctx, key, ""); err != nil && !errors.Is(err, tokend.ErrNotFound) {
			return fmt.Errorf("delete resource group %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return wire.Empty(http.StatusOK), nil
}

func (p *Provider) listGroups(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if r.Query("$filter") != "" {
		return nil, wire.BadRequest("InvalidFilterInQueryString", "$filter",
			"tokend does not filter resource groups; list them without '$filter' (tag filters are not supported).")
	}
	page, err := arm.ListPage(ctx, p.cfg.Store, r, tokend.ResourceQuery{
		Scope: arm.SubscriptionKey(r.Param("subscriptionId")), Type: arm.GroupTypeKey,
	}, p.cfg.GroupPageSize)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, page), nil
}
