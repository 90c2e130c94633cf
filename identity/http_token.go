package identity

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// tokenResponse is Entra's token response. expires_in and ext_expires_in
// must be integers: MSAL reads them as such. The v1 endpoint adds
// expires_on, not_before and resource, strings as Entra sends them.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on,omitempty"`
	NotBefore    string `json:"not_before,omitempty"`
	Resource     string `json:"resource,omitempty"`
	// Scope, RefreshToken, IDToken and ClientInfo answer user grants
	// (client_info: MSAL's home account id, asked for with client_info=1).
	Scope        string `json:"scope,omitempty"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
}

// serveToken is the token endpoint: the client credentials grant, with
// client_secret_post or client_secret_basic, for a "<resource>/.default"
// scope (v2) or a resource parameter (v1 path); and the user grants
// (password, refresh token, on-behalf-of; http_user_grants.go).
func (s *Service) serveToken(w http.ResponseWriter, r *http.Request, tenantID string) {
	form, ok := s.parseOAuthForm(w, r)
	if !ok {
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case grantTypePassword:
		s.servePasswordGrant(w, r, tenantID, form)
		return
	case grantTypeRefreshToken:
		s.serveRefreshGrant(w, r, tenantID, form)
		return
	case grantTypeCode:
		s.serveCodeGrant(w, r, tenantID, form)
		return
	case grantTypeJWTBearer:
		s.serveOnBehalfOfGrant(w, r, tenantID, form)
		return
	case grantTypeDeviceCode, grantTypeDeviceCodeShort:
		s.serveDeviceCodeGrant(w, r, tenantID, form)
		return
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
	client, acr, ok := s.authenticateClient(w, r, tenantID, cc)
	if !ok {
		return
	}
	tok, err := s.issueAccessToken(r.Context(), s.baseURL(r), tenantID, client.ID, client.ObjectID, aud, acr)
	if err != nil {
		s.oauthError(w, r, s.troubleStatus(w, r, "issue access token", err), "temporarily_unavailable", 0, "The token could not be issued; retry later.")
		return
	}
	if err := s.record(r.Context(), r, s.issuedEvent(client.ObjectID, client.ID, grantClientCredentials, aud, tok)); err != nil {
		s.auditUnavailable(w, r, err)
		return
	}
	secs := int64(tok.expires.Seconds())
	resp := tokenResponse{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: tok.token}
	if isV1TokenPath(r) {
		v1Response(&resp, tok, aud)
	}
	writeJSON(w, http.StatusOK, resp)
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
	if res := get("resource"); res != "" && isV1TokenPath(r) {
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
	aud, err := s.resourceAudience(r, tenantID, resource)
	if errors.Is(err, tokend.ErrNotFound) {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_resource", 500011,
			"The resource principal named "+sanitize(resource)+" was not found in the tenant named "+tenantID+
				". This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."+
				" tokend issues tokens for "+strings.Join(s.audiences.names(), ", ")+" (scope: <resource>/.default), for its base URL, and for any client's id or application ID URI (tokend clients create --identifier-uri).")
		return "", false
	}
	if err != nil {
		s.oauthError(w, r, s.troubleStatus(w, r, "resolve resource", err), "temporarily_unavailable", 0, "The resource could not be resolved; retry later.")
		return "", false
	}
	return aud, true
}

// isV1TokenPath reports the v1 token endpoint ({tenant}/oauth2/token).
func isV1TokenPath(r *http.Request) bool {
	return strings.HasSuffix(strings.TrimRight(strings.ToLower(r.URL.Path), "/"), "/oauth2/token")
}

// resourceAudience maps a requested resource to the aud of the token:
// a surface's resource (ARM, a provider's data plane); tokend's own base
// URL, as ARM (the JavaScript SDK asks for exactly that when given only an
// endpoint); or an application of the tenant, by client id or identifier
// URI, whose tokens carry that client's id as aud (a daemon calling a
// team's own API). tokend.ErrNotFound when it names none.
func (s *Service) resourceAudience(r *http.Request, tenantID, resource string) (string, error) {
	if aud, ok := s.audiences.resource(resource); ok {
		return aud, nil
	}
	trimmed := strings.TrimRight(resource, "/")
	for _, base := range []string{s.baseURL(r), s.cfg.PublicURL, s.BaseURL()} {
		if base != "" && strings.EqualFold(trimmed, strings.TrimRight(base, "/")) {
			return ResourceManagement, nil
		}
	}
	var app *tokend.Client
	var err error
	if _, perr := uuid.Parse(trimmed); perr == nil {
		app, err = s.Clients.lookup(r.Context(), tenantID, trimmed)
		if errors.Is(err, ErrClientNotFound) {
			return "", tokend.ErrNotFound
		}
	} else {
		app, err = s.cfg.Store.ClientByIdentifierURI(r.Context(), resource)
		if err == nil && !strings.EqualFold(app.TenantID, tenantID) {
			return "", tokend.ErrNotFound
		}
	}
	if err != nil {
		return "", err
	}
	return app.ID, nil
}
