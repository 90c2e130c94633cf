package identity

import (
	"sort"
	"strings"
)

// RoleDefinition is a built-in role, shaped like Azure's: control-plane
// Actions minus NotActions, data-plane DataActions minus NotDataActions.
type RoleDefinition struct {
	Name           string
	ID             string // Azure's built-in role definition GUID, where one exists
	Description    string
	Actions        []string
	NotActions     []string
	DataActions    []string
	NotDataActions []string

	control, data actionSet
}

// Playwright data actions the Playwright data plane checks with
// AuthorizeData (the namespace is Azure's: Microsoft.AzurePlaywrightService).
const (
	PlaywrightReadAccount       = "Microsoft.AzurePlaywrightService/accounts/read"
	PlaywrightWriteAccount      = "Microsoft.AzurePlaywrightService/accounts/write"
	PlaywrightReadAccessTokens  = "Microsoft.AzurePlaywrightService/accounts/accessTokens/read"
	PlaywrightWriteAccessTokens = "Microsoft.AzurePlaywrightService/accounts/accessTokens/write"
	PlaywrightDeleteAccessToken = "Microsoft.AzurePlaywrightService/accounts/accessTokens/delete"
)

// Role names used by bootstrap and tests.
const (
	RoleOwner                        = "Owner"
	RoleContributor                  = "Contributor"
	RoleReader                       = "Reader"
	RoleUserAccessAdministrator      = "User Access Administrator"
	RolePlaywrightTestingOwner       = "Playwright Testing Owner"
	RolePlaywrightTestingContributor = "Playwright Testing Contributor"
	RolePlaywrightTestingReader      = "Playwright Testing Reader"
)

// builtinRoles mirrors Azure's built-in roles that matter to tokend's
// surfaces. The control-plane ones carry Azure's GUIDs so scripts that name
// roles by id work unchanged.
var builtinRoles = compileRoles([]*RoleDefinition{
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
	{
		Name:        RolePlaywrightTestingOwner,
		Description: "Full data-plane access to Playwright Testing accounts, including every user's access tokens.",
		Actions:     []string{"Microsoft.AzurePlaywrightService/accounts/read"},
		DataActions: []string{"Microsoft.AzurePlaywrightService/accounts/*"},
	},
	{
		Name:        RolePlaywrightTestingContributor,
		Description: "Run tests and manage access tokens in Playwright Testing accounts.",
		Actions:     []string{"Microsoft.AzurePlaywrightService/accounts/read"},
		DataActions: []string{
			PlaywrightReadAccount, PlaywrightWriteAccount,
			"Microsoft.AzurePlaywrightService/accounts/accessTokens/*",
		},
	},
	{
		Name:        RolePlaywrightTestingReader,
		Description: "Read Playwright Testing accounts and their access tokens.",
		Actions:     []string{"Microsoft.AzurePlaywrightService/accounts/read"},
		DataActions: []string{PlaywrightReadAccount, PlaywrightReadAccessTokens},
	},
})

func compileRoles(list []*RoleDefinition) map[string]*RoleDefinition {
	m := make(map[string]*RoleDefinition, 2*len(list))
	for _, r := range list {
		r.control = compileActions(r.Actions, r.NotActions)
		r.data = compileActions(r.DataActions, r.NotDataActions)
		m[strings.ToLower(r.Name)] = r
		if r.ID != "" {
			m[r.ID] = r
		}
	}
	return m
}

// LookupRole finds a built-in role by name (case-insensitive) or Azure GUID.
func LookupRole(nameOrID string) (*RoleDefinition, bool) {
	r, ok := builtinRoles[strings.ToLower(strings.TrimSpace(nameOrID))]
	return r, ok
}

// Roles lists the built-in roles by name.
func Roles() []*RoleDefinition {
	seen := map[*RoleDefinition]bool{}
	var out []*RoleDefinition
	for _, r := range builtinRoles {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Permits reports whether the role grants a control-plane action.
func (r *RoleDefinition) Permits(action string) bool {
	return r.control.permits(strings.ToLower(action))
}

// PermitsData reports whether the role grants a data-plane action.
func (r *RoleDefinition) PermitsData(dataAction string) bool {
	return r.data.permits(strings.ToLower(dataAction))
}
