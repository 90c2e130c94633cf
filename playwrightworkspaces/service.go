package playwrightworkspaces

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/wire"
)

// Namespace is the ARM resource provider.
const Namespace = "Microsoft.LoadTestService"

// APIVersions are the playwrightWorkspaces api-versions: the stable
// 2025-09-01 and 2025-10-01, whose specs define the shapes, and the
// previews around them, served with the same shapes.
var APIVersions = wire.NewAPIVersions("2025-07-01-preview", "2025-09-01", "2025-10-01", "2026-01-01-preview", "2026-02-01-preview")

// Config is what the service needs from the server.
type Config struct {
	Store  tokend.Store
	Signer playwright.Signer
	// MaxTokenLifetime bounds an access token's expiryAt - now on create;
	// 0 is playwright.DefaultMaxTokenLifetime.
	MaxTokenLifetime time.Duration
	// PageSize is the data plane's default page size (0: 10).
	PageSize int
	// Browsers is the browsers gateway (shared with Playwright Testing's
	// accounts); nil serves no browsers (503).
	Browsers *playwright.Gateway
	Logger   *slog.Logger
	Now      func() time.Time
}

// Service serves Playwright Workspaces.
type Service struct {
	cfg    Config
	store  tokend.Store
	now    func() time.Time
	log    *slog.Logger
	tokens *playwright.Tokens
	runs   runSessions
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("playwrightworkspaces: Store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 10
	}
	tokens := playwright.NewTokens(playwright.TokensConfig{Store: cfg.Store, Signer: cfg.Signer,
		MaxLifetime: cfg.MaxTokenLifetime, PageSize: cfg.PageSize, Now: cfg.Now, Logger: cfg.Logger,
		Revoked: cfg.Browsers.Revoke}, tokenKind)
	return &Service{cfg: cfg, store: cfg.Store, now: cfg.Now, log: cfg.Logger, tokens: tokens}, nil
}

// Describe is Playwright Workspaces: the workspaces and their quotas on
// ARM, the subscription's quotas, the workspace data plane, the hook that
// drops a group's workspaces' tokens, the validator that refuses a
// deleted workspace token, and the data plane's audience.
func (s *Service) Describe() *pipeline.Provider {
	const sub = "/subscriptions/{subscriptionId}"
	const group = sub + "/resourceGroups/{resourceGroupName}"
	const ns = "/providers/" + Namespace
	const workspace = group + ns + "/playwrightWorkspaces/{playwrightWorkspaceName}"
	const subQuotas = sub + ns + "/locations/{location}/playwrightQuotas"
	return &pipeline.Provider{
		Namespace: Namespace, Family: wire.FamilyARM, Versions: APIVersions,
		Routes: []pipeline.Route{
			pipeline.Op(http.MethodGet, sub+ns+"/playwrightWorkspaces", s.listBySubscription),
			pipeline.Op(http.MethodGet, group+ns+"/playwrightWorkspaces", s.listByGroup),
			pipeline.Op(http.MethodGet, workspace, s.getWorkspace),
			pipeline.Op(http.MethodPut, workspace, s.putWorkspace),
			pipeline.Op(http.MethodPatch, workspace, s.patchWorkspace),
			pipeline.Op(http.MethodDelete, workspace, s.deleteWorkspace),
			pipeline.Op(http.MethodPost, sub+ns+"/checkNameAvailability", s.checkNameAvailability),
			pipeline.Op(http.MethodGet, workspace+"/quotas", s.listWorkspaceQuotas),
			pipeline.Op(http.MethodGet, workspace+"/quotas/{quotaName}", s.getWorkspaceQuota),
			pipeline.Op(http.MethodGet, subQuotas, s.listSubscriptionQuotas),
			pipeline.Op(http.MethodGet, subQuotas+"/{playwrightQuotaName}", s.getSubscriptionQuota),
		},
		DataPlanes:      []pipeline.DataPlane{s.dataPlane()},
		OnGroupDelete:   s.onGroupDelete,
		TokenValidators: []tokend.TokenValidator{s.tokens.ValidatePayload},
		Audiences:       []tokend.AudienceDefinition{AudienceDefinition},
	}
}

// ValidatePayload is the validator of workspace access tokens.
func (s *Service) ValidatePayload(ctx context.Context, payload []byte) error {
	return s.tokens.ValidatePayload(ctx, payload)
}
