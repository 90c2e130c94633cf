package identity

import (
	"net/http"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/wire"
)

// RevokeAnyTokenAction is the permission (at "/") to revoke tokens issued
// to other clients. Owner and User Access Administrator hold it;
// Contributor's NotActions exclude it.
const RevokeAnyTokenAction = "Microsoft.Authorization/tokens/delete"

// serveRevoke is RFC 7009 token revocation. A client revokes its own
// tokens; revoking another client's takes RevokeAnyTokenAction at the
// root. Tokens that are invalid or already expired need no revocation and
// get the same 200 (§2.2).
func (s *Service) serveRevoke(w http.ResponseWriter, r *http.Request, tenantID string) {
	form, ok := s.parseOAuthForm(w, r)
	if !ok {
		return
	}
	cc, ok := s.readClientCredentials(w, r, form)
	if !ok {
		return
	}
	client, _, ok := s.authenticateClient(w, r, tenantID, cc)
	if !ok {
		return
	}
	token := form.Get("token")
	if token == "" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'token'.")
		return
	}
	switch hint := form.Get("token_type_hint"); hint {
	case "", "access_token":
	default:
		s.oauthError(w, r, http.StatusBadRequest, "unsupported_token_type", 0,
			"Only access tokens can be revoked; tokend issues no refresh tokens.")
		return
	}
	c, err := s.Verify(r.Context(), token)
	if err != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	if !strings.EqualFold(c.ClientID(), client.ID) {
		caller := &tokend.Principal{ObjectID: client.ObjectID, ClientID: client.ID, TenantID: client.TenantID}
		if s.authz.Authorize(r.Context(), caller, RevokeAnyTokenAction, "/") != nil {
			s.oauthError(w, r, http.StatusBadRequest, "unauthorized_client", 0,
				"The client may revoke only tokens issued to it.")
			return
		}
	}
	if c.ID == "" {
		s.oauthError(w, r, http.StatusBadRequest, "unsupported_token_type", 0,
			"The token has no jti and cannot be revoked.")
		return
	}
	if err := s.Revoke(r.Context(), c.ID, c.Expiry()); err != nil {
		status := s.troubleStatus(w, r, "revoke token", err)
		if status == http.StatusInternalServerError {
			// RFC 7009 §2.2.1: a revocation the server could not make is
			// a 503 the client may retry, whatever the cause.
			w.Header().Set("Retry-After", wire.RetryAfterSeconds)
			status = http.StatusServiceUnavailable
		}
		s.oauthError(w, r, status, "temporarily_unavailable", 0, "The token could not be revoked; retry later.")
		return
	}
	if err := s.record(r.Context(), r, &audit.Event{Principal: client.ObjectID, Action: audit.ActionTokenRevoke,
		Target: "client:" + c.ClientID(), Result: audit.Success, TokenID: s.cfg.Audit.HashID(c.ID)}); err != nil {
		s.auditUnavailable(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
