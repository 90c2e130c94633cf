package identity

import (
	"errors"
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

// serveRevoke is RFC 7009 token revocation of access tokens and refresh
// tokens (a refresh token's whole family). A client revokes its own
// tokens (a public client naming itself by client_id); revoking another client's takes RevokeAnyTokenAction at the
// root. Tokens that are invalid or already expired need no revocation and
// get the same 200 (§2.2).
func (s *Service) serveRevoke(w http.ResponseWriter, r *http.Request, tenantID string) {
	form, ok := s.parseOAuthForm(w, r)
	if !ok {
		return
	}
	client, _, ok := s.authenticateGrantClient(w, r, tenantID, form)
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
	case "", "access_token", "refresh_token":
	default:
		// RFC 7009 §2.2.1: an unknown hint is a token type the server
		// does not support.
		s.oauthError(w, r, http.StatusBadRequest, "unsupported_token_type", 0,
			"token_type_hint must be access_token or refresh_token.")
		return
	}
	if isRefreshToken(token) {
		s.revokeRefreshToken(w, r, client, token)
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

// revokeRefreshToken revokes the family of a refresh token: every refresh
// token of that sign-in stops working, on every node at once (the family's
// row is read on every refresh).
func (s *Service) revokeRefreshToken(w http.ResponseWriter, r *http.Request, client *tokend.Client, token string) {
	c, err := s.openRefreshToken(token)
	if err != nil {
		w.WriteHeader(http.StatusOK) // not a token of ours: nothing to revoke
		return
	}
	if !strings.EqualFold(c.Client, client.ID) {
		caller := &tokend.Principal{ObjectID: client.ObjectID, ClientID: client.ID, TenantID: client.TenantID}
		if s.authz.Authorize(r.Context(), caller, RevokeAnyTokenAction, "/") != nil {
			s.oauthError(w, r, http.StatusBadRequest, "unauthorized_client", 0,
				"The client may revoke only tokens issued to it.")
			return
		}
	}
	if err := s.cfg.Store.RevokeRefreshFamily(r.Context(), c.Family); err != nil && !errors.Is(err, tokend.ErrNotFound) {
		s.oauthError(w, r, s.troubleStatus(w, r, "revoke refresh token", err), "temporarily_unavailable", 0, "The token could not be revoked; retry later.")
		return
	}
	if err := s.record(r.Context(), r, &audit.Event{Principal: client.ObjectID, Action: audit.ActionTokenRevoke,
		Target: "client:" + c.Client, Result: audit.Success, TokenID: s.cfg.Audit.HashID("refresh:" + c.Family)}); err != nil {
		s.auditUnavailable(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
