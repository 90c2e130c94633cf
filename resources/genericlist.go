package resources

import (
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

// listedMembers are the members of a stored document that an item of the
// lists (GenericResourceExpanded) shows as they are, in the schema's order.
var listedMembers = [...]string{"location", "extendedLocation", "tags", "kind", "sku", "identity", "managedBy", "plan"}

// documentMembers are the raw values eachMember found of a document.
type documentMembers struct {
	typ, properties []byte
	listed          [len(listedMembers)][]byte
}

func readDocument(body []byte) documentMembers {
	var d documentMembers
	ok := eachMember(body, func(key, value []byte) {
		if string(value) == "null" { // the schema's objects do not allow null
			return
		}
		switch k := string(key); k {
		case "type":
			d.typ = value
		case "properties":
			d.properties = value
		default:
			for i, name := range listedMembers {
				if k == name {
					d.listed[i] = value
				}
			}
		}
	})
	if !ok {
		return documentMembers{} // listed by what its row says
	}
	return d
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

// isTopLevelInGroup reports a canonical key of the form
// /subscriptions/{s}/resourcegroups/{g}/providers/{ns}/{type}/{name},
// without splitting it: it runs on every row a list reads.
func isTopLevelInGroup(key string) bool {
	var at [9]int // where each '/' is
	n := 0
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			if n == len(at) {
				return false
			}
			at[n] = i
			n++
		}
	}
	return n == 8 && key[at[2]+1:at[3]] == "resourcegroups" && key[at[4]+1:at[5]] == "providers"
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
	// rendered holds the page's items one after another: an item is a
	// slice of it, which stays valid when it grows (only appended to),
	// so a page allocates a few buffers rather than one per item.
	rendered []byte
}

func (m *resourceMatcher) keep(res *tokend.Resource) (json.RawMessage, bool, error) {
	f := m.filter
	if !isTopLevelInGroup(res.Key) || res.Type == arm.GroupTypeKey {
		return nil, false, nil
	}
	if f.Name != "" && !strings.EqualFold(res.Name, f.Name) ||
		f.NameContains != "" && !strings.Contains(strings.ToLower(res.Name), strings.ToLower(f.NameContains)) ||
		f.ResourceGroup != "" && groupOfKey(res.Key) != strings.ToLower(f.ResourceGroup) {
		return nil, false, nil
	}
	doc := readDocument(res.Body)
	const tags = 2 // listedMembers[2]
	if f.TagName != "" && !hasTag(doc.listed[tags], f.TagName, f.TagValue) {
		return nil, false, nil
	}
	start := len(m.rendered)
	b := m.rendered
	b = append(b, `{"id":`...)
	b = appendJSONString(b, res.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, res.Name)
	b = append(b, `,"type":`...)
	if typ, ok := plainString(doc.typ); ok && strings.EqualFold(typ, res.Type) {
		b = append(b, doc.typ...) // the provider's casing
	} else if id, err := arm.ParseID(res.ID); err == nil {
		b = appendJSONString(b, id.Type())
	} else {
		b = appendJSONString(b, res.Type)
	}
	for i, raw := range doc.listed {
		if len(raw) > 0 {
			b = append(append(append(append(b, ',', '"'), listedMembers[i]...), '"', ':'), raw...)
		}
	}
	if m.expand.created {
		b = append(append(append(b, `,"createdTime":"`...), arm.FormatTime(res.CreatedAt)...), '"')
	}
	if m.expand.changed {
		b = append(append(append(b, `,"changedTime":"`...), arm.FormatTime(res.UpdatedAt)...), '"')
	}
	if m.expand.state {
		b = append(b, `,"provisioningState":`...)
		b = append(b, provisioningState(doc.properties)...)
	}
	m.rendered = append(b, '}')
	return m.rendered[start:len(m.rendered):len(m.rendered)], true, nil
}

// provisioningState is the raw properties.provisioningState of a document.
// Every write completes before tokend answers it, so a document that does
// not keep a state of its own has succeeded.
func provisioningState(properties []byte) []byte {
	state := []byte(`"Succeeded"`)
	eachMember(properties, func(key, value []byte) {
		if string(key) == "provisioningState" && value[0] == '"' {
			state = value
		}
	})
	return state
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
	m := &resourceMatcher{filter: filter, expand: expand, rendered: make([]byte, 0, 400*p.cfg.ResourcePageSize)}
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
