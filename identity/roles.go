package identity

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// Role is a role definition compiled for checks.
type Role struct {
	tokend.RoleDefinition
	// Custom is the stored definition of a custom role; nil for the
	// built-in roles and the providers' roles.
	Custom *tokend.CustomRole
	// assignable are the canonical scopes the role may be assigned at and
	// below: "/" for built-in roles.
	assignable    []string
	control, data actionSet
}

// Ref is how a role assignment names the role: a built-in role by its
// name (as assignments always have), a custom role by its id, which a
// rename does not change.
func (r *Role) Ref() string {
	if r.Custom != nil {
		return r.ID
	}
	return r.Name
}

// AssignableAt reports whether the role may be assigned at a canonical
// scope.
func (r *Role) AssignableAt(scope string) bool {
	for _, s := range r.assignable {
		if scopeCovers(s, scope) {
			return true
		}
	}
	return false
}

// VisibleAt reports whether a role definition list at a canonical scope
// shows the role: assignable there, or somewhere below it (a list at a
// subscription shows the custom roles of its resource groups).
func (r *Role) VisibleAt(scope string) bool {
	for _, s := range r.assignable {
		if scopeCovers(s, scope) || scopeCovers(scope, s) {
			return true
		}
	}
	return false
}

func compileRole(def tokend.RoleDefinition, custom *tokend.CustomRole) *Role {
	r := &Role{RoleDefinition: def, Custom: custom, assignable: []string{"/"},
		control: compileActions(def.Actions, def.NotActions),
		data:    compileActions(def.DataActions, def.NotDataActions)}
	if custom != nil {
		r.assignable = r.assignable[:0]
		for _, s := range custom.AssignableScopes {
			// Stored scopes were checked when the role was written.
			if canon, err := CanonicalScope(s); err == nil {
				r.assignable = append(r.assignable, canon)
			}
		}
	}
	return r
}

// Role names of Azure's generic built-in roles.
const (
	RoleOwner                   = "Owner"
	RoleContributor             = "Contributor"
	RoleReader                  = "Reader"
	RoleUserAccessAdministrator = "User Access Administrator"
)

// builtinRoles are Azure's generic built-in roles, with Azure's GUIDs so
// scripts that name roles by id work unchanged. Providers add the roles of
// their own actions and data actions (pipeline.Provider.Roles).
var builtinRoles = []tokend.RoleDefinition{
	{
		Name: RoleOwner, ID: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
		Description: "Grants full access to manage all resources, including the ability to assign roles.",
		Actions:     []string{"*"},
	},
	{
		Name: RoleContributor, ID: "b24988ac-6180-42a0-ab88-20f7382dd24c",
		Description: "Grants full access to manage all resources, but does not allow you to assign roles.",
		Actions:     []string{"*"},
		NotActions: []string{
			"Microsoft.Authorization/*/Delete",
			"Microsoft.Authorization/*/Write",
			"Microsoft.Authorization/elevateAccess/Action",
		},
	},
	{
		Name: RoleReader, ID: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
		Description: "View all resources, but does not allow you to make any changes.",
		Actions:     []string{"*/read"},
	},
	{
		Name: RoleUserAccessAdministrator, ID: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
		Description: "Lets you manage user access to Azure resources.",
		Actions:     []string{"*/read", "Microsoft.Authorization/*"},
	},
}

// roleIDSpace is the UUID namespace of derived role definition ids.
var roleIDSpace = uuid.MustParse("4f5d9c8e-2b1a-5e7f-9a3c-7d6e5f4a3b2c")

// RoleCatalog is the set of roles a deployment knows: the generic built-in
// ones and those its providers declare, fixed at start, and the custom
// roles in storage, swapped whole on Reload. Lookups are by name (without
// regard to case) or by GUID, and never take a lock.
type RoleCatalog struct {
	builtin roleSet
	custom  atomic.Pointer[roleSet]
	// reload serializes Reload, so that the last reload to finish stored
	// what the last one to start read.
	reload sync.Mutex
}

// roleSet is roles by key (lower-case name and GUID) and by name.
type roleSet struct {
	byKey map[string]*Role
	list  []*Role
}

