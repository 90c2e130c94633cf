// Package admin is tokend's JSON management API at /admin/v1: clients and
// their credentials, users, managed identities, signing keys and the
// audit log, for the console and for scripts, where Azure has no API of
// its own (docs/admin-api.md). It is a surface of the one pipeline:
// management-audience bearer tokens as on ARM, tokend's own actions
// (Tokend/clients/write, …) authorized at scope "/", ARM's error envelope,
// every write recorded by the pipeline's audit hook. Its handlers call the
// same identity functions as the CLI; it keeps no state of its own.
package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/wire"
)

// Segment is the first path segment the API is served under.
const Segment = "admin"

// prefix opens every route's pattern.
const prefix = "/" + Segment + "/v1"

// Config is what the API works on: the issuer's own registries, so that
// a change made here is seen by this node's caches at once.
type Config struct {
	Store             tokend.Store
	Box               *seal.Box
	Clients           *identity.Clients
	Users             *identity.Users
	ManagedIdentities *identity.ManagedIdentities
	Keys              *identity.KeyManager
	// Assignments and Authorizer, when set, let a create assign a role
	// (the CLI's --role and --scope), if the caller may assign it.
	Assignments *identity.Assignments
	Authorizer  tokend.Authorizer
	// KeysChanged, when set, runs after a rotation or revocation (the
	// issuer reloads its key set at once rather than within a second).
	KeysChanged func(ctx context.Context) error
	// IMDSIdentity is the managed identity the IMDS and Cloud Shell
	// endpoints answer for (serve's --imds-identity; "": the only one).
	IMDSIdentity string
	// Metrics, when set, is this node's recent traffic, served at
	// /admin/v1/metrics (app adapts server.Recent).
	Metrics MetricsSource
	Now     func() time.Time
}

// Service serves the API.
type Service struct {
	cfg Config
}

// New returns the API over cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Box == nil || cfg.Clients == nil || cfg.Users == nil || cfg.ManagedIdentities == nil || cfg.Keys == nil {
		return nil, errors.New("admin: Store, Box, Clients, Users, ManagedIdentities and Keys are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}, nil
}

// Surface is the API's pipeline configuration: authenticated like ARM
// (management audience), actions checked at "/", ARM's envelope.
func Surface() pipeline.Surface {
	return pipeline.Surface{
		Name: Segment, Audience: tokend.AudienceManagement, Authorization: pipeline.Actions,
		Family: wire.FamilyARM, NotFound: notFound,
	}
}

// Router is the API's router over the deployment's shared options.
func (s *Service) Router(opts *pipeline.Options) *pipeline.Router {
	rt := pipeline.New(Surface(), opts)
	rt.Add(s.Routes()...)
	return rt
}

// Routes are every operation of the API, each with its action.
func (s *Service) Routes() []pipeline.Route {
	var routes []pipeline.Route
	routes = append(routes, s.clientRoutes()...)
	routes = append(routes, s.credentialRoutes()...)
	routes = append(routes, s.userRoutes()...)
	routes = append(routes, s.managedIdentityRoutes()...)
	routes = append(routes, s.keyRoutes()...)
	routes = append(routes, s.auditRoutes()...)
	routes = append(routes, s.metricsRoutes()...)
	return routes
}

// route is an operation of the API: ARM's envelope, the action given.
func route(method, pattern, action string, h pipeline.Handler) pipeline.Route {
	return pipeline.Route{Method: method, Pattern: prefix + pattern, Action: action, Handler: h, Family: wire.FamilyARM}
}

func notFound(path string, _ []string) (wire.Family, *wire.Error) {
	return wire.FamilyARM, wire.Errorf(http.StatusNotFound, "NotFound",
		"No management API operation matches '"+wire.Clip(path)+"' (see docs/admin-api.md).")
}

// tenant resolves the {tenant} parameter: a tenant tokend has.
func (s *Service) tenant(ctx context.Context, r *pipeline.Request) (*tokend.Tenant, error) {
	id := strings.ToLower(r.Param("tenant"))
	if !wire.SQLText(id) {
		return nil, wire.BadRequest("InvalidTenant", "tenant", "The tenant id is not valid text.")
	}
	t, err := s.cfg.Store.GetTenant(ctx, id)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, wire.Errorf(http.StatusNotFound, "TenantNotFound", fmt.Sprintf("Tenant '%s' was not found.", wire.Clip(id)))
	}
	if err != nil {
		return nil, fmt.Errorf("get tenant %s: %w", id, err)
	}
	return t, nil
}

// notFoundIn is the 404 of an entity of kind named name.
func notFoundIn(code, kind, name string) *wire.Error {
	return wire.Errorf(http.StatusNotFound, code, fmt.Sprintf("%s '%s' was not found.", kind, wire.Clip(name)))
}

// invalid turns identity's refusal of a value the caller gave (a
// *identity.FieldError) into a 400 with code, naming the field; other
// errors pass as they are.
func invalid(err error, code string) error {
	var fe *identity.FieldError
	if errors.As(err, &fe) {
		return wire.BadRequest(code, fe.Field, sentence(fe.Field+": "+fe.Reason))
	}
	return err
}

// sentence ends s with a full stop.
func sentence(s string) string { return strings.TrimSuffix(s, ".") + "." }

func isNotFound(err error) bool { return errors.Is(err, tokend.ErrNotFound) }

func isAlreadyExists(err error) bool { return errors.Is(err, tokend.ErrAlreadyExists) }

// identityDefaultAudience is the audience a federated credential gets
// when none is given.
const identityDefaultAudience = identity.DefaultFederationAudience
