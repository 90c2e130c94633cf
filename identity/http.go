package identity

import (
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/arm"
)

// Handler serves the Entra-compatible endpoints at the host root, where MSAL
// expects them: /{tenant}/v2.0/.well-known/openid-configuration,
// /{tenant}/discovery/v2.0/keys, /{tenant}/oauth2/v2.0/token, introspect and
// revoke (and the v1 spellings of discovery, keys and token).
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// endpoint is one identity route: a bounded label for metrics, the method
// it accepts, and its handler.
type endpoint struct {
	route  string
	method string
	serve  func(w http.ResponseWriter, r *http.Request, tenantID string)
}

func (s *Service) endpoints() map[string]endpoint {
	discovery := endpoint{"identity:discovery", http.MethodGet, s.serveDiscovery}
	jwks := endpoint{"identity:jwks", http.MethodGet, s.serveJWKS}
	return map[string]endpoint{
		"v2.0/.well-known/openid-configuration": discovery,
		".well-known/openid-configuration":      discovery,
		"discovery/v2.0/keys":                   jwks,
		"discovery/keys":                        jwks,
		"oauth2/v2.0/token":                     {"identity:token", http.MethodPost, s.serveToken},
		"oauth2/token":                          {"identity:token-v1", http.MethodPost, s.serveToken},
		"oauth2/v2.0/introspect":                {"identity:introspect", http.MethodPost, s.serveIntrospect},
		"oauth2/v2.0/revoke":                    {"identity:revoke", http.MethodPost, s.serveRevoke},
		"oauth2/v2.0/authorize":                 {"identity:authorize", http.MethodGet, s.serveAuthorize},
		"oauth2/authorize":                      {"identity:authorize", http.MethodGet, s.serveAuthorize},
	}
}

func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	trace := arm.TraceFrom(r.Context())
	tenantSeg, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	ep, ok := s.routes[strings.ToLower(strings.TrimSuffix(rest, "/"))]
	if !ok || tenantSeg == "" {
		trace.Route = "identity:not-found"
		arm.WriteError(w, arm.FamilyARM, arm.Errorf(http.StatusNotFound, "NotFound", "No route matches '"+r.URL.Path+"'."))
		return
	}
	trace.Route = ep.route
	if r.Method != ep.method && !(ep.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", ep.method)
		s.oauthError(w, r, http.StatusMethodNotAllowed, "invalid_request", 900561,
			"The endpoint only accepts "+ep.method+" requests.")
		return
	}
	tenantID, ok := s.tenants.resolve(r.Context(), tenantSeg)
	if !ok {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 90002,
			"Tenant '"+sanitize(tenantSeg)+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return
	}
	ep.serve(w, r, tenantID)
}

// serveAuthorize answers the interactive endpoint discovery must name:
// tokend issues tokens to confidential clients only.
func (s *Service) serveAuthorize(w http.ResponseWriter, r *http.Request, _ string) {
	s.oauthError(w, r, http.StatusBadRequest, "unsupported_response_type", 70005,
		"tokend supports the client credentials grant only; interactive sign-in is not available.")
}
