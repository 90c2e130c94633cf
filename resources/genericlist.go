package resources

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Resources_List and Resources_ListByResourceGroup: the top-level
// resources of every provider in a subscription or group, read from the
// one resources table. Resource groups themselves and child resources
// (a type with more than one segment below its namespace, such as
// Microsoft.ApiManagement/service/authorizationServers, or a Playwright
// operation status below a location) are not listed, as ARM lists neither.

// maxResourceTop is the largest $top served: a bound on one request's work.
const maxResourceTop = 1000

// genericResource is GenericResourceExpanded: what the lists show of any
// provider's resource, read from the document the provider stored.
type genericResource struct {
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	Type              string          `json:"type"`
	Location          string          `json:"location,omitempty"`
	ExtendedLocation  json.RawMessage `json:"extendedLocation,omitempty"`
	Tags              json.RawMessage `json:"tags,omitempty"`
	Kind              json.RawMessage `json:"kind,omitempty"`
	SKU               json.RawMessage `json:"sku,omitempty"`
	Identity          json.RawMessage `json:"identity,omitempty"`
	ManagedBy         json.RawMessage `json:"managedBy,omitempty"`
	Plan              json.RawMessage `json:"plan,omitempty"`
	CreatedTime       string          `json:"createdTime,omitempty"`
	ChangedTime       string          `json:"changedTime,omitempty"`
	ProvisioningState string          `json:"provisioningState,omitempty"`
}

// storedDocument is what the lists read of a provider's document.
type storedDocument struct {
	Type             string          `json:"type"`
	Location         string          `json:"location"`
	ExtendedLocation json.RawMessage `json:"extendedLocation"`
	Tags             json.RawMessage `json:"tags"`
	Kind             json.RawMessage `json:"kind"`
	SKU              json.RawMessage `json:"sku"`
	Identity         json.RawMessage `json:"identity"`
	ManagedBy        json.RawMessage `json:"managedBy"`
	Plan             json.RawMessage `json:"plan"`
	Properties       struct {
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
}

// expansion is the $expand of the lists: which extra fields to show.
type expansion struct{ created, changed, state bool }

func parseExpand(s string) (expansion, error) {
	var e expansion
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "":
		case "createdtime":
			e.created = true
		case "changedtime":
			e.changed = true
		case "provisioningstate":
			e.state = true
		default:
			return e, wire.BadRequest("InvalidExpandInQueryString", "$expand",
				"The $expand value '"+wire.Clip(f)+"' is not supported: use createdTime, changedTime and provisioningState, comma-separated.")
		}
	}
	return e, nil
}

// checkTop refuses a $top beyond what one request may ask for (the window
// in package arm refuses the rest).
func checkTop(s string) error {
	if n, err := strconv.Atoi(s); err == nil && n > maxResourceTop {
		return wire.BadRequest("InvalidParameter", "$top", "The value of '$top' must be between 1 and "+strconv.Itoa(maxResourceTop)+".")
	}
	return nil
}

// nullJSON drops a JSON null, which the schema's objects do not allow.
func nullJSON(raw json.RawMessage) json.RawMessage {
	if string(raw) == "null" {
		return nil
	}
	return raw
}

// isTopLevelInGroup reports a canonical key of the form
// /subscriptions/{s}/resourcegroups/{g}/providers/{ns}/{type}/{name}.
func isTopLevelInGroup(key string) bool {
	segs := strings.Split(key, "/")
	return len(segs) == 9 && segs[3] == "resourcegroups" && segs[5] == "providers"
}

// groupOfKey is the resource group segment of a canonical key.
func groupOfKey(key string) string {
	if segs := strings.SplitN(key, "/", 6); len(segs) == 6 {
		return segs[4]
	}
	return ""
}

// resourceMatcher renders a stored resource for the lists, or rejects it.
type resourceMatcher struct {
	filter resourceFilter
	expand expansion
}

func (m resourceMatcher) keep(res *tokend.Resource) (json.RawMessage, bool, error) {
	f := m.filter
	if !isTopLevelInGroup(res.Key) || res.Type == arm.GroupTypeKey {
		return nil, false, nil
	}
	if f.Name != "" && !strings.EqualFold(res.Name, f.Name) ||
		f.NameContains != "" && !strings.Contains(strings.ToLower(res.Name), strings.ToLower(f.NameContains)) ||
		f.ResourceGroup != "" && groupOfKey(res.Key) != strings.ToLower(f.ResourceGroup) {
		return nil, false, nil
	}
	var doc storedDocument
	// A document that does not decode is still listed by what its row says.
	_ = json.Unmarshal(res.Body, &doc)
	if f.TagName != "" && !hasTag(doc.Tags, f.TagName, f.TagValue) {
		return nil, false, nil
	}
	typ := doc.Type
	if !strings.EqualFold(typ, res.Type) {
		typ = res.Type
		if id, err := arm.ParseID(res.ID); err == nil {
			typ = id.Type()
		}
	}
	g := genericResource{
		ID: res.ID, Name: res.Name, Type: typ, Location: doc.Location,
		ExtendedLocation: nullJSON(doc.ExtendedLocation), Tags: nullJSON(doc.Tags), Kind: nullJSON(doc.Kind),
		SKU: nullJSON(doc.SKU), Identity: nullJSON(doc.Identity), ManagedBy: nullJSON(doc.ManagedBy), Plan: nullJSON(doc.Plan),
	}
	if m.expand.created {
		g.CreatedTime = arm.FormatTime(res.CreatedAt)
	}
	if m.expand.changed {
		g.ChangedTime = arm.FormatTime(res.UpdatedAt)
	}
	if m.expand.state {
		// Every write completes before tokend answers it, so a stored
		// document that does not keep a state of its own has succeeded.
		g.ProvisioningState = cmp.Or(doc.Properties.ProvisioningState, "Succeeded")
	}
	b, err := json.Marshal(g)
	return b, err == nil, err
}

// hasTag reports a tag named name (without regard to case, as ARM's tag
// names) and, when value is set, with exactly that value.
func hasTag(raw json.RawMessage, name string, value *string) bool {
	var tags map[string]string
	if json.Unmarshal(raw, &tags) != nil {
		return false
	}
	for k, v := range tags {
		if strings.EqualFold(k, name) && (value == nil || v == *value) {
			return true
		}
	}
	return false
}

// listResources is Resources_List and Resources_ListByResourceGroup.
func (p *Provider) listResources(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	filter, err := parseResourceFilter(r.Query("$filter"))
	if err != nil {
		return nil, err
	}
	expand, err := parseExpand(r.Query("$expand"))
	if err != nil {
		return nil, err
	}
	if err := checkTop(r.Query("$top")); err != nil {
		return nil, err
	}
	q := tokend.ResourceQuery{Scope: arm.SubscriptionKey(r.Param("subscriptionId")) + "/resourcegroups", Type: strings.ToLower(filter.ResourceType)}
	switch {
	case r.Param("resourceGroupName") != "":
		q.Scope = groupID(r).Key()
	case filter.ResourceGroup != "" && !strings.Contains(filter.ResourceGroup, "/"):
		q.Scope += "/" + strings.ToLower(filter.ResourceGroup) // the group's range only
	}
	m := resourceMatcher{filter: filter, expand: expand}
	items, next, err := arm.ListMatching(ctx, p.cfg.Store, r, q, filter.canonical(), p.cfg.ResourcePageSize, m.keep)
	if err != nil {
		return nil, err
	}
	var link *string
	if next != "" {
		link = &next
	}
	return &wire.Response{Status: http.StatusOK, Body: wire.EncodeList(items, "nextLink", link)}, nil
}
