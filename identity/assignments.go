package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// rbacGenerationMeta names the meta row that changes on every change of a
// role assignment or custom role. Nodes poll it (one small read every
// SyncInterval), reload the custom roles and drop their cached assignments
// when it moves, so a change made anywhere applies everywhere within a
// second without a query per authorization.
const rbacGenerationMeta = "rbac-generation"

// bumpRBACGeneration marks a change. A fresh random value (rather than a
// counter) needs no read-modify-write, so concurrent writers cannot collide.
func bumpRBACGeneration(ctx context.Context, q tokend.MetaStore) error {
	if err := q.PutMeta(ctx, rbacGenerationMeta, []byte(uuid.NewString())); err != nil {
		return fmt.Errorf("mark role assignment change: %w", err)
	}
	return nil
}

// Assignments manages role assignments.
type Assignments struct {
	store    tokend.Store
	roles    *RoleCatalog
	now      func() time.Time
	onChange func() // drops this node's authorization cache at once
	// authz checks the author of a custom role; nil where nothing serves
	// (the CLI), which then cannot write custom roles.
	authz *Authorizer
}

// NewAssignments returns the role assignment service over the roles of
// catalog (nil: the built-in roles only).
func NewAssignments(store tokend.Store, roles *RoleCatalog, now func() time.Time) *Assignments {
	if now == nil {
		now = time.Now
	}
	if roles == nil {
		roles = defaultRoles()
	}
	return &Assignments{store: store, roles: roles, now: now, onChange: func() {}}
}

// Assign grants role (a built-in name or GUID) to principalID (an object id)
// at scope. Assigning what already exists returns the existing assignment.
func (s *Assignments) Assign(ctx context.Context, principalID, role, scope string) (*tokend.RoleAssignment, error) {
	var out *tokend.RoleAssignment
	err := s.store.InTx(ctx, func(q tokend.Queries) error {
		a, err := assignIn(ctx, q, s.roles, principalID, role, scope, s.now())
		out = a
		return err
	})
	if err != nil {
		return nil, err
	}
	s.onChange()
	return out, nil
}

// assignIn assigns inside the caller's transaction (bootstrap creates its
// client and the client's roles in one).
func assignIn(ctx context.Context, q tokend.Queries, roles *RoleCatalog, principalID, role, scope string, now time.Time) (*tokend.RoleAssignment, error) {
	def, ok := roles.Lookup(role)
	if !ok {
		return nil, fmt.Errorf("unknown role %q (see `tokend roles definitions`)", role)
	}
	canon, err := CanonicalScope(scope)
	if err != nil {
		return nil, err
	}
	principalID = strings.ToLower(strings.TrimSpace(principalID))
	if principalID == "" {
		return nil, fmt.Errorf("a role assignment needs a principal")
	}
	// The lock makes "look for a duplicate, then insert" atomic across nodes.
	if err := q.Lock(ctx, "role-assignments"); err != nil {
		return nil, fmt.Errorf("lock role assignments: %w", err)
	}
	existing, err := q.ListRoleAssignments(ctx, principalID)
	if err != nil {
		return nil, fmt.Errorf("list role assignments of %s: %w", principalID, err)
	}
	for _, a := range existing {
		if namesRole(roles, a.Role, def) && a.Scope == canon {
			return a, nil
		}
	}
	if !def.AssignableAt(canon) {
		return nil, fmt.Errorf("%w: role %q at %s", ErrNotAssignableAtScope, def.Name, canon)
	}
	if err := requireRole(ctx, q, def); err != nil {
		return nil, err
	}
	a := &tokend.RoleAssignment{
		ID: uuid.NewString(), PrincipalID: principalID, Role: def.Ref(), Scope: canon, CreatedAt: now.UTC(),
	}
	if err := q.CreateRoleAssignment(ctx, a); err != nil {
		return nil, fmt.Errorf("create role assignment: %w", err)
	}
	if err := bumpRBACGeneration(ctx, q); err != nil {
		return nil, err
	}
	return a, nil
}

