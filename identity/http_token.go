package identity

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// tokenResponse is Entra's token response. expires_in and ext_expires_in
// must be integers: MSAL reads them as such.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

// serveToken is the token endpoint: the client credentials grant, with
// client_secret_post or client_secret_basic, for a "<resource>/.default"
// scope (v2) or a resource parameter (v1 path).
func (s *Service) serveToken(w http.ResponseWriter, r *http.Request, tenantID string) {
	form, ok := s.parseOAuthForm(w, r)
	if !ok {
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'grant_type'.")
		return
	default:
		s.oauthError(w, r, http.StatusBadRequest, "unsupported_grant_type", 70003,
			"The app requested an unsupported grant type '"+sanitize(gt)+"'.")
		return
	}
	cc, ok := s.readClientCredentials(w, r, form)
	if !ok {
		return
	}
	aud, ok := s.requestedAudience(w, r, form, tenantID)
	if !ok {
		return
	}
	// The claims parameter (MSAL sends xms_cc client capabilities) asks for
	// nothing tokend's tokens lack; it only has to be JSON.
	if c := form.Get("claims"); c != "" && !json.Valid([]byte(c)) {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 70011, "The claims parameter is not valid JSON.")
		return
	}
	client, ok := s.authenticateClient(w, r, tenantID, cc)
	if !ok {
		return
	}
	tok, err := s.issueAccessToken(r.Context(), s.baseURL(r), tenantID, client.ID, client.ObjectID, aud)
	if err != nil {
		s.log.ErrorContext(r.Context(), "issue access token", "request_id", wire.TraceFrom(r.Context()).RequestID, "err", err.Error())
		s.oauthError(w, r, http.StatusInternalServerError, "temporarily_unavailable", 0, "The token could not be issued; retry later.")
		return
	}
	secs := int64(tok.expires.Seconds())
	writeJSON(w, http.StatusOK, tokenResponse{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: tok.token})
}

// requestedAudience reads the one resource a client-credentials request
// may name: "<resource>/.default" among the scopes (the OpenID scopes MSAL
// adds are ignored), or the v1 resource parameter.
func (s *Service) requestedAudience(w http.ResponseWriter, r *http.Request, form map[string][]string, tenantID string) (string, bool) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var resource string
	if res := get("resource"); res != "" && strings.HasSuffix(r.URL.Path, "/oauth2/token") {
		resource = res
	} else {
		var named []string
		for _, sc := range strings.Fields(get("scope")) {
			if !isOpenIDScope(sc) {
				named = append(named, sc)
			}
		}
		switch {
		case len(named) == 0:
			s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
				"The request body must contain the following parameter: 'scope'.")
			return "", false
		case len(named) > 1:
			s.oauthError(w, r, http.StatusBadRequest, "invalid_scope", 70011,
				"The provided value for the input parameter 'scope' is not valid: a client credentials request names one resource.")
			return "", false
		}
		var ok bool
		resource, ok = strings.CutSuffix(named[0], "/.default")
		if !ok {
			s.oauthError(w, r, http.StatusBadRequest, "invalid_scope", 1002012,
				"The provided value for scope "+sanitize(named[0])+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
			return "", false
		}
	}
	aud, ok := s.audiences.resource(resource)
	if !ok {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_scope", 500011,
			"The resource principal named "+sanitize(resource)+" was not found in the tenant named "+tenantID+
				". This can happen if the application has not been installed by the administrator of the tenant.")
		return "", false
	}
	return aud, true
}
