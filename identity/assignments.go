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

// rbacGenerationMeta names the meta row that changes on every role
// assignment change. Nodes poll it (one small read a second) and drop their
// cached assignments when it moves, so a change made anywhere applies
// everywhere within a second without a query per authorization.
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
		if a.Role == def.Name && a.Scope == canon {
			return a, nil
		}
	}
	a := &tokend.RoleAssignment{
		ID: uuid.NewString(), PrincipalID: principalID, Role: def.Name, Scope: canon, CreatedAt: now.UTC(),
	}
	if err := q.CreateRoleAssignment(ctx, a); err != nil {
		return nil, fmt.Errorf("create role assignment: %w", err)
	}
	if err := bumpRBACGeneration(ctx, q); err != nil {
		return nil, err
	}
	return a, nil
}

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
	err = s.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, "role-assignments"); err != nil {
			return fmt.Errorf("lock role assignments: %w", err)
		}
		all, err := q.ListRoleAssignments(ctx, "")
		if err != nil {
			return fmt.Errorf("list role assignments: %w", err)
		}
		for _, x := range all {
			same := x.PrincipalID == principalID && strings.EqualFold(x.Role, def.Name) && x.Scope == canon
			switch {
			case x.ID == id && same:
				a = x
				return nil
			case x.ID == id:
				return ErrAssignmentChanged
			case same:
				return ErrAssignmentExists
			}
		}
		a = &tokend.RoleAssignment{ID: id, PrincipalID: principalID, Role: def.Name, Scope: canon, CreatedAt: s.now().UTC()}
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