// requireRole checks, under the role-assignments lock that custom role
// writes take too, that a custom role still exists: a role deleted after
// the catalog was read must not gain an assignment.
func requireRole(ctx context.Context, q tokend.Queries, def *Role) error {
	if def.Custom == nil {
		return nil
	}
	if _, err := q.GetCustomRole(ctx, def.ID); err != nil {
		return fmt.Errorf("role %q: %w", def.Name, err)
	}
	return nil
}

// namesRole reports whether an assignment's role reference is def.
func namesRole(roles *RoleCatalog, ref string, def *Role) bool {
	r, ok := roles.Lookup(ref)
	return ok && r.ID == def.ID
}

// ErrNotAssignableAtScope: a custom role's assignable scopes do not cover
// the scope.
var ErrNotAssignableAtScope = errors.New("the role is not assignable at the scope")

// ErrAssignmentExists: the principal already holds the role at the scope,
// under another assignment name (ARM's RoleAssignmentExists).
var ErrAssignmentExists = errors.New("the role assignment already exists")

// ErrAssignmentChanged: an assignment of that name exists with another
// principal, role or scope; assignments cannot be updated.
var ErrAssignmentChanged = errors.New("a role assignment of that name exists with other properties")

// AssignAs creates the assignment named id (ARM's role assignment name, a
// GUID), or reports whether that exact assignment exists already (created
// false). The role is a name or GUID of the catalog.
func (s *Assignments) AssignAs(ctx context.Context, id, principalID, role, scope string) (a *tokend.RoleAssignment, created bool, err error) {
	def, ok := s.roles.Lookup(role)
	if !ok {
		return nil, false, fmt.Errorf("unknown role %q", role)
	}
	canon, err := CanonicalScope(scope)
	if err != nil {
		return nil, false, err
	}
	id, principalID = strings.ToLower(id), strings.ToLower(principalID)
	if !def.AssignableAt(canon) {
		return nil, false, fmt.Errorf("%w: role %q at %s", ErrNotAssignableAtScope, def.Name, canon)
	}
	err = s.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, "role-assignments"); err != nil {
			return fmt.Errorf("lock role assignments: %w", err)
		}
		switch x, err := q.GetRoleAssignment(ctx, id); {
		case err == nil && x.PrincipalID == principalID && namesRole(s.roles, x.Role, def) && x.Scope == canon:
			a = x
			return nil
		case err == nil:
			return ErrAssignmentChanged
		case !errors.Is(err, tokend.ErrNotFound):
			return err
		}
		if err := requireRole(ctx, q, def); err != nil {
			return err
		}
		// One principal's assignments are few (an indexed read), however
		// many the deployment holds.
		mine, err := q.ListRoleAssignments(ctx, principalID)
		if err != nil {
			return fmt.Errorf("list role assignments of %s: %w", principalID, err)
		}
		for _, x := range mine {
			if namesRole(s.roles, x.Role, def) && x.Scope == canon {
				return ErrAssignmentExists
			}
		}
		a = &tokend.RoleAssignment{ID: id, PrincipalID: principalID, Role: def.Ref(), Scope: canon, CreatedAt: s.now().UTC()}
		if err := q.CreateRoleAssignment(ctx, a); err != nil {
			return fmt.Errorf("create role assignment: %w", err)
		}
		created = true
		return bumpRBACGeneration(ctx, q)
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		s.onChange()
	}
	return a, created, nil
}

// Roles is the catalog the assignments name roles from.
func (s *Assignments) Roles() *RoleCatalog { return s.roles }

// List returns every assignment, or one principal's.
func (s *Assignments) List(ctx context.Context, principalID string) ([]*tokend.RoleAssignment, error) {
	list, err := s.store.ListRoleAssignments(ctx, strings.ToLower(principalID))
	if err != nil {
		return nil, fmt.Errorf("list role assignments: %w", err)
	}
	return list, nil
}

// Remove deletes one assignment by id.
func (s *Assignments) Remove(ctx context.Context, id string) error {
	err := s.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.DeleteRoleAssignment(ctx, strings.ToLower(id)); err != nil {
			return err
		}
		return bumpRBACGeneration(ctx, q)
	})
	if err != nil {
		return fmt.Errorf("remove role assignment %s: %w", id, err)
	}
	s.onChange()
	return nil
}
