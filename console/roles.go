package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// authzVersion is the Microsoft.Authorization api-version the console
// speaks (the Azure CLI's).
const authzVersion = "2022-04-01"

type roleAssignment struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		Scope            string `json:"scope"`
		RoleDefinitionID string `json:"roleDefinitionId"`
		PrincipalID      string `json:"principalId"`
		PrincipalType    string `json:"principalType"`
	} `json:"properties"`
	// RoleName is filled from the definitions.
	RoleName string `json:"-"`
}

type roleDefinition struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		RoleName    string `json:"roleName"`
		Description string `json:"description"`
		Type        string `json:"type"`
	} `json:"properties"`
}

type rolesData struct {
	Scope       string
	Scopes      []string
	Assignments []roleAssignment
	Roles       []roleDefinition
	Me          string
}

// scopeOf reads a scope parameter: an ARM scope path, "/" for the root.
func scopeOf(raw string) string {
	s := "/" + strings.Trim(strings.TrimSpace(raw), "/")
	if strings.ContainsAny(s, "?#\\ ") {
		return "/"
	}
	return s
}

// authzPath is the Microsoft.Authorization collection at scope.
func authzPath(scope, collection string) string {
	return strings.TrimRight(scope, "/") + "/providers/Microsoft.Authorization/" + collection
}

func (c *Console) roles(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Role assignments", "roles", "roles.html"
	d := &rolesData{Me: v.s.OID, Scopes: []string{"/"}}
	v.Data = d
	subs, err := c.subscriptions(ctx, v)
	if err != nil && !forbidden(err) {
		return err
	}
	for _, s := range subs {
		d.Scopes = append(d.Scopes, "/subscriptions/"+s.SubscriptionID)
	}
	d.Scope = "/"
	if q := v.r.URL.Query().Get("scope"); q != "" {
		d.Scope = scopeOf(q)
	} else if len(subs) > 0 {
		d.Scope = "/subscriptions/" + subs[0].SubscriptionID
	}
	if n := v.r.URL.Query().Get("done"); n != "" {
		v.Notice = map[string]string{"assigned": "The role was assigned.", "removed": "The assignment was removed."}[n]
	}
	var defs struct{ Value []roleDefinition }
	if err := c.call(ctx, v, http.MethodGet, authzPath(d.Scope, "roleDefinitions")+"?api-version="+authzVersion, nil, &defs); err != nil {
		return err
	}
	sort.Slice(defs.Value, func(i, j int) bool { return defs.Value[i].Properties.RoleName < defs.Value[j].Properties.RoleName })
	d.Roles = defs.Value
	names := map[string]string{}
	for _, r := range defs.Value {
		names[strings.ToLower(r.Name)] = r.Properties.RoleName
	}
	var list struct{ Value []roleAssignment }
	if err := c.call(ctx, v, http.MethodGet, authzPath(d.Scope, "roleAssignments")+"?api-version="+authzVersion, nil, &list); err != nil {
		return err
	}
	for i := range list.Value {
		a := &list.Value[i]
		def := a.Properties.RoleDefinitionID
		a.RoleName = names[strings.ToLower(def[strings.LastIndexByte(def, '/')+1:])]
		if a.RoleName == "" {
			a.RoleName = def
		}
	}
	d.Assignments = list.Value
	return nil
}

// assignRole PUTs a role assignment at the scope, as `az role assignment
// create` does.
func (c *Console) assignRole(ctx context.Context, v *view) error {
	v.Title, v.Active = "Role assignments", "roles"
	scope, principal, role := scopeOf(field(v.r, "scope")), field(v.r, "principal"), field(v.r, "role")
	if _, err := uuid.Parse(principal); err != nil {
		v.Error = "The principal must be an object id (a GUID): a user's, a client's service principal's or a managed identity's."
		return nil
	}
	if _, err := uuid.Parse(role); err != nil {
		v.Error = "Choose a role."
		return nil
	}
	body := map[string]any{"properties": map[string]string{
		"roleDefinitionId": authzPath(scope, "roleDefinitions") + "/" + role, "principalId": principal}}
	path := authzPath(scope, "roleAssignments") + "/" + uuid.NewString() + "?api-version=" + authzVersion
	if err := c.call(ctx, v, http.MethodPut, path, body, nil); err != nil {
		return err
	}
	return v.redirect("/console/roles?done=assigned&scope=" + url.QueryEscape(scope))
}

// removeRole deletes one assignment by its id.
func (c *Console) removeRole(ctx context.Context, v *view) error {
	v.Title, v.Active = "Role assignments", "roles"
	id := field(v.r, "id")
	if !strings.Contains(id, "/providers/Microsoft.Authorization/roleAssignments/") || strings.ContainsAny(id, "?#") {
		v.Error = "That is not a role assignment's id."
		return nil
	}
	if err := c.call(ctx, v, http.MethodDelete, id+"?api-version="+authzVersion, nil, nil); err != nil {
		return err
	}
	return v.redirect("/console/roles?done=removed&scope=" + url.QueryEscape(scopeOf(field(v.r, "scope"))))
}
