package identity

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// maxFormBytes bounds a token, introspection or revocation request body.
const maxFormBytes = 64 << 10

// parseOAuthForm reads an application/x-www-form-urlencoded body. Only the
// body counts: parameters in the query string (where a secret would end up
// in access logs) are ignored, as Entra does.
func (s *Service) parseOAuthForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must be application/x-www-form-urlencoded.")
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if wire.IsTimeout(err) {
			s.oauthError(w, r, http.StatusRequestTimeout, "invalid_request", 900144, "The request body was not received in time.")
			return nil, false
		}
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body could not be parsed.")
		return nil, false
	}
	return r.PostForm, true
}

// clientCredentials are a request's client_id and client_secret, from
// HTTP Basic (client_secret_basic) or the body (client_secret_post), or its
// client assertion (private_key_jwt, federated credentials).
type clientCredentials struct {
	id, secret string
	assertion  string
	basic      bool
}

// readClientCredentials applies RFC 6749 §2.3.1: Basic credentials are
// form-encoded before base64, and a client uses one method per request.
func (s *Service) readClientCredentials(w http.ResponseWriter, r *http.Request, form url.Values) (clientCredentials, bool) {
	var cc clientCredentials
	if h := r.Header.Get("Authorization"); h != "" {
		user, pass, ok := r.BasicAuth()
		if !ok {
			s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
				"The Authorization header of a token request must use the Basic scheme.")
			return cc, false
		}
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			s.invalidClient(w, r, true, 7000215, "The client credentials in the Authorization header are not form-encoded.")
			return cc, false
		}
		if form.Get("client_secret") != "" || form.Get("client_assertion") != "" {
			s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 90023,
				"The request uses more than one client authentication method.")
			return cc, false
		}
		if bodyID := form.Get("client_id"); bodyID != "" && !strings.EqualFold(bodyID, id) {
			s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 90023,
				"The client_id in the body differs from the one in the Authorization header.")
			return cc, false
		}
		return clientCredentials{id: id, secret: secret, basic: true}, true
	}
	cc.id, cc.secret, cc.assertion = form.Get("client_id"), form.Get("client_secret"), form.Get("client_assertion")
	if cc.assertion != "" {
		if cc.secret != "" {
			s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 90023,
				"The request uses more than one client authentication method.")
			return cc, false
		}
		if t := form.Get("client_assertion_type"); t != ClientAssertionType {
			s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 700010,
				"The client_assertion_type must be '"+ClientAssertionType+"', not '"+sanitize(t)+"'.")
			return cc, false
		}
		return cc, true
	}
	if cc.id == "" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'client_id'.")
		return cc, false
	}
	if cc.secret == "" {
		s.invalidClient(w, r, false, 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return cc, false
	}
	return cc, true
}

// authenticateClient checks the credentials and returns the client and how
// it authenticated (appidacr); on failure it has answered.
func (s *Service) authenticateClient(w http.ResponseWriter, r *http.Request, tenantID string, cc clientCredentials) (*tokend.Client, string, bool) {
	if !s.admitClient(w, r, cc.id) {
		return nil, "", false
	}
	var client *tokend.Client
	var err error
	acr := acrSecret
	if cc.assertion != "" {
		client, err = s.verifyClientAssertion(r.Context(), r, tenantID, cc.id, cc.assertion)
		acr = acrAssertion
	} else {
		client, err = s.Clients.Authenticate(r.Context(), tenantID, cc.id, cc.secret)
	}
	var bad *assertionError
	switch {
	case err == nil:
		wire.TraceFrom(r.Context()).Caller = client.ObjectID
		return client, acr, true
	case errors.Is(err, ErrClientNotFound):
		s.unknownClient(w, r, tenantID, cc.id)
	case errors.Is(err, ErrInvalidSecret):
		s.failedClient(r, cc.id, FailureInvalidSecret)
		if aerr := s.recordAuthnFailure(r, cc.id, "invalid_client AADSTS7000215: invalid client secret"); aerr != nil {
			s.auditUnavailable(w, r, aerr)
			break
		}
		s.invalidClient(w, r, cc.basic, 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+
			sanitize(cc.id)+"'.")
	case errors.As(err, &bad):
		s.failedClient(r, cc.id, FailureInvalidAssertion)
		if aerr := s.recordAuthnFailure(r, cc.id, fmt.Sprintf("invalid_client AADSTS%d: client assertion refused", bad.aadsts)); aerr != nil {
			s.auditUnavailable(w, r, aerr)
			break
		}
		s.invalidClient(w, r, false, bad.aadsts, bad.message)
	default:
		s.oauthError(w, r, s.troubleStatus(w, r, "client authentication failed", err), "temporarily_unavailable", 0,
			"The server could not check the client credentials; retry later.")
	}
	return nil, "", false
}

// invalidClient answers 401 invalid_client, with the Basic challenge RFC
// 6749 §5.2 asks for when the client used Basic.
func (s *Service) invalidClient(w http.ResponseWriter, r *http.Request, basic bool, aadsts int, description string) {
	if basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="tokend"`)
	}
	s.oauthError(w, r, http.StatusUnauthorized, "invalid_client", aadsts, description)
}

// unknownClient answers a request naming no client of the tenant as Entra
// answers an unknown application: 400 unauthorized_client.
func (s *Service) unknownClient(w http.ResponseWriter, r *http.Request, tenantID, claimed string) {
	s.failedClient(r, claimed, FailureUnknownClient)
	id := claimed
	if id == "" {
		id = "(from the client assertion)"
	}
	if aerr := s.recordAuthnFailure(r, id, "unauthorized_client AADSTS700016: unknown client"); aerr != nil {
		s.auditUnavailable(w, r, aerr)
		return
	}
	s.oauthError(w, r, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+sanitize(id)+
		"' was not found in the directory '"+tenantID+"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
}

// authenticateGrantClient identifies the client of a user grant: a public
// client by its client_id alone (it has no credential), a confidential one
// by its credentials, which it must present. It returns the client and
// its azpacr; on failure it has answered.
func (s *Service) authenticateGrantClient(w http.ResponseWriter, r *http.Request, tenantID string, form url.Values) (*tokend.Client, string, bool) {
	if r.Header.Get("Authorization") != "" || form.Get("client_secret") != "" || form.Get("client_assertion") != "" {
		cc, ok := s.readClientCredentials(w, r, form)
		if !ok {
			return nil, "", false
		}
		return s.authenticateClient(w, r, tenantID, cc)
	}
	id := form.Get("client_id")
	if id == "" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'client_id'.")
		return nil, "", false
	}
	if !s.admitClient(w, r, id) {
		return nil, "", false
	}
	client, err := s.Clients.lookup(r.Context(), tenantID, id)
	switch {
	case errors.Is(err, ErrClientNotFound):
		s.unknownClient(w, r, tenantID, id)
		return nil, "", false
	case err != nil:
		s.oauthError(w, r, s.troubleStatus(w, r, "client lookup failed", err), "temporarily_unavailable", 0,
			"The server could not check the client; retry later.")
		return nil, "", false
	case !client.Public:
		s.failedClient(r, id, FailureInvalidSecret)
		if aerr := s.recordAuthnFailure(r, id, "invalid_client AADSTS7000218: confidential client without credentials"); aerr != nil {
			s.auditUnavailable(w, r, aerr)
			return nil, "", false
		}
		s.invalidClient(w, r, false, 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return nil, "", false
	}
	wire.TraceFrom(r.Context()).Caller = client.ObjectID
	return client, acrPublic, true
}
