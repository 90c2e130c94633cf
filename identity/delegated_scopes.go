package identity

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// GraphAppID is Microsoft Graph's application id: the audience of a user
// token requested with OpenID scopes only (or bare Graph permissions such
// as User.Read), which is what the userinfo endpoint takes, as in Entra.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// defaultDelegatedPermission is the delegated permission a ".default"
// scope grants: the one every Azure API (ARM, Key Vault, Storage, ...)
// exposes, since tokend keeps no record of consented permissions.
const defaultDelegatedPermission = "user_impersonation"

// delegatedScopes is what a user-token request asks for: one resource
// with permissions (the access token's aud and scp), and the OpenID
// scopes (an ID token, a refresh token).
type delegatedScopes struct {
	// resource is the resource as requested ("https://management.core.windows.net/");
	// aud the access token's audience.
	resource string
	aud      string
	// permissions are the scp claim's entries.
	permissions []string
	openid      bool
	profile     bool
	email       bool
	offline     bool
	// requested is the scope parameter as given, kept with a refresh
	// token so a refresh without a scope asks for the same.
	requested string
	// asked are the resource scopes as requested ("…//.default"): the
	// response's scope lists them verbatim, as Entra's does, because
	// MSAL counts any requested scope missing from it as declined.
	asked []string
}

// scp is the access token's scp claim.
func (d *delegatedScopes) scp() string { return strings.Join(d.permissions, " ") }

// granted is the scope of the token response: the resource's permissions
// as scopes, and the OpenID scopes asked for.
func (d *delegatedScopes) granted() string {
	var out []string
	for _, p := range d.permissions {
		sc := p
		if d.aud != GraphAppID {
			// The resource prefix as requested, its separating slash
			// included: "https://management.core.windows.net//user_impersonation",
			// as Entra spells it.
			sc = d.resource + p
			if !strings.HasSuffix(d.resource, "/") {
				sc = d.resource + "/" + p
			}
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	for _, sc := range d.asked {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, sc) }) {
			out = append(out, sc)
		}
	}
	for _, o := range []struct {
		on   bool
		name string
	}{{d.openid, "openid"}, {d.profile, "profile"}, {d.email, "email"}, {d.offline, "offline_access"}} {
		if o.on {
			out = append(out, o.name)
		}
	}
	return strings.Join(out, " ")
}

// parseDelegatedScopes reads a user-token request's scopes: OpenID
// scopes, and "{resource}/{permission}" scopes of one resource (".default"
// grants user_impersonation); bare names are Microsoft Graph permissions;
// with no resource scope the token is Graph's (for userinfo). On the v1
// endpoint a resource parameter names the resource instead.
func (s *Service) parseDelegatedScopes(r *http.Request, tenantID, scope, v1Resource string) (*delegatedScopes, *grantError) {
	d := &delegatedScopes{requested: scope}
	var resource string
	var perms []string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid":
			d.openid = true
			continue
		case "profile":
			d.profile = true
			continue
		case "email":
			d.email = true
			continue
		case "offline_access":
			d.offline = true
			continue
		}
		res, perm := GraphAppID, sc
		if i := strings.LastIndexByte(sc, '/'); i >= 0 {
			res, perm = sc[:i+1], sc[i+1:]
			if perm == "" {
				return nil, newGrantError(http.StatusBadRequest, "invalid_scope", 70011,
					"The provided value for the input parameter 'scope' is not valid. The scope %s does not name a permission.", sanitize(sc))
			}
		}
		if resource != "" && !sameResource(resource, res) {
			return nil, newGrantError(http.StatusBadRequest, "invalid_scope", 28000,
				"Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", sanitize(scope))
		}
		resource = res
		if !slices.Contains(perms, perm) {
			perms = append(perms, perm)
		}
		d.asked = append(d.asked, sc)
	}
	if v1Resource != "" {
		resource, perms = v1Resource, []string{".default"}
	}
	if resource == "" {
		resource, perms = GraphAppID, []string{"User.Read"}
	}
	d.resource = resource
	if resource == GraphAppID {
		d.aud = GraphAppID
	} else {
		aud, err := s.resourceAudience(r, tenantID, strings.TrimRight(resource, "/"))
		switch {
		case errors.Is(err, tokend.ErrNotFound):
			return nil, newGrantError(http.StatusBadRequest, "invalid_resource", 500011,
				"The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
				sanitize(strings.TrimRight(resource, "/")), tenantID)
		case err != nil:
			return nil, newGrantError(http.StatusServiceUnavailable, "temporarily_unavailable", 0, "The resource could not be resolved; retry later.")
		}
		d.aud = aud
	}
	for _, p := range perms {
		if p == ".default" {
			p = defaultDelegatedPermission
			if d.aud == GraphAppID {
				p = "User.Read"
			}
		}
		if !slices.Contains(d.permissions, p) {
			d.permissions = append(d.permissions, p)
		}
	}
	return d, nil
}

// sameResource compares two resource prefixes without regard to case or
// trailing slashes.
func sameResource(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}
