package identity

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// serveLogout is the end-session endpoint (/{tenant}/oauth2/v2.0/logout,
// GET or POST): it ends the browser session on every node, then sends the
// browser to post_logout_redirect_uri only when that is one of the
// client's registered redirect URIs (the client named by client_id, or the
// audience of id_token_hint, an ID token tokend signed); anything else
// gets the signed-out page, never a redirect to an address the request
// chose.
func (s *Service) serveLogout(w http.ResponseWriter, r *http.Request, tenantID string) {
	q, ok := s.authorizeParams(w, r)
	if !ok {
		return
	}
	if err := s.endSession(r.Context(), w, r); err != nil {
		s.showMessage(w, r, s.troubleStatus(w, r, "logout", err), "Sign-out failed",
			"The sign-out could not be completed; try again in a moment.", "")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if target := q.Get("post_logout_redirect_uri"); target != "" {
		if client := s.logoutClient(r, tenantID, q.Get("client_id"), q.Get("id_token_hint")); client != nil {
			if dest, err := MatchRedirectURI(client, target); err == nil {
				if st := q.Get("state"); st != "" {
					dest = withQuery(dest, url.Values{"state": {st}}.Encode())
				}
				w.Header().Set("Location", dest)
				w.WriteHeader(http.StatusFound)
				return
			}
		}
		s.showMessage(w, r, http.StatusOK, "You signed out",
			"You signed out of tokend. The application's post-logout address is not one of its registered redirect URIs, so you were not sent back to it; you may close this window.", "")
		return
	}
	s.showMessage(w, r, http.StatusOK, "You signed out", "You signed out of tokend. You may close this window.", "")
}

// logoutClient is the application a sign-out names, or nil.
func (s *Service) logoutClient(r *http.Request, tenantID, clientID, idTokenHint string) *tokend.Client {
	if clientID == "" && idTokenHint != "" {
		// The hint may have expired: only its signature and issuer count.
		c, err := s.verifier.verifySigned(r.Context(), idTokenHint)
		if err != nil || c.External || len(c.Audience) != 1 {
			return nil
		}
		clientID = c.Audience[0]
	}
	if clientID == "" {
		return nil
	}
	client, err := s.Clients.lookup(r.Context(), tenantID, clientID)
	if err != nil {
		if !errors.Is(err, ErrClientNotFound) {
			s.log.ErrorContext(r.Context(), "logout: client lookup", "err", err.Error())
		}
		return nil
	}
	return s.withConsoleRedirects(client, r)
}

// withQuery adds encoded parameters to a URI's query.
func withQuery(uri, encoded string) string {
	if strings.Contains(uri, "?") {
		return uri + "&" + encoded
	}
	return uri + "?" + encoded
}
