package arm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// ResourcesAPIVersions are the Microsoft.Resources versions served: those the
// armresources and armsubscriptions clients send, and older ones.
var ResourcesAPIVersions = NewAPIVersions(
	"2016-06-01", "2018-05-01", "2019-10-01", "2020-01-01", "2020-06-01", "2020-10-01",
	"2021-01-01", "2021-04-01", "2022-01-01", "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01",
	"2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01",
)

const groupType = "microsoft.resources/resourcegroups"

var groupNamePattern = regexp.MustCompile(`^[-\w._()]+$`)

// GroupDeleteHook runs inside the transaction that deletes a resource group,
// for providers that keep rows outside the resources table.
type GroupDeleteHook func(ctx context.Context, q tokend.Queries, groupKey string) error

type groupHooks struct{ onDelete []GroupDeleteHook }

// OnGroupDelete registers a hook run when a resource group is deleted.
func (rt *Router) OnGroupDelete(h GroupDeleteHook) {
	rt.groups.onDelete = append(rt.groups.onDelete, h)
}

type resourceGroup struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	ManagedBy  string            `json:"managedBy,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Properties struct {
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
}

type subscriptionBody struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
	TenantID       string `json:"tenantId"`
	DisplayName    string `json:"displayName"`
	State          string `json:"state"`
}

func registerResources(rt *Router) {
	p := rt.Provider("Microsoft.Resources", FamilyARM, ResourcesAPIVersions)
	const sub = "/subscriptions/{subscriptionId}"
	const group = sub + "/resourcegroups/{resourceGroupName}"
	p.Handle(http.MethodGet, "/subscriptions", rt.listSubscriptions)
	p.Handle(http.MethodGet, sub, rt.getSubscription)
	p.Handle(http.MethodGet, sub+"/resourcegroups", rt.listGroups)
	p.Handle(http.MethodGet, group, rt.getGroup)
	p.Handle(http.MethodHead, group, rt.headGroup)
	p.Handle(http.MethodPut, group, rt.putGroup)
	p.Handle(http.MethodPatch, group, rt.patchGroup)
	p.Handle(http.MethodDelete, group, rt.deleteGroup)
}

func toSubscriptionBody(s *tokend.Subscription) subscriptionBody {
	return subscriptionBody{ID: "/subscriptions/" + s.ID, SubscriptionID: s.ID, TenantID: s.TenantID, DisplayName: s.DisplayName, State: s.State}
}

func (rt *Router) listSubscriptions(ctx context.Context, r *Request) (*Response, error) {
	subs, err := rt.cfg.Store.ListSubscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	out := make([]subscriptionBody, 0, len(subs))
	for _, s := range subs {
		out = append(out, toSubscriptionBody(s))
	}
	return JSON(http.StatusOK, map[string]any{"value": out}), nil
}

func (rt *Router) getSubscription(ctx context.Context, r *Request) (*Response, error) {
	s, err := rt.cfg.Store.GetSubscription(ctx, strings.ToLower(r.Param("subscriptionId")))
	if err != nil {
		return nil, fmt.Errorf("get subscription: %w", err)
	}
	return JSON(http.StatusOK, toSubscriptionBody(s)), nil
}

func groupID(r *Request) ID {
	return ID{SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName")}
}

func (rt *Router) loadGroup(ctx context.Context, id ID) (*tokend.Resource, error) {
	res, err := rt.cfg.Store.GetResource(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, Errorf(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+id.ResourceGroup+"' could not be found.")
	}
	if err != nil {
		return nil, fmt.Errorf("load resource group %s: %w", id, err)
	}
	return res, nil
}

func (rt *Router) getGroup(ctx context.Context, r *Request) (*Response, error) {
	res, err := rt.loadGroup(ctx, groupID(r))
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK, Body: json.RawMessage(res.Body)}, nil
}

func (rt *Router) headGroup(ctx context.Context, r *Request) (*Response, error) {
	if _, err := rt.loadGroup(ctx, groupID(r)); err != nil {
		return nil, err
	}
	return Empty(http.StatusNoContent), nil
}

func validateGroupName(name string) error {
	if len(name) > 90 || !groupNamePattern.MatchString(name) || strings.HasSuffix(name, ".") {
		return BadRequest("InvalidResourceGroup", "resourceGroupName",
			"The resource group name '"+name+"' is invalid: it must be 1 to 90 letters, digits, '-', '_', '.', '(' or ')', and must not end with '.'.")
	}
	return nil
}

func (rt *Router) putGroup(ctx context.Context, r *Request) (*Response, error) {
	id := groupID(r)
	if err := validateGroupName(id.ResourceGroup); err != nil {
		return nil, err
	}
	var in resourceGroup
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Location) == "" {
		return nil, BadRequest("LocationRequired", "location", "The location property is required for this definition.")
	}
	existing, err := rt.cfg.Store.GetResource(ctx, id.Key())
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		res := rt.newGroupResource(id, in.Location, in.Tags, in.ManagedBy, r.Caller())
		if err := rt.cfg.Store.CreateResource(ctx, res); err != nil {
			if errors.Is(err, tokend.ErrAlreadyExists) {
				return rt.putGroup(ctx, r) // lost a race with another creator: now it is an update
			}
			return nil, fmt.Errorf("create resource group %s: %w", id, err)
		}
		return &Response{Status: http.StatusCreated, Body: json.RawMessage(res.Body)}, nil
	case err != nil:
		return nil, fmt.Errorf("load resource group %s: %w", id, err)
	}
	var cur resourceGroup
	if err := json.Unmarshal(existing.Body, &cur); err != nil {
		return nil, fmt.Errorf("decode stored resource group %s: %w", id, err)
	}
	if !strings.EqualFold(normalizeLocation(cur.Location), normalizeLocation(in.Location)) {
		return nil, &Error{Status: http.StatusConflict, Code: "InvalidResourceGroupLocation", Target: "location",
			Message: "Invalid resource group location '" + in.Location + "'. The Resource group already exists in location '" + cur.Location + "'."}
	}
	cur.Tags, cur.ManagedBy = in.Tags, in.ManagedBy
	return rt.saveGroup(ctx, existing, cur, r.Caller())
}

func (rt *Router) patchGroup(ctx context.Context, r *Request) (*Response, error) {
	id := groupID(r)
	existing, err := rt.loadGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	var patch struct {
		Tags      *map[string]string `json:"tags"`
		ManagedBy *string            `json:"managedBy"`
	}
	if err := r.Decode(&patch); err != nil {
		return nil, err
	}
	var cur resourceGroup
	if err := json.Unmarshal(existing.Body, &cur); err != nil {
		return nil, fmt.Errorf("decode stored resource group %s: %w", id, err)
	}
	if patch.Tags != nil {
		cur.Tags = *patch.Tags
	}
	if patch.ManagedBy != nil {
		cur.ManagedBy = *patch.ManagedBy
	}
	return rt.saveGroup(ctx, existing, cur, r.Caller())
}

func (rt *Router) saveGroup(ctx context.Context, res *tokend.Resource, g resourceGroup, caller string) (*Response, error) {
	body, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode resource group: %w", err)
	}
	prev := res.ETag
	res.Body, res.ETag, res.UpdatedAt, res.UpdatedBy = body, NewETag(), rt.cfg.Now().UTC(), caller
	if err := rt.cfg.Store.UpdateResource(ctx, res, prev); err != nil {
		if errors.Is(err, tokend.ErrPreconditionFailed) {
			return nil, Errorf(http.StatusConflict, "Conflict", "The resource group was changed by another request; retry.")
		}
		return nil, fmt.Errorf("update resource group %s: %w", res.ID, err)
	}
	return &Response{Status: http.StatusOK, Body: json.RawMessage(body)}, nil
}

func (rt *Router) newGroupResource(id ID, location string, tags map[string]string, managedBy, caller string) *tokend.Resource {
	g := resourceGroup{ID: id.String(), Name: id.ResourceGroup, Type: "Microsoft.Resources/resourceGroups",
		Location: normalizeLocation(location), Tags: tags, ManagedBy: managedBy}
	g.Properties.ProvisioningState = "Succeeded"
	body, _ := json.Marshal(g)
	now := rt.cfg.Now().UTC()
	return &tokend.Resource{
		Key: id.Key(), ID: id.String(), Type: groupType, Name: id.ResourceGroup, UID: uuid.NewString(),
		ETag: NewETag(), Body: body, CreatedAt: now, UpdatedAt: now, CreatedBy: caller, UpdatedBy: caller,
	}
}

// ensureGroup creates the resource group of a PUT's target when it is
// missing: a documented convenience (Azure answers ResourceGroupNotFound;
// --strict-resource-groups restores that). It writes through q, so a
// provider can make it part of the transaction that creates the resource.
func (rt *Router) ensureGroup(ctx context.Context, q tokend.Queries, r *Request) error {
	gid := r.ID.GroupID()
	if err := validateGroupName(gid.ResourceGroup); err != nil {
		return err
	}
	if err := q.Lock(ctx, groupLockName(gid.Key())); err != nil {
		return fmt.Errorf("lock resource group %s: %w", gid, err)
	}
	if _, err := q.GetResource(ctx, gid.Key()); err == nil {
		return nil
	} else if !errors.Is(err, tokend.ErrNotFound) {
		return fmt.Errorf("check resource group %s: %w", gid, err)
	}
	var loc struct {
		Location string `json:"location"`
	}
	_ = json.Unmarshal(r.Body, &loc)
	if loc.Location == "" {
		loc.Location = "eastus"
	}
	err := q.CreateResource(ctx, rt.newGroupResource(gid, loc.Location, nil, "", r.Caller()))
	if err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
		return fmt.Errorf("create resource group %s: %w", gid, err)
	}
	return nil
}

// groupLockName names the lock that orders the creation of resources in a
// group (Request.EnsureGroup) with the group's deletion.
func groupLockName(groupKey string) string { return "arm-group:" + groupKey }

func (rt *Router) deleteGroup(ctx context.Context, r *Request) (*Response, error) {
	id := groupID(r)
	if _, err := rt.loadGroup(ctx, id); err != nil {
		return nil, err
	}
	key := id.Key()
	err := rt.cfg.Store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, groupLockName(key)); err != nil {
			return fmt.Errorf("lock resource group %s: %w", id, err)
		}
		for _, h := range rt.groups.onDelete {
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
	return Empty(http.StatusOK), nil
}

func (rt *Router) listGroups(ctx context.Context, r *Request) (*Response, error) {
	if r.Query("$filter") != "" {
		return nil, BadRequest("InvalidFilterInQueryString", "$filter",
			"tokend does not filter resource groups; list them without '$filter' (tag filters are not supported).")
	}
	page, err := ListPage(ctx, rt.cfg.Store, r, tokend.ResourceQuery{
		Scope: SubscriptionKey(r.Param("subscriptionId")), Type: groupType,
	}, rt.cfg.GroupPageSize)
	if err != nil {
		return nil, err
	}
	return JSON(http.StatusOK, page), nil
}

// ListPage serves one page of resources in stored form: at most $top (or
// pageSize) items after the request's continuation token, with a nextLink
// when more may follow, encoded without re-encoding the stored documents.
func ListPage(ctx context.Context, store tokend.ResourceStore, r *Request, q tokend.ResourceQuery, pageSize int) (json.RawMessage, error) {
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
	return EncodeList(values, "nextLink", link), nil
}

// ListResources is ListPage for providers that render items themselves: it
// returns the stored resources of this page and the nextLink ("" when done).
// $top is the total number of results across pages, as ARM defines it; the
// continuation token carries both the keyset position and what remains of
// $top, so following nextLinks never returns more.
func ListResources(ctx context.Context, store tokend.ResourceStore, r *Request, q tokend.ResourceQuery, pageSize int) ([]*tokend.Resource, string, error) {
	remaining := -1 // no $top
	if t := r.Query("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return nil, "", BadRequest("InvalidParameter", "$top", "The value of '$top' must be a positive integer.")
		}
		remaining = n
	}
	if tok := r.Query(SkipTokenParam); tok != "" {
		pos, err := decodeListPosition(tok)
		if err != nil {
			return nil, "", err
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
	tok := encodeListPosition(listPosition{After: items[len(items)-1].Key, Remaining: remaining})
	return items, NextLink(r.BaseURL, r.HTTP, SkipTokenParam, tok), nil
}

// listPosition is what a list continuation token carries.
type listPosition struct {
	After     string `json:"k"`
	Remaining int    `json:"r"` // what is left of $top; -1 when unbounded
}

func encodeListPosition(p listPosition) string {
	b, _ := json.Marshal(p)
	return EncodeSkipToken(string(b))
}

func decodeListPosition(tok string) (listPosition, *Error) {
	raw, aerr := DecodeSkipToken(tok)
	var p listPosition
	if aerr == nil && json.Unmarshal([]byte(raw), &p) == nil && p.After != "" && p.Remaining >= -1 {
		return p, nil
	}
	return p, BadRequest("InvalidSkipToken", SkipTokenParam,
		"The continuation token in '"+SkipTokenParam+"' is malformed; use the nextLink returned by the previous page.")
}

// normalizeLocation writes a location as ARM's short name: "East US" → "eastus".
func normalizeLocation(loc string) string {
	return strings.ToLower(strings.ReplaceAll(loc, " ", ""))
}

// NormalizeLocation is exported for providers.
func NormalizeLocation(loc string) string { return normalizeLocation(loc) }
