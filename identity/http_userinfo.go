package identity

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/pipeline"
)

// UserInfoPath is Entra's OpenID Connect userinfo endpoint, outside any
// tenant: the token says whose it is.
const UserInfoPath = "/oidc/userinfo"

// graphAudiences are the aud values of a Microsoft Graph token, which is
// what the userinfo endpoint takes (a token asked for with OpenID scopes
// only is one).
var graphAudiences = []string{GraphAppID, "https://graph.microsoft.com", "https://graph.microsoft.com/"}

// userInfo is the userinfo answer (OpenID Connect Core §5.3.2); sub is
// the ID token's.
type userInfo struct {
	Sub               string `json:"sub"`
	Name              string `json:"name,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Oid               string `json:"oid,omitempty"`
	Tid               string `json:"tid,omitempty"`
}

// OIDCRoutes are the endpoints under /oidc.
func (s *Service) OIDCRoutes() []pipeline.Route {
	var routes []pipeline.Route
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		routes = append(routes, pipeline.Route{Method: m, Pattern: UserInfoPath, Label: "identity:userinfo",
			Serve: func(w http.ResponseWriter, r *pipeline.Request) { s.serveUserInfo(w, r.HTTP) }})
	}
	return routes
}

// serveUserInfo answers the claims of the user a Graph access token was
// issued for (RFC 6750 bearer; errors in its WWW-Authenticate shape).
func (s *Service) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	refuse := func(code, desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+strings.ReplaceAll(desc, `"`, "'")+`"`)
		s.oauthError(w, r, http.StatusUnauthorized, code, 0, desc)
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer`)
		s.oauthError(w, r, http.StatusUnauthorized, "invalid_request", 0, "The request carries no bearer token.")
		return
	}
	c, err := s.Verify(r.Context(), strings.TrimSpace(token))
	if err != nil {
		var te *tokenError
		if errors.As(err, &te) {
			refuse("invalid_token", te.message)
			return
		}
		s.oauthError(w, r, s.troubleStatus(w, r, "verify userinfo token", err), "temporarily_unavailable", 0, "The token could not be checked; retry later.")
		return
	}
	var claims struct {
		Idtyp             string `json:"idtyp"`
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
	}
	_ = json.Unmarshal(c.Raw, &claims)
	accepted := false
	for _, a := range graphAudiences {
		accepted = accepted || c.Audience.Contains(a)
	}
	switch {
	case !accepted:
		refuse("invalid_token", "The userinfo endpoint takes a token for Microsoft Graph (asked for with the scopes openid profile), not one for '"+sanitize(strings.Join(c.Audience, ","))+"'.")
		return
	case claims.Idtyp != "user":
		refuse("invalid_token", "The token is not a user's.")
		return
	}
	writeJSON(w, http.StatusOK, userInfo{Sub: c.Subject, Name: claims.Name, PreferredUsername: claims.PreferredUsername, Oid: c.ObjectID, Tid: c.TenantID})
}