func (s *roleSet) add(r *Role) error {
	for _, k := range []string{strings.ToLower(strings.TrimSpace(r.Name)), strings.ToLower(strings.TrimSpace(r.ID))} {
		if _, dup := s.byKey[k]; dup {
			return fmt.Errorf("role %q is declared twice", k)
		}
		s.byKey[k] = r
	}
	s.list = append(s.list, r)
	return nil
}

// NewRoleCatalog compiles the built-in roles and extra. A name or GUID
// declared twice is an error: an assignment must name one role.
func NewRoleCatalog(extra ...tokend.RoleDefinition) (*RoleCatalog, error) {
	c := &RoleCatalog{builtin: roleSet{byKey: map[string]*Role{}}}
	for _, def := range append(append([]tokend.RoleDefinition(nil), builtinRoles...), extra...) {
		if def.ID == "" {
			// A role Azure has no GUID for (or whose GUID tokend does not
			// know) gets a stable one derived from its name, so role
			// definition ids are the same on every node and every run.
			def.ID = uuid.NewSHA1(roleIDSpace, []byte(strings.ToLower(def.Name))).String()
		}
		if err := c.builtin.add(compileRole(def, nil)); err != nil {
			return nil, err
		}
	}
	sortRoles(c.builtin.list)
	c.custom.Store(&roleSet{byKey: map[string]*Role{}})
	return c, nil
}

func sortRoles(list []*Role) {
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
}

// defaultRoles is the catalog of the built-in roles only.
func defaultRoles() *RoleCatalog {
	c, err := NewRoleCatalog()
	if err != nil {
		panic(err) // the built-in list is fixed
	}
	return c
}

// Reload replaces the custom roles with those in store; err is a failed
// read, which leaves the catalog as it was. A stored role whose name or id
// a built-in role took since (a provider added it) is left out and named
// in ignored: assignments must name one role.
func (c *RoleCatalog) Reload(ctx context.Context, store tokend.CustomRoleStore) (ignored []string, err error) {
	c.reload.Lock()
	defer c.reload.Unlock()
	list, err := store.ListCustomRoles(ctx)
	if err != nil {
		return nil, fmt.Errorf("load custom roles: %w", err)
	}
	set := &roleSet{byKey: map[string]*Role{}}
	for _, cr := range list {
		if c.builtinNamed(cr.Name, cr.ID) {
			ignored = append(ignored, fmt.Sprintf("custom role %s (%q) has the name or id of a built-in role", cr.ID, cr.Name))
			continue
		}
		if err := set.add(compileRole(cr.RoleDefinition, cr)); err != nil {
			ignored = append(ignored, fmt.Sprintf("custom role %s: %v", cr.ID, err))
		}
	}
	sortRoles(set.list)
	c.custom.Store(set)
	return ignored, nil
}

// builtinNamed reports whether a built-in role has that name or id.
func (c *RoleCatalog) builtinNamed(name, id string) bool {
	_, byName := c.builtin.byKey[strings.ToLower(strings.TrimSpace(name))]
	_, byID := c.builtin.byKey[strings.ToLower(strings.TrimSpace(id))]
	return byName || byID
}

// Lookup finds a role by name (case-insensitive) or GUID.
func (c *RoleCatalog) Lookup(nameOrID string) (*Role, bool) {
	k := strings.ToLower(strings.TrimSpace(nameOrID))
	if r, ok := c.builtin.byKey[k]; ok {
		return r, true
	}
	r, ok := c.custom.Load().byKey[k]
	return r, ok
}

// List lists the roles by name: the built-in ones, then the custom ones.
func (c *RoleCatalog) List() []*Role {
	custom := c.custom.Load().list
	out := make([]*Role, 0, len(c.builtin.list)+len(custom))
	return append(append(out, c.builtin.list...), custom...)
}

// Permits reports whether the role grants a control-plane action.
func (r *Role) Permits(action string) bool {
	return r.control.permits(strings.ToLower(action))
}

// PermitsData reports whether the role grants a data-plane action.
func (r *Role) PermitsData(dataAction string) bool {
	return r.data.permits(strings.ToLower(dataAction))
}
