package identity

import (
	"net/http"
	"time"

	"github.com/tokend-dev/tokend/wire"
)

// Throttle limits client authentications (the token, introspection and
// revocation endpoints) and counts their failures; package ratelimit
// implements it. identity only asks and reports.
type Throttle interface {
	// AdmitClient is asked before clientID's credentials are checked
	// (clientID is "" when only a client assertion names the client); not
	// ok refuses the request for retryAfter.
	AdmitClient(r *http.Request, clientID string) (retryAfter time.Duration, ok bool)
	// FailedClient records a failed authentication and its reason.
	FailedClient(r *http.Request, clientID, reason string)
}

// Failure reasons reported to the Throttle (metric label values).
const (
	FailureUnknownClient    = "unknown_client"
	FailureInvalidSecret    = "invalid_client_secret"
	FailureInvalidAssertion = "invalid_client_assertion"
)

// throttledAADSTS is Entra's code for a client throttled for sending too
// many requests (AADSTS50196, "client request loop").
const throttledAADSTS = 50196

// admitClient asks the throttle; on refusal it has answered 429.
func (s *Service) admitClient(w http.ResponseWriter, r *http.Request, clientID string) bool {
	if s.cfg.Throttle == nil {
		return true
	}
	wait, ok := s.cfg.Throttle.AdmitClient(r, clientID)
	if !ok {
		s.throttled(w, r, wait)
	}
	return ok
}

func (s *Service) failedClient(r *http.Request, clientID, reason string) {
	if s.cfg.Throttle != nil {
		s.cfg.Throttle.FailedClient(r, clientID, reason)
	}
}

// throttled answers 429 in Entra's shape with Retry-After, which MSAL and
// azidentity honour before they retry.
func (s *Service) throttled(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := wire.RetryAfterValue(wait)
	w.Header().Set("Retry-After", secs)
	s.oauthError(w, r, http.StatusTooManyRequests, "temporarily_unavailable", throttledAADSTS,
		"The server throttled this client: too many requests or failed authentications from this client or address. Retry after "+secs+" seconds.")
}
