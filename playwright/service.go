package playwright

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Signer mints a JWT over arbitrary claims with tokend's current signing
// key (the issuer's). The issuer adds iss and the key id; everything else is
// the caller's.
type Signer interface {
	Sign(ctx context.Context, claims map[string]any) (string, error)
}

// DefaultMaxTokenLifetime bounds an access token's expiryAt when the
// configuration does not (--playwright-max-token-lifetime).
const DefaultMaxTokenLifetime = 90 * 24 * time.Hour

// Config is what the service needs from the server.
type Config struct {
	Store  tokend.Store
	Signer Signer
	// MaxTokenLifetime bounds expiryAt - now on create; 0 is
	// DefaultMaxTokenLifetime.
	MaxTokenLifetime time.Duration
	// PageSize is the data-plane list's default page size; 0 is 10, the
	// contract's.
	PageSize int
	// Browsers is the browsers gateway the accounts' sessions go through
	// (nil: none is served, 503).
	Browsers *Gateway
	Logger   *slog.Logger
	Now      func() time.Time
}

// Service serves Playwright Testing: the ARM accounts (Register) and the
// data plane (ServeHTTP, mounted at /playwright).
type Service struct {
	cfg    Config
	store  tokend.Store
	now    func() time.Time
	log    *slog.Logger
	tokens *Tokens
}

// New returns the service; call Register to add its ARM routes.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("playwright: Store is required")
	}
	if cfg.MaxTokenLifetime <= 0 {
		cfg.MaxTokenLifetime = DefaultMaxTokenLifetime
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = defaultPageSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	tokens := NewTokens(TokensConfig{Store: cfg.Store, Signer: cfg.Signer, MaxLifetime: cfg.MaxTokenLifetime,
		PageSize: cfg.PageSize, Now: cfg.Now, Logger: cfg.Logger, Revoked: cfg.Browsers.Revoke}, accountTokenKind)
	return &Service{cfg: cfg, store: cfg.Store, now: cfg.Now, log: cfg.Logger, tokens: tokens}, nil
}

// Describe is Playwright Testing: the Microsoft.AzurePlaywrightService
// accounts on ARM, the data plane under /playwright, the hook that drops an
// account's tokens with its resource group, the validator that refuses a
// deleted access token, and the roles and audience of the data plane.
func (s *Service) Describe() *pipeline.Provider {
	const sub = "/subscriptions/{subscriptionId}"
	const group = sub + "/resourceGroups/{resourceGroupName}"
	const ns = "/providers/" + Namespace
	const account = group + ns + "/accounts/{accountName}"
	return &pipeline.Provider{
		Namespace: Namespace, Family: wire.FamilyARM, Versions: APIVersions,
		Routes: []pipeline.Route{
			pipeline.Op(http.MethodGet, sub+ns+"/accounts", s.listAccountsBySubscription),
			pipeline.Op(http.MethodGet, group+ns+"/accounts", s.listAccountsByGroup),
			pipeline.Op(http.MethodGet, account, s.getAccount),
			pipeline.Op(http.MethodPut, account, s.putAccount),
			pipeline.Op(http.MethodPatch, account, s.patchAccount),
			pipeline.Op(http.MethodDelete, account, s.deleteAccount),
			pipeline.Op(http.MethodPost, sub+ns+"/checkNameAvailability", s.checkNameAvailability),
			pipeline.Op(http.MethodGet, sub+ns+"/locations/{location}/operationStatuses/{operationId}", s.getOperationStatus),
		},
		DataPlanes:      []pipeline.DataPlane{s.dataPlane(), s.browsersPlane()},
		OnGroupDelete:   s.onGroupDelete,
		TokenValidators: []tokend.TokenValidator{s.tokens.ValidatePayload},
		Roles:           Roles,
		BootstrapRoles:  []string{RoleTestingOwner},
		Audiences:       []tokend.AudienceDefinition{AudienceDefinition},
	}
}

// ValidatePayload is the validator of the accounts' access tokens
// (Tokens.ValidatePayload).
func (s *Service) ValidatePayload(ctx context.Context, payload []byte) error {
	return s.tokens.ValidatePayload(ctx, payload)
}
