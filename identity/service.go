package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
)

// Config configures the identity service.
type Config struct {
	Store tokend.Store
	Box   *seal.Box
	// DefaultTenantID answers for "organizations" and "common" and is named
	// in 401 challenges.
	DefaultTenantID string
	// PublicURL, when set, is the base of every issuer and endpoint URL;
	// otherwise each request's own scheme and host are used, so the issuer
	// matches whatever authority the client used.
	PublicURL string
	// SigningAlg, KeyRotation and KeyPrePublish shape the key set (see
	// KeyPolicy for defaults).
	SigningAlg    string
	KeyRotation   time.Duration
	KeyPrePublish time.Duration
	// TokenLifetime is the lifetime of access tokens (default 1h).
	TokenLifetime time.Duration
	// Skew is the clock skew allowed on exp and nbf (default 60s).
	Skew           time.Duration
	TrustedIssuers []TrustedIssuer
	// HTTPClient fetches trusted issuers' discovery documents and keys.
	HTTPClient *http.Client
	// TokenCacheSize bounds the verified-token cache (default 100,000).
	TokenCacheSize int
	// KeyRefresh is how often the key set is reloaded and rotation is
	// considered (default 30s); SyncInterval how often revocations, role
	// and assignment changes and client changes are pulled from storage
	// (default 500ms: a change made on one node applies on every other
	// within a second, the sync's few indexed reads included, at a cost of
	// six small reads a second per node).
	KeyRefresh   time.Duration
	SyncInterval time.Duration
	// Roles are the roles assignments may name (default: the built-in
	// ones); Audiences the surfaces' audiences beyond ARM's; BootstrapRoles
	// what the bootstrap client holds at "/" besides Owner. The composition
	// takes all three from the provider descriptors.
	// IMDSIdentity names the managed identity the IMDS and Cloud Shell
	// endpoints answer for when a request names none ("": the only one).
	IMDSIdentity   string
	Roles          *RoleCatalog
	Audiences      []tokend.AudienceDefinition
	BootstrapRoles []string
	Logger         *slog.Logger
	Now            func() time.Time
	// Audit, when set, records every token issued, every failed client
	// authentication and every revocation before the answer is sent.
	Audit *audit.Log
	// Throttle, when set, limits client authentications and learns of
	// their failures (package ratelimit).
	Throttle Throttle
	// RefreshTokenLifetime is how long a refresh token stays good unused
	// (sliding: each use issues a fresh one; default 90 days, Entra's);
	// RefreshTokenMaxLifetime the absolute end of a sign-in's refresh
	// tokens (default 365 days); RefreshReuseGrace how long after a
	// refresh token's first use it is still accepted (a retry, a
	// concurrent refresh) instead of revoking its family as stolen
	// (zero: 5s; negative: none).
	RefreshTokenLifetime    time.Duration
	RefreshTokenMaxLifetime time.Duration
	RefreshReuseGrace       time.Duration
	// PasswordParams are the argon2id parameters new password hashes use
	// (zero: DefaultPasswordParams).
	PasswordParams PasswordParams
	// SessionLifetime is how long a browser stays signed in (default 12h).
	SessionLifetime time.Duration
}

// Service is the identity provider and bearer-token gate of one node.
type Service struct {
	cfg         Config
	Clients     *Clients
	Assignments *Assignments
	// ManagedIdentities are the deployment's managed identities.
	ManagedIdentities *ManagedIdentities
	// Users are the people who sign in interactively.
	Users      *Users
	Keys       *KeyManager
	authz      *Authorizer
	keys       *keyRing
	verifier   *verifier
	deny       *denyList
	validators *validators
	tenants    *tenants
	trusted    map[string]TrustedIssuer
	audiences  *audiences
	federation *federation
	replays    *replayLog
	rotations  *batcher[tokend.RefreshRotation]
	families   *batcher[tokend.RefreshFamilyCreation]
	router     *pipeline.Router
	listenURL  baseURLHolder
	log        *slog.Logger
	// continuations complete interactive sign-ins, by flow (signin.go).
	continuations map[string]signInContinuation
	// keysGeneration is the key-set generation last loaded; only New and
	// Run's goroutine touch it.
	keysGeneration string
}

