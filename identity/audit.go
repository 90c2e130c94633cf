package identity

import (
	"context"
	"net/http"

	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/wire"
)

// Grants as audit events name them.
const (
	grantClientCredentials = "client_credentials"
	grantManagedIdentity   = "managed_identity"
)

// record writes an event about r to the audit log (nothing when it is
// off), filling in the request id and source. The caller answers only
// after it succeeded and answers 503 when it failed: a token the log does
// not account for is never handed out.
func (s *Service) record(ctx context.Context, r *http.Request, ev *audit.Event) error {
	if s.cfg.Audit == nil {
		return nil
	}
	ev.RequestID = wire.TraceFrom(ctx).RequestID
	ev.Source = wire.SourceAddress(r)
	return s.cfg.Audit.Record(ctx, ev)
}

// issuedEvent is the event of a token issued to principal.
func (s *Service) issuedEvent(principal, clientID, grant, aud string, tok *issuedToken) *audit.Event {
	return &audit.Event{
		Principal: principal, Action: audit.ActionTokenIssue, Target: "client:" + clientID, Result: audit.Success,
		Grant: grant, Audience: aud, TokenID: s.cfg.Audit.HashID(tok.id),
	}
}

// recordAuthnFailure records a failed client authentication at the token
// endpoint: the client id claimed, and why (the error and AADSTS code
// answered).
func (s *Service) recordAuthnFailure(r *http.Request, claimed, reason string) error {
	return s.record(r.Context(), r, &audit.Event{
		Principal: "client:" + claimed, Action: audit.ActionAuthnFailure, Target: r.URL.Path,
		Result: audit.Failure, Status: http.StatusUnauthorized, Reason: reason,
	})
}

// auditUnavailable answers the OAuth error for an event that could not be
// recorded.
func (s *Service) auditUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "audit event not recorded; answering 503", "request_id", wire.TraceFrom(r.Context()).RequestID, "err", err.Error())
	w.Header().Set("Retry-After", "1")
	s.oauthError(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", 0, "The request could not be recorded in the audit log; retry later.")
}
