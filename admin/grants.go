package admin

import (
	"context"
	"errors"

	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// actionAssignRoles is what assigning a role with a create needs of the
// caller at the role's scope, as Microsoft.Authorization's PUT does.
const actionAssignRoles = "Microsoft.Authorization/roleAssignments/write"

// grantBody is the role a create may assign to what it creates, as the
// CLI's --role and --scope: both or neither.
type grantBody struct {
	Role  string `json:"role"`
	Scope string `json:"scope"`
}

// grant is a role assignment checked before anything is created: the
// role exists, the scope is one, and the caller may assign roles there.
type grant struct {
	role, scope string
}

// checkGrant checks b before the create it rides on; nil when it names
// no role.
func (s *Service) checkGrant(ctx context.Context, r *pipeline.Request, b grantBody) (*grant, error) {
	if b.Role == "" && b.Scope == "" {
		return nil, nil
	}
	if s.cfg.Assignments == nil || s.cfg.Authorizer == nil {
		return nil, wire.BadRequest("RoleAssignmentNotSupported", "role", "This deployment assigns roles through Microsoft.Authorization only.")
	}
	switch {
	case b.Role == "":
		return nil, wire.BadRequest("InvalidRoleAssignment", "role", "scope was given without role.")
	case b.Scope == "":
		return nil, wire.BadRequest("InvalidRoleAssignment", "scope", `scope is required with role: "/" for everything, or a subscription, group or resource id.`)
	case !wire.SQLText(b.Role) || !wire.SQLText(b.Scope):
		return nil, wire.BadRequest("InvalidRoleAssignment", "role", "role and scope must be valid text.")
	}
	if _, ok := s.cfg.Assignments.Roles().Lookup(b.Role); !ok {
		return nil, wire.BadRequest("RoleDefinitionNotFound", "role", "No role is named '"+wire.Clip(b.Role)+"' (GET a scope's roleDefinitions lists them).")
	}
	scope, err := identity.CanonicalScope(b.Scope)
	if err != nil {
		return nil, wire.BadRequest("InvalidRoleAssignment", "scope", "scope is not a scope: "+wire.Clip(b.Scope)+".")
	}
	if err := s.cfg.Authorizer.Authorize(ctx, r.Principal, actionAssignRoles, scope); err != nil {
		return nil, err
	}
	return &grant{role: b.Role, scope: scope}, nil
}

// assign makes the checked assignment for what was just created. The
// create stands when it fails (its secret exists only in this answer), so
// the failure is answered beside it rather than instead of it.
func (s *Service) assign(ctx context.Context, g *grant, principalID string) (*RoleAssignmentView, string) {
	if g == nil {
		return nil, ""
	}
	ra, err := s.cfg.Assignments.Assign(ctx, principalID, g.role, g.scope)
	switch {
	case errors.Is(err, identity.ErrNotAssignableAtScope):
		return nil, "The role was not assigned: it is not assignable at " + g.scope + "."
	case err != nil:
		// The cause (storage) is not the caller's to read.
		return nil, "The role was not assigned (retry with Microsoft.Authorization or tokend roles assign); request id '" +
			wire.TraceFrom(ctx).RequestID + "'."
	}
	return ToRoleAssignmentView(ra), ""
}
