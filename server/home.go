package server

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// DocsURL is where tokend's documentation lives.
const DocsURL = "https://github.com/tokend-dev/tokend#readme"

// home is what GET / answers: what this server is and where its endpoints
// and docs are, as JSON for a client that asks for it and as a small page
// for a browser, instead of a 404 to someone who opened the URL tokend
// printed.
type home struct {
	Service     string            `json:"service"`
	Description string            `json:"description"`
	Docs        string            `json:"docs"`
	TenantID    string            `json:"tenantId,omitempty"`
	Endpoints   map[string]string `json:"endpoints"`
}

func (s *Server) homeDoc(r *http.Request) home {
	base := requestBase(r)
	tenant := s.defaultTenant
	if tenant == "" {
		tenant = "{tenant}"
	}
	return home{
		Service:     "tokend",
		Description: "A self-hosted token service: an OAuth 2.0 / OpenID Connect issuer in Entra ID's shape, and Azure Resource Manager contracts (Container Apps getAuthtoken, Playwright Testing, API Management) for the Azure SDKs.",
		Docs:        DocsURL,
		TenantID:    s.defaultTenant,
		Endpoints: map[string]string{
			"openidConfiguration": base + "/" + tenant + "/v2.0/.well-known/openid-configuration",
			"jwks":                base + "/" + tenant + "/discovery/v2.0/keys",
			"token":               base + "/" + tenant + "/oauth2/v2.0/token",
			"resourceManager":     base + "/",
			"playwrightDataPlane": base + "/playwright",
			"console":             base + "/console/",
			"managementAPI":       base + "/admin/v1",
			"health":              base + "/healthz",
			"readiness":           base + "/readyz",
		},
	}
}

// requestBase is the scheme and host the request reached.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tokend</title></head>
<body style="font-family: sans-serif; max-width: 48em; margin: 2em auto">
<h1>tokend</h1>
<p>{{.Description}}</p>
<p>Documentation: <a href="{{.Docs}}">{{.Docs}}</a></p>
<ul>
<li>OpenID configuration: <a href="{{index .Endpoints "openidConfiguration"}}">{{index .Endpoints "openidConfiguration"}}</a></li>
<li>Signing keys (JWKS): <a href="{{index .Endpoints "jwks"}}">{{index .Endpoints "jwks"}}</a></li>
<li>Token endpoint: {{index .Endpoints "token"}}</li>
<li>Azure Resource Manager: {{index .Endpoints "resourceManager"}}</li>
<li>Playwright data plane: {{index .Endpoints "playwrightDataPlane"}}</li>
<li>Console (sign in as a user): <a href="{{index .Endpoints "console"}}">{{index .Endpoints "console"}}</a></li>
<li>Management API: {{index .Endpoints "managementAPI"}}</li>
<li>Health: <a href="{{index .Endpoints "health"}}">/healthz</a>, readiness: <a href="{{index .Endpoints "readiness"}}">/readyz</a></li>
</ul>
<p>Sign in as the bootstrap client: <code>eval "$(tokend env)"</code> next to the data directory.</p>
</body></html>
`))

func (s *Server) serveHome(w http.ResponseWriter, r *http.Request) {
	wire.TraceFrom(r.Context()).Route = "home"
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		wire.WriteError(w, wire.FamilyARM, wire.Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "Only GET and HEAD are served at '/'."))
		return
	}
	doc := s.homeDoc(r)
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = homePage.Execute(w, doc)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(doc)
}
