package identity

import (
	"net/http"
	"strings"
)

// userRealm is the home realm discovery document MSAL reads before a
// username/password sign-in (GET /common/UserRealm/{upn}?api-version=1.0).
type userRealm struct {
	Version           string `json:"ver"`
	AccountType       string `json:"account_type"`
	DomainName        string `json:"domain_name"`
	CloudInstanceName string `json:"cloud_instance_name"`
	CloudAudienceURN  string `json:"cloud_audience_urn"`
}

// serveUserRealm answers every name as a managed account: tokend's users
// sign in with their password here, never at a federated IdP. It does not
// look the name up, so the answer tells nothing of which users exist.
func (s *Service) serveUserRealm(w http.ResponseWriter, r *http.Request, _ string) {
	name := lastSegment(r.URL.Path)
	_, domain, ok := strings.Cut(name, "@")
	if !ok || domain == "" || strings.ContainsAny(domain, "/@ ") {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 90014,
			"The user name must be a user principal name of the form name@domain.")
		return
	}
	writeJSON(w, http.StatusOK, userRealm{
		Version: "1.0", AccountType: "Managed", DomainName: strings.ToLower(domain),
		CloudInstanceName: r.Host, CloudAudienceURN: "urn:federation:MicrosoftOnline",
	})
}
