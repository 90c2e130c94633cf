package authorization

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

type assignmentProperties struct {
	Scope            string `json:"scope"`
	RoleDefinitionID string `json:"roleDefinitionId"`
	PrincipalID      string `json:"principalId"`
	PrincipalType    string `json:"principalType"`
	CreatedOn        string `json:"createdOn,omitempty"`
	UpdatedOn        string `json:"updatedOn,omitempty"`
}

type assignmentBody struct {
	ID         string               `json:"id"`
	Name       string               `json:"name"`
	Type       string               `json:"type"`
	Properties assignmentProperties `json:"properties"`
}

// Principal types as Azure names them in an assignment.
const (
	principalUser             = "User"
	principalServicePrincipal = "ServicePrincipal"
)

// principalTypes says, for each distinct principal of list, whether it is
// a user or a service principal (applications and managed identities
// alike, as in Azure): one indexed read per distinct principal.
func (p *Provider) principalTypes(ctx context.Context, list ...*tokend.RoleAssignment) (map[string]string, error) {
	types := make(map[string]string, len(list))
	for _, a := range list {
		if _, seen := types[a.PrincipalID]; seen {
			continue
		}
		switch _, err := p.store.GetUser(ctx, a.PrincipalID); {
		case err == nil:
			types[a.PrincipalID] = principalUser
		case errors.Is(err, tokend.ErrNotFound):
			types[a.PrincipalID] = principalServicePrincipal
		default:
			return nil, fmt.Errorf("look up principal %s: %w", a.PrincipalID, err)
		}
	}
	return types, nil
}

// assignmentOf renders an assignment; the role definition id is given at
// the subscription of the scope, as Azure writes it.
func assignmentOf(a *tokend.RoleAssignment, roles *identity.RoleCatalog, principalType string) assignmentBody {
	roleID := a.Role
	if r, ok := roles.Lookup(a.Role); ok {
		roleID = r.ID
	}
	defScope := ""
	if parts := strings.Split(strings.Trim(a.Scope, "/"), "/"); len(parts) >= 2 && parts[0] == "subscriptions" {
		defScope = "/subscriptions/" + parts[1]
	}
	created := a.CreatedAt.UTC().Format(time.RFC3339)
	return assignmentBody{
		ID:   scopePrefix(a.Scope) + "/providers/Microsoft.Authorization/roleAssignments/" + a.ID,
		Name: a.ID, Type: "Microsoft.Authorization/roleAssignments",
		Properties: assignmentProperties{Scope: a.Scope, RoleDefinitionID: defScope + "/providers/Microsoft.Authorization/roleDefinitions/" + roleID,
			PrincipalID: a.PrincipalID, PrincipalType: principalType, CreatedOn: created, UpdatedOn: created},
	}
}

// renderOne answers one assignment with its principal's type.
func (p *Provider) renderOne(ctx context.Context, status int, x *tokend.RoleAssignment, roles *identity.RoleCatalog) (*wire.Response, error) {
	types, err := p.principalTypes(ctx, x)
	if err != nil {
		return nil, err
	}
	return wire.JSON(status, assignmentOf(x, roles, types[x.PrincipalID])), nil
}

func assignmentName(r *pipeline.Request) (string, error) {
	name := r.Param("roleAssignmentName")
	if _, err := uuid.Parse(name); err != nil {
		return "", wire.BadRequest("InvalidRoleAssignmentId", "roleAssignmentName",
			"The role assignment ID '"+wire.Clip(name)+"' is not valid. The role assignment ID must be a GUID.")
	}
	return strings.ToLower(name), nil
}

