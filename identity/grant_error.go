package identity

import (
	"fmt"
	"net/http"
)

// grantError is a refusal of a user grant, in OAuth's terms and Entra's
// code: the endpoint answers it as is (or, on the authorization endpoint,
// sends it back to the redirect URI).
type grantError struct {
	status      int
	code        string // invalid_grant, invalid_scope, ...
	aadsts      int
	description string
	// cause is the storage error behind a 503, logged, never sent.
	cause error
}

func (e *grantError) Error() string {
	return fmt.Sprintf("%s AADSTS%d: %s", e.code, e.aadsts, e.description)
}

func newGrantError(status int, code string, aadsts int, format string, args ...any) *grantError {
	return &grantError{status: status, code: code, aadsts: aadsts, description: fmt.Sprintf(format, args...)}
}

func invalidGrant(aadsts int, format string, args ...any) *grantError {
	return newGrantError(http.StatusBadRequest, "invalid_grant", aadsts, format, args...)
}

// answer writes the refusal in OAuth's shape.
func (s *Service) answerGrantError(w http.ResponseWriter, r *http.Request, e *grantError) {
	status := e.status
	if e.cause != nil {
		status = s.troubleStatus(w, r, "user grant", e.cause)
	}
	s.oauthError(w, r, status, e.code, e.aadsts, e.description)
}
