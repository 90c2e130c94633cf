// Package app composes tokend: the issuer, the request pipelines of every
// surface and the providers, wired in one explicit list (Providers). The
// tokend command calls it to serve; tests (and, later, an in-process test
// helper) call it to get a complete server without package main.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/apim"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/authorization"
	"github.com/tokend-dev/tokend/console"
	"github.com/tokend-dev/tokend/containerapps"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/playwrightworkspaces"
	"github.com/tokend-dev/tokend/ratelimit"
	"github.com/tokend-dev/tokend/resources"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/server"
)

// Deps are what providers are built from.
type Deps struct {
	Store  tokend.Store
	Box    *seal.Box
	Signer Signer
	Logger *slog.Logger
	// ContainerAppTokenLifetime is getAuthtoken's token lifetime (0: the
	// provider's default); PlaywrightMaxTokenLifetime bounds access tokens.
	ContainerAppTokenLifetime  time.Duration
	PlaywrightMaxTokenLifetime time.Duration
	// Assignments binds Microsoft.Authorization to the issuer's role
	// assignments once the issuer exists.
	Assignments *authorization.Binding
	// PlaywrightBrowsers is the browsers gateway both Playwright providers
	// open sessions through (nil: none).
	PlaywrightBrowsers *playwright.Gateway
}

// Signer signs provider tokens with the issuer's key (identity.ClaimsSigner).
type Signer interface {
	Sign(ctx context.Context, claims map[string]any) (string, error)
}

// Providers is the one list of the providers tokend serves, besides
// Microsoft.Resources (which every ARM deployment has, and which runs the
// others' group-delete hooks). Adding a provider is a package of its own
// and one line here.
func Providers(d Deps) ([]*pipeline.Provider, error) {
	return describeAll(
		describe(containerapps.New(containerapps.Config{Store: d.Store, Box: d.Box, Signer: d.Signer, TokenLifetime: d.ContainerAppTokenLifetime})),
		describe(apim.New(apim.Config{Store: d.Store, Box: d.Box})),
		describe(playwright.New(playwright.Config{Store: d.Store, Signer: d.Signer, MaxTokenLifetime: d.PlaywrightMaxTokenLifetime, Browsers: d.PlaywrightBrowsers, Logger: d.Logger})),
		describe(playwrightworkspaces.New(playwrightworkspaces.Config{Store: d.Store, Signer: d.Signer, MaxTokenLifetime: d.PlaywrightMaxTokenLifetime, Browsers: d.PlaywrightBrowsers, Logger: d.Logger})),
		describe(authorization.New(authorization.Config{Store: d.Store, Assignments: d.Assignments})),
	)
}

// describer is what every provider package's service offers.
type describer interface{ Describe() *pipeline.Provider }

type described struct {
	p   *pipeline.Provider
	err error
}

func describe[T describer](svc T, err error) described {
	if err != nil {
		return described{err: err}
	}
	return described{p: svc.Describe()}
}

func describeAll(list ...described) ([]*pipeline.Provider, error) {
	out := make([]*pipeline.Provider, 0, len(list))
	for _, d := range list {
		if d.err != nil {
			return nil, fmt.Errorf("configure provider: %w", d.err)
		}
		out = append(out, d.p)
	}
	return out, nil
}

// Roles is the catalog of every role: the built-in ones, each provider's
// and the custom roles in store. The CLI assigns roles with it, without
// serving.
func Roles(ctx context.Context, store tokend.Store, box *seal.Box) (*identity.RoleCatalog, error) {
	providers, err := Providers(Deps{Store: store, Box: box, Signer: notServing{}, Assignments: &authorization.Binding{}})
	if err != nil {
		return nil, err
	}
	roles, err := rolesOf(providers)
	if err != nil {
		return nil, err
	}
	if _, err := roles.Reload(ctx, store); err != nil {
		return nil, err
	}
	return roles, nil
}

// rolesOf are the providers' roles and the management API's.
func rolesOf(providers []*pipeline.Provider) (*identity.RoleCatalog, error) {
	roles := admin.Roles()
	for _, p := range providers {
		roles = append(roles, p.Roles...)
	}
	return identity.NewRoleCatalog(roles...)
}

// notServing is the signer of providers described but not served.
type notServing struct{}

func (notServing) Sign(context.Context, map[string]any) (string, error) {
	return "", errors.New("tokend is not serving: no provider token can be signed")
}

// boundSigner forwards to the issuer once it exists: providers are
// described before the issuer, which takes their roles and audiences.
type boundSigner struct {
	to atomic.Pointer[identity.ClaimsSigner]
}

func (b *boundSigner) Sign(ctx context.Context, claims map[string]any) (string, error) {
	s := b.to.Load()
	if s == nil {
		return "", errors.New("the issuer is not running")
	}
	return s.Sign(ctx, claims)
}

