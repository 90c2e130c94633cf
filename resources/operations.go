package resources

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Operations_List (GET /providers/{namespace}/operations) is derived from
// the provider's descriptor: each ARM route's action and each data-plane
// route's data action, once. What RBAC checks is therefore what is listed.

// operation is common-types' Operation.
type operation struct {
	Name         string           `json:"name"`
	IsDataAction bool             `json:"isDataAction"`
	Display      operationDisplay `json:"display"`
	Origin       string           `json:"origin"`
}

type operationDisplay struct {
	Provider    string `json:"provider"`
	Resource    string `json:"resource"`
	Operation   string `json:"operation"`
	Description string `json:"description"`
}

// providerOperations lists the actions of d's routes, sorted by name. A
// route of a generic pattern (its namespace a parameter) names no action
// of d's own and is left out.
func providerOperations(d *pipeline.Provider) []operation {
	// An action and a data action may share a name (Playwright's
	// accounts/read is both): each is listed once.
	type listed struct {
		action string
		data   bool
	}
	seen := map[listed]bool{}
	var out []operation
	add := func(action string, data bool) {
		key := listed{strings.ToLower(action), data}
		if action == "" || strings.Contains(action, "{") || seen[key] || !strings.HasPrefix(key.action, strings.ToLower(d.Namespace)+"/") {
			return
		}
		seen[key] = true
		out = append(out, describeOperation(d.Namespace, action, data))
	}
	for _, rt := range d.Routes {
		action := rt.Action
		if action == "" {
			action = arm.DeriveAction(rt.Method, rt.Pattern)
		}
		add(action, false)
	}
	for _, dp := range d.DataPlanes {
		for _, rt := range dp.Routes {
			action := rt.Action
			if action == "" && dp.Surface.Action != nil {
				action = dp.Surface.Action(rt.Method, rt.Pattern)
			}
			if !rt.Anonymous {
				add(action, dp.Surface.Authorization == pipeline.DataActions)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b operation) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// describeOperation words an action for display:
// "Microsoft.App/containerApps/listSecrets/action" is the action
// listSecrets on containerApps.
func describeOperation(namespace, action string, data bool) operation {
	parts := strings.Split(action[len(namespace)+1:], "/")
	verb, resource := parts[len(parts)-1], strings.Join(parts[:len(parts)-1], "/")
	var what string
	switch verb {
	case "read":
		what = "Read"
	case "write":
		what = "Create or update"
	case "delete":
		what = "Delete"
	default: // ".../{name}/action"
		if len(parts) >= 2 {
			verb, resource = parts[len(parts)-2], strings.Join(parts[:len(parts)-2], "/")
		}
		what = "Perform " + verb + " on"
	}
	if resource == "" {
		resource = namespace
	}
	op := operation{Name: action, IsDataAction: data, Origin: "user,system",
		Display: operationDisplay{Provider: namespace, Resource: resource, Operation: what + " " + resource,
			Description: what + " " + resource + " (" + namespace + ")."}}
	if data {
		op.Origin = "user"
		op.Display.Description = what + " " + resource + " on the data plane (" + namespace + ")."
	}
	return op
}

// listOperations is Operations_List for any namespace served.
func (p *Provider) listOperations(_ context.Context, r *pipeline.Request) (*wire.Response, error) {
	d, err := p.provider(r.Param("resourceProviderNamespace"))
	if err != nil {
		return nil, err
	}
	if err := checkOwnerVersion(r, d); err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": providerOperations(d)}), nil
}

// servedVersions is every api-version any provider serves: the routes of
// Microsoft.Resources that answer for another namespace take them all, and
// checkOwnerVersion narrows them to the namespace's own.
func servedVersions(providers []*pipeline.Provider) *wire.APIVersions {
	var all []string
	for _, d := range providers {
		all = append(all, d.Versions.List()...)
	}
	all = append(all, Versions.List()...)
	slices.Sort(all)
	return wire.NewAPIVersions(slices.Compact(all)...)
}

// checkOwnerVersion refuses an api-version the namespace does not serve,
// unless the request was admitted under --any-api-version (the pipeline
// then resolved it to another version than the one asked for).
func checkOwnerVersion(r *pipeline.Request, d *pipeline.Provider) error {
	requested := r.Query("api-version")
	if !strings.EqualFold(requested, r.APIVersion) {
		return nil
	}
	if _, err := d.Versions.Resolve(requested, false); err != nil {
		return err
	}
	return nil
}
