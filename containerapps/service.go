package containerapps

import (
	"context"
	"errors"
	"net/http"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/wire"
)

// Versions are the Microsoft.App api-versions served: every published one
// (OPERATIONS.md §7). The official Go clients send 2025-01-01
// (armappcontainers/v3 v3.1.0), 2024-03-01 (v3.0.0) and 2023-05-01 (v2).
// All serve the same document; getAuthtoken is refused on the two versions
// that predate it (see authTokenMissingIn).
var Versions = wire.NewAPIVersions(
	"2022-01-01-preview", "2022-03-01",
	"2022-06-01-preview", "2022-10-01", "2022-11-01-preview",
	"2023-04-01-preview", "2023-05-01", "2023-05-02-preview", "2023-08-01-preview", "2023-11-02-preview",
	"2024-02-02-preview", "2024-03-01", "2024-08-02-preview", "2024-10-02-preview",
	"2025-01-01", "2025-02-02-preview", "2025-07-01", "2025-10-02-preview",
	"2026-01-01", "2026-03-02-preview", "2026-07-01",
)

// authTokenMissingIn are the versions without getAuthtoken: their specs end
// at listSecrets, and the Go SDK for 2022-03-01 had no GetAuthToken.
var authTokenMissingIn = map[string]bool{"2022-01-01-preview": true, "2022-03-01": true}

const (
	// ResourceType is the ARM type of a container app.
	ResourceType = "Microsoft.App/containerApps"
	typeKey      = "microsoft.app/containerapps"
	// tokenType is the type getAuthtoken reports (the seed example's).
	tokenType = "Microsoft.App/containerApps/accesstoken"
	// GetAuthTokenAction is the RBAC action getAuthtoken requires, spelled
	// as Azure's operation list spells it (the router would derive
	// ".../getAuthtoken/action" from the path; actions compare without
	// regard to case either way).
	GetAuthTokenAction = "Microsoft.App/containerApps/getAuthToken/action"
)

// DefaultTokenLifetime is how long a getAuthtoken token lives unless
// configured otherwise (--containerapp-token-lifetime).
const DefaultTokenLifetime = time.Hour

// Signer signs a JWT with tokend's current issuer key. It sets the header
// (alg, kid, typ) and the issuer; the claims given are the rest of the
// payload.
type Signer interface {
	Sign(ctx context.Context, claims map[string]any) (string, error)
}

// Config is what the provider needs.
type Config struct {
	Store  tokend.Store
	Box    *seal.Box // seals secret values at rest
	Signer Signer
	// TokenLifetime is the lifetime of getAuthtoken tokens (default 1 hour).
	TokenLifetime time.Duration
	// PageSize caps list pages (default 100); $top lowers it per request.
	PageSize int
	Now      func() time.Time
}

// Service serves the containerApps operation group.
type Service struct {
	store    tokend.Store
	box      *seal.Box
	signer   Signer
	lifetime time.Duration
	pageSize int
	now      func() time.Time

	envelopes envelopeCache
}

// New checks the configuration and returns the service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("containerapps: no store")
	case cfg.Box == nil:
		return nil, errors.New("containerapps: no seal box for secrets")
	case cfg.Signer == nil:
		return nil, errors.New("containerapps: no token signer")
	case cfg.TokenLifetime < 0:
		return nil, errors.New("containerapps: negative token lifetime")
	}
	s := &Service{store: cfg.Store, box: cfg.Box, signer: cfg.Signer,
		lifetime: cfg.TokenLifetime, pageSize: cfg.PageSize, now: cfg.Now}
	if s.lifetime == 0 {
		s.lifetime = DefaultTokenLifetime
	}
	if s.pageSize <= 0 {
		s.pageSize = 100
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Route patterns (OPERATIONS.md §1).
const (
	bySubscription = "/subscriptions/{subscriptionId}/providers/Microsoft.App/containerApps"
	byGroup        = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.App/containerApps"
	appPath        = byGroup + "/{containerAppName}"
)

// Namespace is the resource provider namespace served.
const Namespace = "Microsoft.App"

// Describe is the Microsoft.App provider: the containerApps routes, and
// the validator that refuses the tokens of a deleted app. Apps are rows of
// the resources table, so deleting their resource group deletes them (and
// so revokes their tokens) with no hook of this package's.
func (s *Service) Describe() *pipeline.Provider {
	return &pipeline.Provider{
		Namespace: Namespace, Family: wire.FamilyContainerApps, Versions: Versions,
		Routes: []pipeline.Route{
			pipeline.Op(http.MethodGet, bySubscription, s.listBySubscription),
			pipeline.Op(http.MethodGet, byGroup, s.listByGroup),
			pipeline.Op(http.MethodGet, appPath, s.get),
			pipeline.Op(http.MethodPut, appPath, s.put),
			pipeline.Op(http.MethodPatch, appPath, s.patch),
			pipeline.Op(http.MethodDelete, appPath, s.delete),
			pipeline.Op(http.MethodPost, appPath+"/listSecrets", s.listSecrets),
			pipeline.Op(http.MethodPost, appPath+"/start", s.start),
			pipeline.Op(http.MethodPost, appPath+"/stop", s.stop),
			pipeline.Op(http.MethodPost, appPath+"/listCustomHostNameAnalysis", s.listCustomHostNameAnalysis),
			{Method: http.MethodPost, Pattern: appPath + "/getAuthtoken", Action: GetAuthTokenAction, Handler: s.getAuthToken},
		},
		TokenValidators: []tokend.TokenValidator{s.ValidateClaims},
	}
}

// appID is the addressed app's ID: the client's casing for subscription,
// group and name, the canonical casing for the provider and type.
func appID(r *pipeline.Request) arm.ID {
	return arm.ID{
		SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName"),
		Namespace: "Microsoft.App", Types: []string{"containerApps"}, Names: []string{r.Param("containerAppName")},
	}
}

func notFound(id arm.ID) *wire.Error {
	return wire.Errorf(http.StatusNotFound, "ResourceNotFound",
		"The Resource '"+ResourceType+"/"+id.Name()+"' under resource group '"+id.ResourceGroup+"' was not found.")
}
