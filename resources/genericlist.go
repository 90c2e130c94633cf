package resources

import (
	"context"
	"fmt"
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
	// The page is what the request's URL and base make of the
	// subscription's resources at one generation: read that first, and
	// serve the page remembered with it (pagecache.go).
	subKey := arm.SubscriptionKey(r.Param("subscriptionId"))
	generation, err := p.cfg.Store.ResourceGeneration(ctx, subKey)
	if err != nil {
		return nil, fmt.Errorf("list resources of %s: %w", subKey, err)
	}
	cacheKey := r.BaseURL + "\x00" + r.HTTP.URL.RequestURI()
	if body, ok := p.pages.get(cacheKey, generation); ok {
		return &wire.Response{Status: http.StatusOK, Body: body}, nil
	}
	q := tokend.ResourceQuery{Scope: subKey + "/resourcegroups", Type: strings.ToLower(filter.ResourceType)}
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
	body := wire.EncodeList(items, "nextLink", link)
	p.pages.put(cacheKey, generation, body)
	return &wire.Response{Status: http.StatusOK, Body: body}, nil
}
