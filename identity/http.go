package identity

import (
	"net/http"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Handler serves the Entra-compatible endpoints at the host root, where MSAL
// expects them: /{tenant}/v2.0/.well-known/openid-configuration,
// /{tenant}/discovery/v2.0/keys, /{tenant}/oauth2/v2.0/token, introspect and
// revoke (and the v1 spellings of discovery, keys and token). It is a
// pipeline router of its own surface: anonymous (the endpoints authenticate
// clients themselves), answering in OAuth's error shape.
func (s *Service) Handler() http.Handler { return s.router }

// Surface is the identity endpoints' surface: anonymous (the endpoints
// authenticate clients themselves), answering what no endpoint owns in
// OAuth's error shape. The composition serves it with the deployment's
// shared pipeline options, so its hooks cover these endpoints too.
func (s *Service) Surface() pipeline.Surface {
	return pipeline.Surface{Name: "identity", WriteError: s.writeSurfaceError, Family: wire.FamilyARM}
}

// newRouter builds the identity surface with options of its own, for
// Handler (tests and tools that serve identity alone).
func (s *Service) newRouter() *pipeline.Router {
	rt := pipeline.New(s.Surface(), &pipeline.Options{Logger: s.log, PublicURL: s.cfg.PublicURL})
	rt.Add(s.Routes()...)
	rt.Add(s.OIDCRoutes()...)
	return rt
}

// Routes are the identity endpoints.
func (s *Service) Routes() []pipeline.Route {
	var routes []pipeline.Route
	const tenant = "/{tenant}/"
	add := func(label, method, path string, serve func(w http.ResponseWriter, r *http.Request, tenantID string)) {
		methods := []string{method}
		if method == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
		for _, m := range methods {
			routes = append(routes, pipeline.Route{Method: m, Pattern: tenant + path, Label: label, Serve: s.inTenant(serve)})
		}
	}
	add("identity:discovery", http.MethodGet, "v2.0/.well-known/openid-configuration", s.serveDiscovery)
	add("identity:discovery", http.MethodGet, ".well-known/openid-configuration", s.serveDiscovery)
	add("identity:jwks", http.MethodGet, "discovery/v2.0/keys", s.serveJWKS)
	add("identity:jwks", http.MethodGet, "discovery/keys", s.serveJWKS)
	add("identity:token", http.MethodPost, "oauth2/v2.0/token", s.serveToken)
	add("identity:token-v1", http.MethodPost, "oauth2/token", s.serveToken)
	add("identity:introspect", http.MethodPost, "oauth2/v2.0/introspect", s.serveIntrospect)
	add("identity:revoke", http.MethodPost, "oauth2/v2.0/revoke", s.serveRevoke)
	add("identity:authorize", http.MethodGet, "oauth2/v2.0/authorize", s.serveAuthorize)
	add("identity:authorize", http.MethodGet, "oauth2/authorize", s.serveAuthorize)
	add("identity:authorize", http.MethodPost, "oauth2/v2.0/authorize", s.serveAuthorize)
	add("identity:authorize", http.MethodPost, "oauth2/authorize", s.serveAuthorize)
	add("identity:logout", http.MethodGet, "oauth2/v2.0/logout", s.serveLogout)
	add("identity:logout", http.MethodPost, "oauth2/v2.0/logout", s.serveLogout)
	add("identity:logout", http.MethodGet, "oauth2/logout", s.serveLogout)
	add("identity:logout", http.MethodPost, "oauth2/logout", s.serveLogout)
	add("identity:userrealm", http.MethodGet, "UserRealm/{user}", s.serveUserRealm)
	add("identity:signin", http.MethodPost, signInPathSegment, s.serveSignIn)
	add("identity:devicecode", http.MethodPost, "oauth2/v2.0/devicecode", s.serveDeviceCode)
	add("identity:devicecode-v1", http.MethodPost, "oauth2/devicecode", s.serveDeviceCode)
	add("identity:deviceauth", http.MethodGet, deviceAuthPath, s.serveDeviceAuthPage)
	add("identity:deviceauth", http.MethodPost, deviceAuthPath, s.serveDeviceAuthCode)
	add("identity:deviceauth", http.MethodPost, deviceAuthPath+"/confirm", s.serveDeviceAuthConfirm)
	return routes
}

// inTenant resolves the tenant segment before an endpoint runs.
func (s *Service) inTenant(serve func(w http.ResponseWriter, r *http.Request, tenantID string)) func(http.ResponseWriter, *pipeline.Request) {
	return func(w http.ResponseWriter, r *pipeline.Request) {
		seg := r.Param("tenant")
		tenantID, ok := s.tenants.resolve(r.HTTP.Context(), seg)
		if !ok {
			s.oauthError(w, r.HTTP, http.StatusBadRequest, "invalid_request", 90002,
				"Tenant '"+sanitize(seg)+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
			return
		}
		serve(w, r.HTTP, tenantID)
	}
}

// writeSurfaceError answers what no endpoint owns: a wrong method and
// throttling (the pipeline's admission hook) in OAuth's shape, as Entra
// does, and an unknown path in ARM's envelope.
func (s *Service) writeSurfaceError(w http.ResponseWriter, r *http.Request, f wire.Family, e *wire.Error) {
	if e.Status == http.StatusTooManyRequests {
		s.throttled(w, r, e.RetryAfter)
		return
	}
	if e.Status == http.StatusMethodNotAllowed {
		s.oauthError(w, r, http.StatusMethodNotAllowed, "invalid_request", 900561,
			"The endpoint only accepts "+w.Header().Get("Allow")+" requests.")
		return
	}
	wire.WriteError(w, f, e)
}
