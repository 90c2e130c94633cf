package authorization

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

type permission struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

type definitionBody struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Properties struct {
		RoleName         string       `json:"roleName"`
		Description      string       `json:"description"`
		Type             string       `json:"type"`
		Permissions      []permission `json:"permissions"`
		AssignableScopes []string     `json:"assignableScopes"`
	} `json:"properties"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// roleType is the role's properties.type, as Azure names the two kinds.
func roleType(r *identity.Role) string {
	if r.Custom != nil {
		return "CustomRole"
	}
	return "BuiltInRole"
}

func definitionOf(r *identity.Role, scope string) definitionBody {
	var b definitionBody
	b.ID = scopePrefix(scope) + "/providers/Microsoft.Authorization/roleDefinitions/" + r.ID
	b.Name, b.Type = r.ID, "Microsoft.Authorization/roleDefinitions"
	b.Properties.RoleName, b.Properties.Description, b.Properties.Type = r.Name, r.Description, roleType(r)
	b.Properties.Permissions = []permission{{Actions: nonNil(r.Actions), NotActions: nonNil(r.NotActions),
		DataActions: nonNil(r.DataActions), NotDataActions: nonNil(r.NotDataActions)}}
	b.Properties.AssignableScopes = []string{"/"}
	if r.Custom != nil {
		b.Properties.AssignableScopes = r.Custom.AssignableScopes
	}
	return b
}

// definitionFilter is the $filter role definitions take: roleName eq '…'
// and type eq 'BuiltInRole' or 'CustomRole'.
var definitionFilter = regexp.MustCompile(`^\s*(roleName|type)\s+eq\s+'((?:[^']|'')*)'\s*$`)

func (p *Provider) listDefinitions(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	a, err := p.bind.get()
	if err != nil {
		return nil, err
	}
	var field, value string
	if f := r.Query("$filter"); strings.TrimSpace(f) != "" {
		m := definitionFilter.FindStringSubmatch(f)
		if m == nil {
			return nil, wire.BadRequest("InvalidFilter", "$filter", "The $filter '"+wire.Clip(f)+"' is not supported: use roleName eq 'name', type eq 'BuiltInRole' or type eq 'CustomRole'.")
		}
		field, value = m[1], strings.ReplaceAll(m[2], "''", "'")
	}
	out := []definitionBody{}
	for _, role := range a.Roles().List() {
		kind := roleType(role)
		switch {
		case !role.VisibleAt(r.Scope):
			continue
		case field == "roleName" && !strings.EqualFold(role.Name, value):
			continue
		case field == "type" && !strings.EqualFold(value, kind):
			continue
		}
		out = append(out, definitionOf(role, r.Scope))
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": out}), nil
}

func (p *Provider) getDefinition(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	a, err := p.bind.get()
	if err != nil {
		return nil, err
	}
	role, ok := a.Roles().Lookup(r.Param("roleDefinitionId"))
	if !ok || !strings.EqualFold(role.ID, r.Param("roleDefinitionId")) {
		return nil, wire.Errorf(http.StatusNotFound, "RoleDefinitionDoesNotExist", "The specified role definition with ID '"+wire.Clip(r.Param("roleDefinitionId"))+"' does not exist.")
	}
	return wire.JSON(http.StatusOK, definitionOf(role, r.Scope)), nil
}

// addressedDefinition returns the assignments and the role definition
// GUID the path names.
func (p *Provider) addressedDefinition(r *pipeline.Request) (Assignments, string, error) {
	a, err := p.bind.get()
	if err != nil {
		return nil, "", err
	}
	id := r.Param("roleDefinitionId")
	if _, err := uuid.Parse(id); err != nil {
		return nil, "", wire.BadRequest("InvalidRoleDefinitionId", "roleDefinitionId",
			"The role definition ID '"+wire.Clip(id)+"' is not valid. The role definition ID must be a GUID.")
	}
	return a, strings.ToLower(id), nil
}

// putDefinition creates or replaces a custom role. Azure answers 201 to
// both (the spec lists no 200), and so does tokend.
func (p *Provider) putDefinition(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	a, id, err := p.addressedDefinition(r)
	if err != nil {
		return nil, err
	}
	var in struct {
		Properties *struct {
			RoleName         string       `json:"roleName"`
			Description      string       `json:"description"`
			Type             string       `json:"type"`
			Permissions      []permission `json:"permissions"`
			AssignableScopes []string     `json:"assignableScopes"`
		} `json:"properties"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	props := in.Properties
	switch {
	case props == nil:
		return nil, wire.BadRequest("InvalidRequestContent", "properties", "The request content must have 'properties'.")
	case props.Type != "" && !strings.EqualFold(props.Type, "CustomRole"):
		return nil, wire.BadRequest("InvalidRoleDefinition", "properties.type", "Only custom roles can be written: 'type' must be 'CustomRole'.")
	case len(props.Permissions) != 1:
		// One block is what Azure's portal, CLI and Terraform write; two
		// blocks would have to mean a union nobody relies on.
		return nil, wire.BadRequest("InvalidRoleDefinition", "properties.permissions", "A custom role has exactly one permissions entry.")
	}
	perm := props.Permissions[0]
	def := tokend.CustomRole{
		RoleDefinition: tokend.RoleDefinition{ID: id, Name: props.RoleName, Description: props.Description,
			Actions: perm.Actions, NotActions: perm.NotActions, DataActions: perm.DataActions, NotDataActions: perm.NotDataActions},
		AssignableScopes: props.AssignableScopes,
	}
	role, _, err := a.PutCustomRole(ctx, r.Principal, def)
	if err != nil {
		return nil, roleWriteError(err)
	}
	return wire.JSON(http.StatusCreated, definitionOf(role, r.Scope)), nil
}

// deleteDefinition answers 200 with the deleted role, or 204 when there
// was none, as ARM does.
func (p *Provider) deleteDefinition(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	a, id, err := p.addressedDefinition(r)
	if err != nil {
		return nil, err
	}
	role, err := a.DeleteCustomRole(ctx, r.Principal, id)
	if err != nil {
		return nil, roleWriteError(err)
	}
	if role == nil {
		return wire.Empty(http.StatusNoContent), nil
	}
	return wire.JSON(http.StatusOK, definitionOf(role, r.Scope)), nil
}

// roleWriteError maps a refused custom role write to ARM's answer.
func roleWriteError(err error) error {
	var invalid *identity.RoleDefinitionError
	var exceeds *identity.GrantExceedsAuthorError
	switch {
	case errors.As(err, &invalid):
		return wire.BadRequest("InvalidRoleDefinition", invalid.Field, invalid.Message)
	case errors.As(err, &exceeds):
		return wire.Errorf(http.StatusForbidden, "RoleDefinitionGrantsMoreThanCaller",
			"The role definition would grant more than the caller holds: "+exceeds.Error()+".")
	case errors.Is(err, identity.ErrRoleNameTaken):
		return wire.Errorf(http.StatusConflict, "RoleDefinitionWithSameNameExists", "A role definition cannot be updated with a name that already exists.")
	case errors.Is(err, identity.ErrBuiltInRole):
		return wire.Errorf(http.StatusForbidden, "BuiltInRoleUpdateNotPermitted", "Built-in role definitions cannot be changed or deleted.")
	case errors.Is(err, identity.ErrRoleAssigned):
		return wire.Errorf(http.StatusConflict, "RoleDefinitionHasAssignments",
			"There are existing role assignments referencing the role that the change would leave outside its assignable scopes: "+err.Error()+".")
	}
	return err
}
