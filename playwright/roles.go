package playwright

import tokend "github.com/tokend-dev/tokend"

// SurfaceAudience names the data plane's surface to the authenticator.
const SurfaceAudience tokend.Audience = "playwright"

// AudienceDefinition is the data plane's audience as identity issues and
// accepts it: a client requests https://playwright.microsoft.com/.default;
// Azure's aud, with and without the trailing slash, is accepted.
var AudienceDefinition = tokend.AudienceDefinition{
	Name:      SurfaceAudience,
	Resources: []string{Audience},
	Accepted:  []string{Audience, Audience + "/"},
}

// Data actions the data plane checks on the account's scope. The names are
// Azure's (the built-in Playwright Testing roles grant them).
const (
	actionReadAccount  = Namespace + "/accounts/read"
	actionWriteAccount = Namespace + "/accounts/write"
	actionReadTokens   = Namespace + "/accounts/accessTokens/read"
	actionWriteTokens  = Namespace + "/accounts/accessTokens/write"
	actionDeleteToken  = Namespace + "/accounts/accessTokens/delete"
	// actionRunTests opens remote browsers (Accounts_GetBrowsers and the
	// browsers gateway): the write data action, which Contributor and
	// Owner hold and Reader does not.
	actionRunTests = actionWriteAccount
)

// Role names of the built-in Playwright Testing roles.
const (
	RoleTestingOwner       = "Playwright Testing Owner"
	RoleTestingContributor = "Playwright Testing Contributor"
	RoleTestingReader      = "Playwright Testing Reader"
)

// Roles are the built-in roles that grant the data plane's data actions
// (Owner's "*" does not reach data, as in Azure).
var Roles = []tokend.RoleDefinition{
	{
		Name:        RoleTestingOwner,
		Description: "Full data-plane access to Playwright Testing accounts, including every user's access tokens.",
		Actions:     []string{Namespace + "/accounts/read"},
		DataActions: []string{Namespace + "/accounts/*"},
	},
	{
		Name:        RoleTestingContributor,
		Description: "Run tests and manage access tokens in Playwright Testing accounts.",
		Actions:     []string{Namespace + "/accounts/read"},
		DataActions: []string{actionReadAccount, actionWriteAccount, Namespace + "/accounts/accessTokens/*"},
	},
	{
		Name:        RoleTestingReader,
		Description: "Read Playwright Testing accounts and their access tokens.",
		Actions:     []string{Namespace + "/accounts/read"},
		DataActions: []string{actionReadAccount, actionReadTokens},
	},
}