// Config configures a composed tokend.
type Config struct {
	Store    tokend.Store
	Box      *seal.Box
	TenantID string // the default tenant
	Logger   *slog.Logger
	Metrics  *server.Metrics
	// Identity configures the issuer; Store, Box, DefaultTenantID, Logger,
	// PublicURL, Roles, Audiences and BootstrapRoles are filled in here.
	Identity identity.Config
	// PublicURL is the base URL clients reach tokend at ("": each
	// request's own).
	PublicURL            string
	AnyAPIVersion        bool
	StrictResourceGroups bool
	MaxBodyBytes         int64
	AccessLog            bool
	// Locations are the regions subscriptions list (names, or
	// name=Display Name); empty: Azure's public regions.
	Locations []string
	// Provider settings.
	ContainerAppTokenLifetime  time.Duration
	PlaywrightMaxTokenLifetime time.Duration
	// PlaywrightBrowsers configures the browsers gateway (its Registerer
	// and Logger are filled in here).
	PlaywrightBrowsers playwright.GatewayConfig
	// Hooks plug policy into every surface's pipeline.
	Hooks pipeline.Hooks
	// Audit, when set, records tokens issued, failed authentications,
	// secret reads and every change (docs/audit.md); requests it cannot
	// record fail with 503.
	Audit *audit.Log
	// RateLimits, when set, throttles every surface (package ratelimit);
	// nil serves without limits.
	RateLimits *ratelimit.Config
	// BodyTimeout, WriteTimeout, PublicMetrics and MetricsToken configure
	// the server (server.Options).
	BodyTimeout, WriteTimeout time.Duration
	PublicMetrics             bool
	MetricsToken              string
	// CAPEM is the local CA's certificate, served at /ca.pem (none with
	// a certificate of the operator's own).
	CAPEM []byte
	// ConsoleSessionLifetime bounds a web console session (0: the
	// console's default).
	ConsoleSessionLifetime time.Duration
	// MetricsStep is how often the recent history behind
	// /admin/v1/metrics is sampled (0: every 5 s, for 10 minutes).
	MetricsStep time.Duration
}

// App is a composed tokend.
type App struct {
	Identity *identity.Service
	Server   *server.Server
	// IMDS serves only the IMDS endpoint, for a plain-HTTP listener of its
	// own (--imds-addr: what a route for 169.254.169.254 reaches).
	IMDS *server.Server
	// ARM is the ARM surface's router.
	ARM *pipeline.Router
	// Recent is this node's recent traffic (/admin/v1/metrics), sampled
	// while Run runs.
	Recent *server.Recent
}

