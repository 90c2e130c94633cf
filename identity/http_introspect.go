package identity

import (
	"net/http"
)

// introspection is an RFC 7662 response for an active token.
type introspection struct {
	Active    bool     `json:"active"`
	TokenType string   `json:"token_type,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Scope     string   `json:"scope,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  Audience `json:"aud,omitempty"`
	Issuer    string   `json:"iss,omitempty"`
	ExpiresAt int64    `json:"exp,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	NotBefore int64    `json:"nbf,omitempty"`
	TokenID   string   `json:"jti,omitempty"`
	ObjectID  string   `json:"oid,omitempty"`
	TenantID  string   `json:"tid,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	Resource  string   `json:"xms_tkd_res,omitempty"` // tokend.ClaimResource
}

// serveIntrospect is RFC 7662 token introspection for authenticated
// clients. A token is active when Verify accepts it, which runs the
// providers' validators: a container-app token reports inactive once its
// app is deleted. Why a token is inactive is not said (§2.2).
func (s *Service) serveIntrospect(w http.ResponseWriter, r *http.Request, tenantID string) {
	form, ok := s.parseOAuthForm(w, r)
	if !ok {
		return
	}
	cc, ok := s.readClientCredentials(w, r, form)
	if !ok {
		return
	}
	if _, _, ok := s.authenticateClient(w, r, tenantID, cc); !ok {
		return
	}
	token := form.Get("token")
	if token == "" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'token'.")
		return
	}
	c, err := s.Verify(r.Context(), token)
	if err != nil {
		writeJSON(w, http.StatusOK, introspection{Active: false})
		return
	}
	writeJSON(w, http.StatusOK, introspection{
		Active: true, TokenType: "Bearer", ClientID: c.ClientID(), Scope: c.Scope,
		Subject: c.Subject, Audience: c.Audience, Issuer: c.Issuer,
		ExpiresAt: c.ExpiresAt, IssuedAt: c.IssuedAt, NotBefore: c.NotBefore, TokenID: c.ID,
		ObjectID: c.ObjectID, TenantID: c.TenantID, Roles: c.Roles, Resource: c.Resource,
	})
}
