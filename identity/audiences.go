package identity

import (
	"slices"
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// Resource identifiers of Azure Resource Manager, the audience every
// deployment has (the scope's "/.default" prefix; the token's aud).
const (
	ResourceManagement      = "https://management.core.windows.net/"
	ResourceManagementAzure = "https://management.azure.com/"
)

// managementAudience is ARM's: Azure's own list, with and without the
// trailing slash. Providers declare the audiences of their own surfaces.
var managementAudience = tokend.AudienceDefinition{
	Name:      tokend.AudienceManagement,
	Resources: []string{ResourceManagement, ResourceManagementAzure},
	Accepted: []string{
		"https://management.core.windows.net/", "https://management.core.windows.net",
		"https://management.azure.com/", "https://management.azure.com",
	},
}

// audiences maps surfaces to the aud values they accept, and requestable
// resources to the aud of the token issued for them.
type audiences struct {
	accepted map[tokend.Audience][]string
	// byResource maps a resource, lower case and without trailing
	// slashes, to the aud it is issued with.
	byResource map[string]string
}

func newAudiences(defs []tokend.AudienceDefinition) *audiences {
	a := &audiences{accepted: map[tokend.Audience][]string{}, byResource: map[string]string{}}
	for _, d := range append([]tokend.AudienceDefinition{managementAudience}, defs...) {
		a.accepted[d.Name] = append(a.accepted[d.Name], d.Accepted...)
		for _, r := range d.Resources {
			a.byResource[strings.TrimRight(strings.ToLower(r), "/")] = r
		}
	}
	return a
}

// resource maps a requested resource (a scope without "/.default", or the
// v1 resource parameter) to the aud claim of the token: the resource as
// registered, when it is one tokend issues for.
func (a *audiences) resource(resource string) (string, bool) {
	aud, ok := a.byResource[strings.TrimRight(strings.ToLower(resource), "/")]
	return aud, ok
}

// names lists the resources tokend issues tokens for, as registered,
// sorted: what an unknown resource's error offers instead.
func (a *audiences) names() []string {
	out := make([]string, 0, len(a.byResource))
	for _, r := range a.byResource {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
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
