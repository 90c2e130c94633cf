package playwright

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
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
	Router *arm.Router
	Signer Signer
	// Authenticator and Authorizer check data-plane callers; nil uses the
	// router's (those set with Router.UseAuth), read at request time.
	Authenticator tokend.Authenticator
	Authorizer    tokend.Authorizer
	// MaxTokenLifetime bounds expiryAt - now on create; 0 is
	// DefaultMaxTokenLifetime.
	MaxTokenLifetime time.Duration
	// PageSize is the data-plane list's default page size; 0 is 10, the
	// contract's.
	PageSize int
	Logger   *slog.Logger
	Now      func() time.Time
}

// Service serves Playwright Testing: the ARM accounts (Register) and the
// data plane (ServeHTTP, mounted at /playwright).
type Service struct {
	cfg   Config
	store tokend.Store
	rt    *arm.Router
	now   func() time.Time
	log   *slog.Logger
}

// New returns the service; call Register to add its ARM routes.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Router == nil {
		return nil, errors.New("playwright: Store and Router are required")
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
	return &Service{cfg: cfg, store: cfg.Store, rt: cfg.Router, now: cfg.Now, log: cfg.Logger}, nil
}

// Register adds the Microsoft.AzurePlaywrightService routes to the ARM
// router and the hook that drops an account's tokens with its resource
// group.
func (s *Service) Register() {
	p := s.rt.Provider(Namespace, arm.FamilyARM, APIVersions)
	const sub = "/subscriptions/{subscriptionId}"
	const group = sub + "/resourceGroups/{resourceGroupName}"
	const ns = "/providers/" + Namespace
	const account = group + ns + "/accounts/{accountName}"
	p.Handle(http.MethodGet, ns+"/operations", s.listOperations)
	p.Handle(http.MethodGet, sub+ns+"/accounts", s.listAccountsBySubscription)
	p.Handle(http.MethodGet, group+ns+"/accounts", s.listAccountsByGroup)
	p.Handle(http.MethodGet, account, s.getAccount)
	p.Handle(http.MethodPut, account, s.putAccount)
	p.Handle(http.MethodPatch, account, s.patchAccount)
	p.Handle(http.MethodDelete, account, s.deleteAccount)
	p.Handle(http.MethodPost, sub+ns+"/checkNameAvailability", s.checkNameAvailability)
	p.Handle(http.MethodGet, sub+ns+"/locations/{location}/operationStatuses/{operationId}", s.getOperationStatus)
	s.rt.OnGroupDelete(s.onGroupDelete)
}

func (s *Service) authenticator() tokend.Authenticator {
	if s.cfg.Authenticator != nil {
		return s.cfg.Authenticator
	}
	return s.rt.Config().Authenticator
}

func (s *Service) authorizer() tokend.Authorizer {
	if s.cfg.Authorizer != nil {
		return s.cfg.Authorizer
	}
	return s.rt.Config().Authorizer
}
