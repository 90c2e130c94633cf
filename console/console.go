// Package console is tokend's web console at /console: server-rendered
// pages for people, signed in through tokend's own authorization code
// flow with PKCE (the console is a public client of every tenant), that
// call tokend's HTTP APIs with the person's own token through the
// server's root handler in process. What a person sees and may do is
// therefore exactly what the APIs let their token do: the same
// authenticator, RBAC, rate limits and audit. The console reads no
// storage.
package console

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tokend-dev/tokend/wire"
)

// MountPath is the first path segment the console is served under.
const MountPath = "console"

// Config configures a Console.
type Config struct {
	// ClientID is the console's client id in every tenant (identity's
	// ConsoleClientID); TenantID is the tenant people sign in to.
	ClientID, TenantID string
	// PublicURL is tokend's public base URL ("": each request's own), as
	// the issuer uses it: redirect URIs are built from it.
	PublicURL string
	// Sealer seals the session cookies (package seal's Box).
	Sealer Sealer
	// SessionLifetime bounds a console session whatever its refresh
	// token allows (0: DefaultSessionLifetime).
	SessionLifetime time.Duration
	Logger          *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Sealer seals and opens cookie values (seal.Box).
type Sealer interface {
	Seal(plaintext, aad []byte) []byte
	Open(sealed, aad []byte) ([]byte, error)
}

// DefaultSessionLifetime is a console session's longest life: a working
// day, as identity's browser session.
const DefaultSessionLifetime = 8 * time.Hour

// Console serves /console.
type Console struct {
	cfg     Config
	log     *slog.Logger
	backend atomic.Pointer[http.Handler]
	mux     *http.ServeMux
}

// New makes a console. Its backend (the server's root handler, which
// mounts the console itself) is bound with Bind once it exists.
func New(cfg Config) (*Console, error) {
	if cfg.ClientID == "" || cfg.TenantID == "" || cfg.Sealer == nil {
		return nil, errors.New("console: a client id, a tenant and a sealer are required")
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = DefaultSessionLifetime
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{cfg: cfg, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.mux = c.routes()
	return c, nil
}

// Bind sets the handler the console calls tokend's APIs through.
func (c *Console) Bind(h http.Handler) { c.backend.Store(&h) }

func (c *Console) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", staticHandler()))
	m.HandleFunc("GET /console/signin", c.signIn)
	m.HandleFunc("GET /console/callback", c.callback)
	m.HandleFunc("POST /console/signout", c.signOut)
	m.HandleFunc("GET /console/signedout", c.signedOut)
	m.HandleFunc("GET /console/{$}", c.page(c.overview))
	m.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	m.HandleFunc("GET /console/roles", c.page(c.roles))
	m.HandleFunc("POST /console/roles/assign", c.action(c.assignRole))
	m.HandleFunc("POST /console/roles/remove", c.action(c.removeRole))
	m.HandleFunc("GET /console/playwright", c.page(c.playwright))
	m.HandleFunc("GET /console/playwright/tokens", c.page(c.playwrightTokens))
	m.HandleFunc("POST /console/playwright/tokens/create", c.action(c.createPlaywrightToken))
	m.HandleFunc("POST /console/playwright/tokens/revoke", c.action(c.revokePlaywrightToken))
	m.HandleFunc("GET /console/containerapps", c.page(c.containerApps))
	m.HandleFunc("POST /console/containerapps/token", c.action(c.containerAppToken))
	m.HandleFunc("GET /console/jwt", c.page(c.jwtPage))
	m.HandleFunc("POST /console/jwt", c.action(c.decodeJWT))
	m.HandleFunc("GET /console/apim", c.page(c.apim))
	m.HandleFunc("POST /console/apim/secrets", c.action(c.apimSecrets))
	// The management API's pages (/admin/v1).
	m.HandleFunc("GET /console/apps", c.page(c.apps))
	m.HandleFunc("POST /console/apps/create", c.action(c.createApp))
	m.HandleFunc("GET /console/apps/{client}", c.page(c.app))
	m.HandleFunc("POST /console/apps/{client}/secret", c.action(c.appAction(c.resetSecret)))
	m.HandleFunc("POST /console/apps/{client}/certificates", c.action(c.appAction(c.addCertificate)))
	m.HandleFunc("POST /console/apps/{client}/certificates/delete", c.action(c.appAction(c.removeCertificate)))
	m.HandleFunc("POST /console/apps/{client}/federated", c.action(c.appAction(c.addFederated)))
	m.HandleFunc("POST /console/apps/{client}/federated/delete", c.action(c.appAction(c.removeFederated)))
	m.HandleFunc("POST /console/apps/{client}/delete", c.action(c.deleteApp))
	m.HandleFunc("GET /console/users", c.page(c.users))
	m.HandleFunc("POST /console/users/create", c.action(c.createUser))
	m.HandleFunc("POST /console/users/reset", c.action(c.resetPassword))
	m.HandleFunc("POST /console/users/delete", c.action(c.deleteUser))
	m.HandleFunc("GET /console/identities", c.page(c.identities))
	m.HandleFunc("POST /console/identities/create", c.action(c.createIdentity))
	m.HandleFunc("POST /console/identities/env", c.action(c.identityEnv))
	m.HandleFunc("POST /console/identities/delete", c.action(c.deleteIdentity))
	m.HandleFunc("GET /console/keys", c.page(c.keys))
	m.HandleFunc("POST /console/keys/rotate", c.action(c.rotateKey))
	m.HandleFunc("POST /console/keys/revoke", c.action(c.revokeKey))
	m.HandleFunc("GET /console/audit", c.page(c.audit))
	m.HandleFunc("GET /console/metrics", c.page(c.metrics))
	return m
}

// ServeHTTP serves the console's paths; anything else under /console is
// a 404 page.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w.Header())
	if _, pattern := c.mux.Handler(r); pattern == "" {
		c.renderMessage(w, r, http.StatusNotFound, "Not found", "There is no console page at this address.")
		return
	}
	// The mux itself serves, so that handlers see the path's values.
	c.mux.ServeHTTP(w, r)
}

// baseURL is the origin the browser reached tokend at, as the issuer
// derives it: the redirect URIs and the token's issuer depend on it.
func (c *Console) baseURL(r *http.Request) string { return wire.BaseURL(c.cfg.PublicURL, r) }
