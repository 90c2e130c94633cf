package identity

import (
	"net/http"
	"strconv"
)

// discoveryDoc is the OpenID Provider Metadata (OpenID Connect Discovery
// 1.0 §3) in Entra's v2 shape, trimmed to what tokend does.
type discoveryDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	UserInfoEndpoint                  string   `json:"userinfo_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	TenantRegionScope                 *string  `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
}

func (s *Service) serveDiscovery(w http.ResponseWriter, r *http.Request, tenantID string) {
	base := s.baseURL(r)
	t := base + "/" + tenantID
	// Every key the set may hold: a change of --signing-alg must not make
	// relying parties refuse tokens signed by the previous key.
	algs := []string{AlgES256, AlgRS256, AlgEdDSA}
	doc := discoveryDoc{
		Issuer:                            IssuerURL(base, tenantID),
		AuthorizationEndpoint:             t + "/oauth2/v2.0/authorize",
		TokenEndpoint:                     t + "/oauth2/v2.0/token",
		JWKSURI:                           t + "/discovery/v2.0/keys",
		IntrospectionEndpoint:             t + "/oauth2/v2.0/introspect",
		RevocationEndpoint:                t + "/oauth2/v2.0/revoke",
		UserInfoEndpoint:                  base + UserInfoPath,
		EndSessionEndpoint:                t + "/oauth2/v2.0/logout",
		DeviceAuthorizationEndpoint:       t + "/oauth2/v2.0/devicecode",
		CodeChallengeMethodsSupported:     []string{"S256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  algs,
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "client_secret_basic", "private_key_jwt"},
		GrantTypesSupported: []string{"client_credentials", grantTypeCode, grantTypeRefreshToken, grantTypePassword,
			grantTypeDeviceCode, grantTypeJWTBearer},
		ScopesSupported: []string{"openid", "profile", "email", "offline_access"},
		ClaimsSupported: []string{"iss", "aud", "sub", "oid", "tid", "azp", "appid", "roles", "scp",
			"iat", "nbf", "exp", "jti", "uti", "ver", "idtyp", "azpacr", "appidacr",
			"name", "preferred_username", "upn", "nonce", "auth_time", "amr"},
		CloudInstanceName: r.Host,
	}
	writeCacheableJSON(w, doc, 3600)
}

func (s *Service) serveJWKS(w http.ResponseWriter, _ *http.Request, _ string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// Short enough that a pre-published key is seen well before it signs.
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.keys.jwks())
}

func writeCacheableJSON(w http.ResponseWriter, body any, maxAge int) {
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = jsonEncode(w, body)
}
