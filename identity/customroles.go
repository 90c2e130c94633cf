package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// Custom roles are RBAC role definitions made at run time (Azure's custom
// roles). Writing one needs roleDefinitions/write at every scope it is
// assignable at, and it may grant no more than its author holds there:
// otherwise anyone who can write role definitions could mint themselves a
// role with "*".
const (
	actionRoleDefinitionsWrite  = "Microsoft.Authorization/roleDefinitions/write"
	actionRoleDefinitionsDelete = "Microsoft.Authorization/roleDefinitions/delete"
)

// Errors of custom role writes.
var (
	// ErrRoleNameTaken: another role, built-in or custom, has the name.
	ErrRoleNameTaken = errors.New("a role definition with that name exists")
	// ErrBuiltInRole: built-in roles cannot be written or deleted.
	ErrBuiltInRole = errors.New("built-in roles cannot be changed")
	// ErrRoleAssigned: the role is assigned where the change would not
	// allow it (a delete, or an assignable scope taken away).
	ErrRoleAssigned = errors.New("the role definition has assignments")
)

// RoleDefinitionError names the field of a custom role that is not valid.
type RoleDefinitionError struct {
	Field   string // JSON path, e.g. "properties.assignableScopes[0]"
	Message string
}

func (e *RoleDefinitionError) Error() string { return e.Field + ": " + e.Message }

// GrantExceedsAuthorError: the role would grant, at an assignable scope,
// an action its author does not hold there.
type GrantExceedsAuthorError struct {
	Action string
	Scope  string
	Data   bool
}

func (e *GrantExceedsAuthorError) Error() string {
	kind := "action"
	if e.Data {
		kind = "data action"
	}
	return fmt.Sprintf("the role would grant the %s %q at %s, which its author does not hold there", kind, e.Action, e.Scope)
}

// Limits of a custom role, near Azure's.
const (
	maxRoleNameLen      = 512
	maxRoleDescription  = 2048
	maxRoleActions      = 500
	maxAssignableScopes = 200
)

// actionPattern is what an action or data action may look like:
// "Microsoft.App/containerApps/read", "*/read", "Microsoft.App/*".
var actionPattern = regexp.MustCompile(`^[A-Za-z0-9*][A-Za-z0-9*._/-]{0,255}$`)

// PutCustomRole creates the custom role def.ID or replaces it, written by
// p; created tells which. def.ID is a GUID (lower case); CreatedBy and the
// times are set here.
func (s *Assignments) PutCustomRole(ctx context.Context, p *tokend.Principal, def tokend.CustomRole) (role *Role, created bool, err error) {
	def.ID = strings.ToLower(strings.TrimSpace(def.ID))
	canon, err := validateCustomRole(&def)
	if err != nil {
		return nil, false, err
	}
	if s.roles.builtinNamed(def.Name, def.ID) {
		if _, builtin := s.roles.builtin.byKey[def.ID]; builtin {
			return nil, false, ErrBuiltInRole
		}
		return nil, false, ErrRoleNameTaken
	}
	if err := s.authorAllowed(ctx, p, actionRoleDefinitionsWrite, canon); err != nil {
		return nil, false, err
	}
	if err := s.grantsWithinAuthor(ctx, p, &def, canon); err != nil {
		return nil, false, err
	}
	now := s.now().UTC()
	def.UpdatedBy, def.UpdatedAt = p.ObjectID, now
	err = s.store.InTx(ctx, func(q tokend.Queries) error {
		// The lock assignments take: no assignment can slip in between
		// the check below and the write.
		if err := q.Lock(ctx, "role-assignments"); err != nil {
			return fmt.Errorf("lock role assignments: %w", err)
		}
		old, err := q.GetCustomRole(ctx, def.ID)
		switch {
		case errors.Is(err, tokend.ErrNotFound):
			created = true
			def.CreatedBy, def.CreatedAt = p.ObjectID, now
		case err != nil:
			return err
		default:
			def.CreatedBy, def.CreatedAt = old.CreatedBy, old.CreatedAt
			if err := s.keepsAssignments(ctx, q, def.ID, canon); err != nil {
				return err
			}
		}
		if err := q.PutCustomRole(ctx, &def); err != nil {
			if errors.Is(err, tokend.ErrAlreadyExists) {
				return ErrRoleNameTaken
			}
			return err
		}
		return bumpRBACGeneration(ctx, q)
	})
	if err != nil {
		return nil, false, err
	}
	if err := s.changedRoles(ctx); err != nil {
		return nil, false, err
	}
	role, ok := s.roles.Lookup(def.ID)
	if !ok {
		return nil, false, fmt.Errorf("custom role %s was written but is not in the catalog", def.ID)
	}
	return role, created, nil
}

// DeleteCustomRole deletes a custom role that no assignment names, on
// behalf of p; it returns the deleted role, or nil when there was none.
func (s *Assignments) DeleteCustomRole(ctx context.Context, p *tokend.Principal, id string) (*Role, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if _, builtin := s.roles.builtin.byKey[id]; builtin {
		return nil, ErrBuiltInRole
	}
	stored, err := s.store.GetCustomRole(ctx, id)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Compiled, the stored scopes (checked when written) are canonical.
	role := compileRole(stored.RoleDefinition, stored)
	if err := s.authorAllowed(ctx, p, actionRoleDefinitionsDelete, role.assignable); err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, "role-assignments"); err != nil {
			return fmt.Errorf("lock role assignments: %w", err)
		}
		if err := s.keepsAssignments(ctx, q, id, nil); err != nil {
			return err
		}
		if err := q.DeleteCustomRole(ctx, id); err != nil {
			return err
		}
		return bumpRBACGeneration(ctx, q)
	})
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, nil // deleted meanwhile
	}
	if err != nil {
		return nil, err
	}
	if err := s.changedRoles(ctx); err != nil {
		return nil, err
	}
	return role, nil
}