// New opens the service: the secret-hashing key, the key set (creating the
// first key on first start), the revocation list and the role assignment
// generation. Call Run to keep them in step with other nodes.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Box == nil || cfg.DefaultTenantID == "" {
		return nil, errors.New("identity: Store, Box and DefaultTenantID are required")
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = time.Hour
	}
	if cfg.Skew <= 0 {
		cfg.Skew = time.Minute
	}
	if cfg.KeyRefresh <= 0 {
		cfg.KeyRefresh = 30 * time.Second
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 500 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = 12 * time.Hour
	}
	if cfg.RefreshTokenLifetime <= 0 {
		cfg.RefreshTokenLifetime = 90 * 24 * time.Hour
	}
	if cfg.RefreshTokenMaxLifetime <= 0 {
		cfg.RefreshTokenMaxLifetime = 365 * 24 * time.Hour
	}
	if cfg.RefreshReuseGrace < 0 {
		cfg.RefreshReuseGrace = 0
	} else if cfg.RefreshReuseGrace == 0 {
		cfg.RefreshReuseGrace = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Roles == nil {
		cfg.Roles = defaultRoles()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	cfg.DefaultTenantID = strings.ToLower(cfg.DefaultTenantID)
	var basePath string
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
			return nil, fmt.Errorf("identity: public URL %q is not an absolute http(s) URL", cfg.PublicURL)
		}
		basePath = strings.TrimRight(u.Path, "/")
	}

	clients, err := NewClients(ctx, cfg.Store, cfg.Box, cfg.Now)
	if err != nil {
		return nil, err
	}
	users, err := NewUsers(ctx, cfg.Store, cfg.PasswordParams, cfg.Now)
	if err != nil {
		return nil, err
	}
	km, err := NewKeyManager(cfg.Store, cfg.Box, KeyPolicy{
		Algorithm: cfg.SigningAlg, Rotation: cfg.KeyRotation, PrePublish: cfg.KeyPrePublish,
		MaxTokenLifetime: cfg.TokenLifetime, Skew: cfg.Skew,
	}, cfg.Now)
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:         cfg,
		Clients:     clients,
		Users:       users,
		Assignments: NewAssignments(cfg.Store, cfg.Roles, cfg.Now),
		Keys:        km,
		authz:       NewAuthorizer(cfg.Store, cfg.Roles, cfg.Now, cfg.Logger),
		audiences:   newAudiences(cfg.Audiences),
		federation:  newFederation(cfg.HTTPClient, cfg.Now),
		replays:     newReplayLog(cfg.Store),
		rotations:   newRotationLog(cfg.Store),
		families:    newFamilyLog(cfg.Store),
		keys:        newKeyRing(cfg.Store, cfg.Box, cfg.Logger, cfg.Now),
		deny:        newDenyList(cfg.Store, cfg.Now),
		validators:  &validators{},
		tenants:     newTenants(cfg.Store, cfg.DefaultTenantID, cfg.Now),
		trusted:     map[string]TrustedIssuer{},
		log:         cfg.Logger,
		// The flows that sign users in through the form, by kind.
		continuations: map[string]signInContinuation{},
	}
	s.continuations[authorizeFlow] = s.continueAuthorize
	s.ManagedIdentities = NewManagedIdentities(cfg.Store, cfg.Box, clients, cfg.Now)
	s.Assignments.onChange = s.authz.Invalidate
	s.Assignments.authz = s.authz
	s.Clients.onDelete = s.authz.Invalidate
	s.Users.onDelete = s.authz.Invalidate
	s.continuations[deviceContinuation] = s.continueDeviceSignIn
	s.router = s.newRouter()
	external := map[string]*externalIssuer{}
	for _, ti := range cfg.TrustedIssuers {
		if ti.Issuer == "" {
			continue
		}
		s.trusted[ti.Issuer] = ti
		external[ti.Issuer] = newExternalIssuer(ti, cfg.HTTPClient, cfg.Now)
	}
	s.verifier = &verifier{
		keys: s.keys, tenants: s.tenants, external: external,
		cache: newTokenCache(cfg.TokenCacheSize), deny: s.deny, validators: s.validators,
		skew: cfg.Skew, now: cfg.Now, publicURL: cfg.PublicURL, basePath: basePath,
	}
	s.keys.onRemove = s.verifier.cache.clear

	if _, err := km.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("identity: prepare signing keys: %w", err)
	}
	if err := s.syncKeys(ctx, true); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if err := s.deny.sync(ctx); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if err := s.authz.syncGeneration(ctx); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if err := s.Clients.cache.sync(ctx, cfg.Store); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return s, nil
}