// New composes tokend: providers, the issuer with their roles, audiences
// and validators, the ARM router with every provider's routes, each data
// plane on a router of its own, and the server over all of them.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = server.NewMetrics()
	}
	gwc := cfg.PlaywrightBrowsers
	gwc.Registerer, gwc.Logger = cfg.Metrics.Registry, cfg.Logger
	browsers, err := playwright.NewGateway(gwc)
	if err != nil {
		return nil, err
	}
	signer, assignments := &boundSigner{}, &authorization.Binding{}
	providers, err := Providers(Deps{
		Store: cfg.Store, Box: cfg.Box, Signer: signer, Logger: cfg.Logger, Assignments: assignments,
		ContainerAppTokenLifetime: cfg.ContainerAppTokenLifetime, PlaywrightMaxTokenLifetime: cfg.PlaywrightMaxTokenLifetime,
		PlaywrightBrowsers: browsers,
	})
	if err != nil {
		return nil, err
	}
	roles, err := rolesOf(providers)
	if err != nil {
		return nil, err
	}
	guard, err := newGuard(cfg.RateLimits, cfg.Metrics)
	if err != nil {
		return nil, err
	}
	idc := cfg.Identity
	if guard != nil {
		idc.Throttle = guard
	}
	idc.Store, idc.Box, idc.DefaultTenantID, idc.Logger, idc.PublicURL = cfg.Store, cfg.Box, cfg.TenantID, cfg.Logger, cfg.PublicURL
	idc.Roles = roles
	idc.Audit = cfg.Audit
	for _, p := range providers {
		idc.Audiences = append(idc.Audiences, p.Audiences...)
		idc.BootstrapRoles = append(idc.BootstrapRoles, p.BootstrapRoles...)
	}
	id, err := identity.New(ctx, idc)
	if err != nil {
		return nil, err
	}
	cs := id.ClaimsSigner()
	signer.to.Store(&cs)
	assignments.Bind(id.Assignments)
	for _, p := range providers {
		for _, v := range p.TokenValidators {
			id.AddPayloadValidator(v)
		}
	}

	hooks := cfg.Hooks
	if cfg.Audit != nil {
		hooks.Done = auditDone(cfg.Audit, hooks.Done)
	}
	opts := &pipeline.Options{
		Authenticator: id, Authorizer: id.Authorizer(), AnyAPIVersion: cfg.AnyAPIVersion,
		MaxBodyBytes: cfg.MaxBodyBytes, PublicURL: cfg.PublicURL, Logger: cfg.Logger, Hooks: hooks,
	}
	if guard != nil {
		// Throttling runs before the deployment's other policies: a
		// refused request is not worth auditing twice.
		opts.Authenticator = guard.Authenticator(id)
		opts.Hooks = pipeline.Chain(guard.Hooks(), opts.Hooks)
	}
	armRouter, armSurface := arm.NewRouter(arm.Config{Store: cfg.Store, StrictResourceGroups: cfg.StrictResourceGroups}, opts)
	groups := resources.New(resources.Config{Store: cfg.Store, OnGroupDelete: pipeline.GroupDeleteHooks(providers),
		Access: id.Authorizer().ScopesOf, Locations: resources.ParseLocations(cfg.Locations), Providers: providers})
	mounts, err := armSurface.Mount(armRouter, opts, append([]*pipeline.Provider{groups}, providers...)...)
	if err != nil {
		return nil, err
	}
	tenants := pipeline.New(id.Surface(), opts)
	tenants.Add(id.Routes()...)
	// The metadata segment holds IMDS and ARM's metadata endpoint; both are
	// anonymous and answer in the OAuth error shape of the former.
	metadata := arm.MetadataRoute([]string{identity.ResourceManagement, identity.ResourceManagementAzure})
	msi := pipeline.New(id.ManagedIdentitySurface(), opts)
	msi.Add(id.ManagedIdentityRoutes(true)...)
	msi.Add(metadata)
	mounts["msi"], mounts["metadata"] = msi, msi
	oidc := pipeline.New(id.Surface(), opts)
	oidc.Add(id.OIDCRoutes()...)
	mounts["oidc"] = oidc
	recent := server.NewRecent(cfg.Metrics, server.RecentConfig{Step: cfg.MetricsStep, TokenRoutes: tokenRoutes})
	manage, err := admin.New(admin.Config{
		Store: cfg.Store, Box: cfg.Box, Clients: id.Clients, Users: id.Users, ManagedIdentities: id.ManagedIdentities,
		Keys: id.Keys, KeysChanged: id.RefreshKeys, IMDSIdentity: cfg.Identity.IMDSIdentity,
		Assignments: id.Assignments, Authorizer: id.Authorizer(), Metrics: recentMetrics{recent},
	})
	if err != nil {
		return nil, err
	}
	mounts[admin.Segment] = manage.Router(opts)
	// The console calls the APIs through the server's own root handler,
	// which exists only once the console is mounted: bound below.
	con, err := console.New(console.Config{ClientID: identity.ConsoleClientID, TenantID: cfg.TenantID,
		PublicURL: cfg.PublicURL, Sealer: cfg.Box, SessionLifetime: cfg.ConsoleSessionLifetime, Logger: cfg.Logger, Now: cfg.Identity.Now})
	if err != nil {
		return nil, err
	}
	mounts[console.MountPath] = con
	imdsRouter := pipeline.New(id.ManagedIdentitySurface(), opts)
	imdsRouter.Add(id.ManagedIdentityRoutes(false)...)
	srv := server.New(server.Options{
		Logger: cfg.Logger, Metrics: cfg.Metrics, Store: cfg.Store, AccessLog: cfg.AccessLog,
		Mounts: mounts, Fallback: tenants, BodyTimeout: cfg.BodyTimeout, WriteTimeout: cfg.WriteTimeout,
		PublicMetrics: cfg.PublicMetrics, MetricsToken: cfg.MetricsToken, DefaultTenant: cfg.TenantID, CAPEM: cfg.CAPEM,
	})
	con.Bind(srv.Handler())
	imds := server.New(server.Options{
		Logger: cfg.Logger, Metrics: cfg.Metrics, Store: cfg.Store, AccessLog: cfg.AccessLog,
		Mounts: map[string]http.Handler{"metadata": imdsRouter}, BodyTimeout: cfg.BodyTimeout, WriteTimeout: cfg.WriteTimeout,
	})
	return &App{Identity: id, Server: srv, IMDS: imds, ARM: armRouter, Recent: recent}, nil
}

// Run runs the node's background work until ctx ends: the issuer's
// (key and role reloads, sweeps) and the metrics sampler.
func (a *App) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { a.Recent.Run(ctx) })
	a.Identity.Run(ctx)
	wg.Wait()
}

// Handler is the composed root handler.
func (a *App) Handler() http.Handler { return a.Server.Handler() }