// changedRoles brings this node's catalog and authorization cache up to
// date at once; other nodes follow through the RBAC generation.
func (s *Assignments) changedRoles(ctx context.Context) error {
	if _, err := s.roles.Reload(ctx, s.store); err != nil {
		return err
	}
	s.onChange()
	return nil
}

// keepsAssignments refuses a change that would strand an assignment of the
// role: every assignment must stay within the new assignable scopes (none
// for a delete).
func (s *Assignments) keepsAssignments(ctx context.Context, q tokend.Queries, id string, scopes []string) error {
	all, err := q.ListRoleAssignments(ctx, "")
	if err != nil {
		return fmt.Errorf("list role assignments: %w", err)
	}
	for _, a := range all {
		if strings.ToLower(a.Role) != id {
			continue
		}
		if !slices.ContainsFunc(scopes, func(s string) bool { return scopeCovers(s, a.Scope) }) {
			return fmt.Errorf("%w: assignment %s at %s", ErrRoleAssigned, a.ID, a.Scope)
		}
	}
	return nil
}

// authorAllowed checks that p may perform action at every scope.
func (s *Assignments) authorAllowed(ctx context.Context, p *tokend.Principal, action string, scopes []string) error {
	if s.authz == nil {
		return errors.New("custom roles need the authorizer (the issuer is not running)")
	}
	for _, scope := range scopes {
		if err := s.authz.Authorize(ctx, p, action, scope); err != nil {
			return err
		}
	}
	return nil
}

// grantsWithinAuthor checks that p holds each action and data action of
// def at every assignable scope.
func (s *Assignments) grantsWithinAuthor(ctx context.Context, p *tokend.Principal, def *tokend.CustomRole, scopes []string) error {
	for _, scope := range scopes {
		for _, list := range []struct {
			patterns []string
			data     bool
		}{{def.Actions, false}, {def.DataActions, true}} {
			for _, pattern := range list.patterns {
				ok, err := s.authz.Holds(ctx, p, pattern, scope, list.data)
				if err != nil {
					return err
				}
				if !ok {
					return &GrantExceedsAuthorError{Action: pattern, Scope: scope, Data: list.data}
				}
			}
		}
	}
	return nil
}

// validateCustomRole checks def's fields and trims them in place; it
// returns the canonical form of the assignable scopes.
func validateCustomRole(def *tokend.CustomRole) ([]string, error) {
	def.Name = strings.TrimSpace(def.Name)
	switch {
	case def.Name == "":
		return nil, &RoleDefinitionError{"properties.roleName", "A custom role needs a name."}
	case len(def.Name) > maxRoleNameLen:
		return nil, &RoleDefinitionError{"properties.roleName", fmt.Sprintf("The name is longer than %d characters.", maxRoleNameLen)}
	case len(def.Description) > maxRoleDescription:
		return nil, &RoleDefinitionError{"properties.description", fmt.Sprintf("The description is longer than %d characters.", maxRoleDescription)}
	case len(def.Actions)+len(def.DataActions) == 0:
		return nil, &RoleDefinitionError{"properties.permissions", "A custom role must grant at least one action or data action."}
	}
	for _, list := range []struct {
		field    string
		patterns []string
	}{
		{"actions", def.Actions}, {"notActions", def.NotActions},
		{"dataActions", def.DataActions}, {"notDataActions", def.NotDataActions},
	} {
		if len(list.patterns) > maxRoleActions {
			return nil, &RoleDefinitionError{"properties.permissions[0]." + list.field, fmt.Sprintf("At most %d entries are allowed.", maxRoleActions)}
		}
		for i, p := range list.patterns {
			if !actionPattern.MatchString(p) {
				return nil, &RoleDefinitionError{fmt.Sprintf("properties.permissions[0].%s[%d]", list.field, i),
					"'" + wire.Clip(p) + "' is not an action: use Namespace/resourceType/operation, with * as a wildcard."}
			}
		}
	}
	if len(def.AssignableScopes) == 0 {
		return nil, &RoleDefinitionError{"properties.assignableScopes", "A custom role needs at least one assignable scope."}
	}
	if len(def.AssignableScopes) > maxAssignableScopes {
		return nil, &RoleDefinitionError{"properties.assignableScopes", fmt.Sprintf("At most %d assignable scopes are allowed.", maxAssignableScopes)}
	}
	seen := map[string]bool{}
	var scopes, canonical []string
	for i, raw := range def.AssignableScopes {
		field := fmt.Sprintf("properties.assignableScopes[%d]", i)
		canon, err := CanonicalScope(raw)
		switch {
		case err != nil:
			return nil, &RoleDefinitionError{field, "'" + wire.Clip(raw) + "' is not a scope: " + err.Error()}
		case canon == "/":
			// As Azure: a custom role is assignable within subscriptions
			// (or management groups), never at the root.
			return nil, &RoleDefinitionError{field, "The root scope '/' cannot be an assignable scope of a custom role; name subscriptions, resource groups or resources."}
		case !strings.HasPrefix(canon, "/subscriptions/"):
			return nil, &RoleDefinitionError{field, "'" + wire.Clip(raw) + "' is not a subscription, resource group or resource."}
		case seen[canon]:
			continue
		}
		seen[canon] = true
		scopes = append(scopes, "/"+strings.Trim(strings.TrimSpace(raw), "/"))
		canonical = append(canonical, canon)
	}
	def.AssignableScopes = scopes
	return canonical, nil
}