// Run keeps this node in step with storage until ctx is done: revocations
// and role assignment changes every SyncInterval, the key set (and any due
// rotation) every KeyRefresh, and expired revocations purged hourly.
func (s *Service) Run(ctx context.Context) {
	syncT := time.NewTicker(s.cfg.SyncInterval)
	keyT := time.NewTicker(s.cfg.KeyRefresh)
	purgeT := time.NewTicker(time.Hour)
	defer syncT.Stop()
	defer keyT.Stop()
	defer purgeT.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-syncT.C:
			if err := s.deny.sync(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("identity sync", "err", err.Error())
			}
			if err := s.authz.syncGeneration(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("identity sync", "err", err.Error())
			}
			if err := s.syncKeys(ctx, false); err != nil && ctx.Err() == nil {
				s.log.Warn("identity sync", "err", err.Error())
			}
			if err := s.Clients.cache.sync(ctx, s.cfg.Store); err != nil && ctx.Err() == nil {
				s.log.Warn("identity sync", "err", err.Error())
			}
		case <-keyT.C:
			if err := s.RefreshKeys(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("signing key refresh", "err", err.Error())
			}
		case <-purgeT.C:
			n, err := s.cfg.Store.PurgeRevocations(ctx, s.cfg.Now().Add(-s.cfg.Skew-time.Minute))
			if err != nil && ctx.Err() == nil {
				s.log.Warn("purge revocations", "err", err.Error())
			} else if n > 0 {
				s.log.Info("purged expired revocations", "count", n)
			}
			if _, err := s.cfg.Store.PurgeAssertions(ctx, s.cfg.Now()); err != nil && ctx.Err() == nil {
				s.log.Warn("purge client assertion ids", "err", err.Error())
			}
			if _, err := s.cfg.Store.PurgeRefreshFamilies(ctx, s.cfg.Now()); err != nil && ctx.Err() == nil {
				s.log.Warn("purge refresh token families", "err", err.Error())
			}
			if _, err := s.cfg.Store.PurgeDeviceCodes(ctx, s.cfg.Now()); err != nil && ctx.Err() == nil {
				s.log.Warn("purge device codes", "err", err.Error())
			}
			if _, err := s.cfg.Store.PurgeSignInFailures(ctx, s.cfg.Now().Add(-failureMemory)); err != nil && ctx.Err() == nil {
				s.log.Warn("purge failed sign-ins", "err", err.Error())
			}
		}
	}
}

// syncKeys reloads the key set when any node changed it (a rotation, a
// revocation, a scheduled decision), or always with force: one small read
// when nothing moved. The generation is read before the keys, so a change
// made in between is reloaded on the next call.
func (s *Service) syncKeys(ctx context.Context, force bool) error {
	v, err := s.cfg.Store.GetMeta(ctx, keysGenerationMeta)
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		v = nil
	case err != nil:
		return fmt.Errorf("read signing key generation: %w", err)
	}
	if !force && string(v) == s.keysGeneration {
		return nil
	}
	if err := s.keys.reload(ctx); err != nil {
		return err
	}
	s.keysGeneration = string(v)
	return nil
}

// RefreshKeys reloads the key set and runs any key-set decision that has
// come due. The decision (a locked transaction) is skipped when the fresh
// copy shows nothing to do, which is almost always.
func (s *Service) RefreshKeys(ctx context.Context) error {
	if err := s.keys.reload(ctx); err != nil {
		return err
	}
	if !s.keys.decisionDue(s.cfg.Now(), s.Keys.Policy()) {
		return nil
	}
	if _, err := s.Keys.Ensure(ctx); err != nil {
		return err
	}
	return s.keys.reload(ctx)
}

// Authorizer is the role-assignment authorizer (tokend.Authorizer).
func (s *Service) Authorizer() *Authorizer { return s.authz }

// DefaultTenantID is the tenant "organizations" and "common" stand for.
func (s *Service) DefaultTenantID() string { return s.cfg.DefaultTenantID }

// AddValidator registers a check run on every authentication and
// introspection (see Validator).
func (s *Service) AddValidator(v Validator) { s.validators.add(v) }

// baseURL is the scheme and authority issuer URLs start with.
func (s *Service) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// IssuerURL is the issuer of tokens for tenantID reached at base (the
// scheme and authority the client used, or the public URL).
func IssuerURL(base, tenantID string) string {
	return strings.TrimRight(base, "/") + "/" + tenantID + "/v2.0"
}
