package identity

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// serveOnBehalfOfGrant is OAuth 2.0 on-behalf-of (Entra's use of the
// jwt-bearer grant, requested_token_use=on_behalf_of): a confidential
// client (a web API) trades a user's access token issued to it for one to
// another resource, for the same user.
func (s *Service) serveOnBehalfOfGrant(w http.ResponseWriter, r *http.Request, tenantID string, form url.Values) {
	if use := form.Get("requested_token_use"); use != "on_behalf_of" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The jwt-bearer grant needs requested_token_use=on_behalf_of; got '"+sanitize(use)+"'.")
		return
	}
	if !s.requireFormParams(w, r, form, "assertion") {
		return
	}
	client, acr, ok := s.authenticateGrantClient(w, r, tenantID, form)
	if !ok {
		return
	}
	if acr == acrPublic {
		s.oauthError(w, r, http.StatusBadRequest, "unauthorized_client", 700025,
			"Client is public so the on-behalf-of flow is not available to it; a confidential client must present its credentials.")
		return
	}
	user, gerr := s.onBehalfOfUser(r, tenantID, client, form.Get("assertion"))
	if gerr != nil {
		s.refuseGrant(w, r, client.ID, gerr)
		return
	}
	scopes, ok := s.scopesOf(w, r, tenantID, form.Get("scope"), form)
	if !ok {
		return
	}
	s.writeUserTokens(w, r, &userTokenRequest{
		base: s.baseURL(r), tenantID: tenantID, client: client, user: user, scopes: scopes, acr: acr,
		amr: []string{"pwd"}, authTime: s.cfg.Now(), clientInfo: form.Get("client_info") == "1",
	}, grantOnBehalfOf)
}

// onBehalfOfUser checks the user's token an on-behalf-of request
// presents: signed by this issuer, unexpired and unrevoked, a user's
// (not an application's), of this tenant, and issued to the calling
// client (its aud is the client's id, as a token asked for with
// "{clientId}/.default" or the client's identifier URI is).
func (s *Service) onBehalfOfUser(r *http.Request, tenantID string, client *tokend.Client, assertion string) (*tokend.User, *grantError) {
	c, err := s.Verify(r.Context(), assertion)
	if err != nil {
		var te *tokenError
		if errors.As(err, &te) {
			return nil, invalidGrant(50013, "Assertion failed validation: %s", te.message)
		}
		return nil, unavailableGrant(err)
	}
	var typ struct {
		Idtyp string `json:"idtyp"`
	}
	if json.Unmarshal(c.Raw, &typ) != nil || typ.Idtyp != "user" || c.External {
		return nil, invalidGrant(50013, "Assertion is not a user's access token: the on-behalf-of flow exchanges a token a user signed in for.")
	}
	if !c.Audience.Contains(client.ID) {
		return nil, invalidGrant(50013, "Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '%s' and the expected audience is '%s'.",
			sanitize(strings.Join(c.Audience, ",")), client.ID)
	}
	if !strings.EqualFold(c.TenantID, tenantID) {
		return nil, invalidGrant(50013, "Assertion was issued in another tenant than '%s'.", tenantID)
	}
	user, err := s.cfg.Store.GetUser(r.Context(), strings.ToLower(c.ObjectID))
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, invalidGrant(50034, "The user account %s does not exist in the %s directory.", sanitize(c.ObjectID), tenantID)
	}
	if err != nil {
		return nil, unavailableGrant(err)
	}
	return user, nil
}