func (p *Provider) putAssignment(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	a, err := p.bind.get()
	if err != nil {
		return nil, err
	}
	name, err := assignmentName(r)
	if err != nil {
		return nil, err
	}
	var in struct {
		Properties *struct {
			RoleDefinitionID string `json:"roleDefinitionId"`
			PrincipalID      string `json:"principalId"`
			PrincipalType    string `json:"principalType"`
		} `json:"properties"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Properties == nil {
		return nil, wire.BadRequest("InvalidRequestContent", "properties", "The request content must have 'properties'.")
	}
	roleID := in.Properties.RoleDefinitionID[strings.LastIndexByte(in.Properties.RoleDefinitionID, '/')+1:]
	role, ok := a.Roles().Lookup(roleID)
	if roleID == "" || !ok {
		return nil, wire.BadRequest("RoleDefinitionDoesNotExist", "properties.roleDefinitionId",
			"The specified role definition with ID '"+wire.Clip(roleID)+"' does not exist.")
	}
	principal := strings.ToLower(strings.TrimSpace(in.Properties.PrincipalID))
	principalType, err := p.principalTypeOf(ctx, principal)
	if err != nil {
		return nil, err
	} else if principalType == "" {
		return nil, wire.BadRequest("PrincipalNotFound", "properties.principalId",
			"Principal "+wire.Clip(principal)+" does not exist in the directory.")
	}
	ra, created, err := a.AssignAs(ctx, name, principal, role.ID, r.Scope)
	switch {
	case errors.Is(err, identity.ErrAssignmentExists):
		return nil, wire.Errorf(http.StatusConflict, "RoleAssignmentExists", "The role assignment already exists.")
	case errors.Is(err, identity.ErrNotAssignableAtScope):
		return nil, wire.BadRequest("RoleDefinitionNotAssignableAtScope", "properties.roleDefinitionId",
			"The role '"+wire.Clip(role.Name)+"' is not assignable at scope '"+wire.Clip(r.Scope)+"': it is not within the role's assignable scopes.")
	case errors.Is(err, identity.ErrAssignmentChanged):
		return nil, wire.Errorf(http.StatusConflict, "RoleAssignmentUpdateNotPermitted",
			"Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
	case err != nil:
		return nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return wire.JSON(status, assignmentOf(ra, a.Roles(), principalType)), nil
}

// principalTypeOf is the type of the principal (a user, an application's
// service principal or a managed identity) of that object id, "" when
// there is none.
func (p *Provider) principalTypeOf(ctx context.Context, objectID string) (string, error) {
	if _, err := uuid.Parse(objectID); err != nil {
		return "", nil
	}
	// Users are people signed in interactively (the console assigns them
	// roles through this API, as the Azure portal does).
	switch _, err := p.store.GetUser(ctx, objectID); {
	case err == nil:
		return principalUser, nil
	case !errors.Is(err, tokend.ErrNotFound):
		return "", fmt.Errorf("look up user %s: %w", objectID, err)
	}
	clients, err := p.store.ListClients(ctx)
	if err != nil {
		return "", fmt.Errorf("list principals: %w", err)
	}
	for _, c := range clients {
		if strings.EqualFold(c.ObjectID, objectID) {
			return principalServicePrincipal, nil
		}
	}
	return "", nil
}

func (p *Provider) find(ctx context.Context, r *pipeline.Request) (*tokend.RoleAssignment, error) {
	name, err := assignmentName(r)
	if err != nil {
		return nil, err
	}
	x, err := p.store.GetRoleAssignment(ctx, name)
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case x.Scope != r.Scope:
		// ARM addresses an assignment at its own scope only.
		return nil, nil
	}
	return x, nil
}

// addressed returns the assignments and the one the request names (nil
// when there is none at that scope).
func (p *Provider) addressed(ctx context.Context, r *pipeline.Request) (Assignments, *tokend.RoleAssignment, error) {
	a, err := p.bind.get()
	if err != nil {
		return nil, nil, err
	}
	x, err := p.find(ctx, r)
	return a, x, err
}

func (p *Provider) getAssignment(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	a, x, err := p.addressed(ctx, r)
	if err != nil {
		return nil, err
	}
	if x == nil {
		return nil, wire.Errorf(http.StatusNotFound, "RoleAssignmentNotFound", "The role assignment '"+wire.Clip(r.Param("roleAssignmentName"))+"' is not found.")
	}
	return p.renderOne(ctx, http.StatusOK, x, a.Roles())
}

// deleteAssignment answers 200 with the deleted assignment, or 204 when
// there was none, as ARM does.
func (p *Provider) deleteAssignment(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	a, x, err := p.addressed(ctx, r)
	if err != nil {
		return nil, err
	}
	if x == nil {
		return wire.Empty(http.StatusNoContent), nil
	}
	if err := a.Remove(ctx, x.ID); err != nil && !errors.Is(err, tokend.ErrNotFound) {
		return nil, err
	}
	return p.renderOne(ctx, http.StatusOK, x, a.Roles())
}

// assignmentFilter is the $filter assignment lists take.
var assignmentFilter = regexp.MustCompile(`^\s*(?:(atScope\(\))|principalId\s+eq\s+'([^']*)'|assignedTo\('([^']*)'\))\s*$`)

// listAssignments lists the assignments that apply at the scope (there or
// above) and those below it; $filter=atScope() keeps the first kind,
// principalId eq / assignedTo() one principal's.
func (p *Provider) listAssignments(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	a, err := p.bind.get()
	if err != nil {
		return nil, err
	}
	atScope, principal := false, ""
	if f := r.Query("$filter"); strings.TrimSpace(f) != "" {
		m := assignmentFilter.FindStringSubmatch(f)
		if m == nil {
			return nil, wire.BadRequest("InvalidFilter", "$filter", "The $filter '"+wire.Clip(f)+"' is not supported: use atScope(), principalId eq 'id' or assignedTo('id').")
		}
		atScope, principal = m[1] != "", strings.ToLower(m[2]+m[3])
	}
	all, err := a.List(ctx, principal)
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	var listed []*tokend.RoleAssignment
	for _, x := range all {
		// What applies at the scope (there or above), and what lies below.
		if identity.ScopeCovers(x.Scope, r.Scope) || !atScope && identity.ScopeCovers(r.Scope, x.Scope) {
			listed = append(listed, x)
		}
	}
	types, err := p.principalTypes(ctx, listed...)
	if err != nil {
		return nil, err
	}
	out := make([]assignmentBody, 0, len(listed))
	for _, x := range listed {
		out = append(out, assignmentOf(x, a.Roles(), types[x.PrincipalID]))
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": out}), nil
}
