package identity

import (
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// Resource identifiers tokend issues tokens for (the scope's "/.default"
// prefix; the token's aud).
const (
	ResourceManagement      = "https://management.core.windows.net/"
	ResourceManagementAzure = "https://management.azure.com/"
	ResourcePlaywright      = "https://playwright.microsoft.com"
)

// surfaceAudiences are the aud values each surface accepts: Azure's own
// lists, with and without the trailing slash.
var surfaceAudiences = map[tokend.Audience][]string{
	tokend.AudienceManagement: {
		"https://management.core.windows.net/", "https://management.core.windows.net",
		"https://management.azure.com/", "https://management.azure.com",
	},
	tokend.AudiencePlaywright: {
		"https://playwright.microsoft.com", "https://playwright.microsoft.com/",
	},
}

// resourceAudience maps a requested resource (a scope without "/.default",
// or the v1 resource parameter) to the aud claim of the token: the resource
// as the client spelled it, when it is one tokend issues for.
func resourceAudience(resource string) (string, bool) {
	trimmed := strings.TrimRight(strings.ToLower(resource), "/")
	switch trimmed {
	case "https://management.core.windows.net", "https://management.azure.com":
		return trimmed + "/", true
	case "https://playwright.microsoft.com":
		return ResourcePlaywright, true
	}
	return "", false
}

// isOpenIDScope reports the scopes MSAL adds to every request; they ask for
// nothing in a client-credentials grant.
func isOpenIDScope(s string) bool {
	switch s {
	case "openid", "offline_access", "profile", "email":
		return true
	}
	return false
}
