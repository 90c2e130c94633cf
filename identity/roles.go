package identity

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// Role is a role definition compiled for checks.
type Role struct {
	tokend.RoleDefinition
	control, data actionSet
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
// ones and those its providers declare. Lookups are by name (without
// regard to case) or by GUID.
type RoleCatalog struct {
	byKey map[string]*Role
	list  []*Role
}

// NewRoleCatalog compiles the built-in roles and extra. A name or GUID
// declared twice is an error: an assignment must name one role.
func NewRoleCatalog(extra ...tokend.RoleDefinition) (*RoleCatalog, error) {
	c := &RoleCatalog{byKey: map[string]*Role{}}
	for _, def := range append(append([]tokend.RoleDefinition(nil), builtinRoles...), extra...) {
		if def.ID == "" {
			// A role Azure has no GUID for (or whose GUID tokend does not
			// know) gets a stable one derived from its name, so role
			// definition ids are the same on every node and every run.
			def.ID = uuid.NewSHA1(roleIDSpace, []byte(strings.ToLower(def.Name))).String()
		}
		r := &Role{RoleDefinition: def,
			control: compileActions(def.Actions, def.NotActions),
			data:    compileActions(def.DataActions, def.NotDataActions)}
		keys := []string{strings.ToLower(strings.TrimSpace(def.Name))}
		if def.ID != "" {
			keys = append(keys, strings.ToLower(strings.TrimSpace(def.ID)))
		}
		for _, k := range keys {
			if _, dup := c.byKey[k]; dup {
				return nil, fmt.Errorf("role %q is declared twice", k)
			}
			c.byKey[k] = r
		}
		c.list = append(c.list, r)
	}
	sort.Slice(c.list, func(i, j int) bool { return c.list[i].Name < c.list[j].Name })
	return c, nil
}

// defaultRoles is the catalog of the built-in roles only.
func defaultRoles() *RoleCatalog {
	c, err := NewRoleCatalog()
	if err != nil {
		panic(err) // the built-in list is fixed
	}
	return c
}

// Lookup finds a role by name (case-insensitive) or GUID.
func (c *RoleCatalog) Lookup(nameOrID string) (*Role, bool) {
	r, ok := c.byKey[strings.ToLower(strings.TrimSpace(nameOrID))]
	return r, ok
}

// List lists the roles by name.
func (c *RoleCatalog) List() []*Role { return c.list }

// Permits reports whether the role grants a control-plane action.
func (r *Role) Permits(action string) bool {
	return r.control.permits(strings.ToLower(action))
}

// PermitsData reports whether the role grants a data-plane action.
func (r *Role) PermitsData(dataAction string) bool {
	return r.data.permits(strings.ToLower(dataAction))
}
