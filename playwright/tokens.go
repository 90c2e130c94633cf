package playwright

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Tokens is the access-token machinery of the Playwright data planes:
// Playwright Testing's accounts (this package) and Playwright Workspaces
// (package playwrightworkspaces) mint, list, replace, delete and check
// their tokens with it, on the one token table, so a token is shown once,
// stored as a hash and refused once deleted in exactly one way. What
// differs between the two contracts (the parent's name in messages, the
// token name and id rules) is a TokenKind.
//
// Its handlers expect the request's scope to have resolved the parent:
// r.Resolved is the *tokend.PlaywrightAccount the data-plane id indexes
// (an account's "{location}_{uuid}" or a workspace's GUID).
type Tokens struct {
	store       tokend.Store
	signer      Signer
	now         func() time.Time
	maxLifetime time.Duration
	pageSize    int
	kind        TokenKind
	log         *slog.Logger
	revoked     func(parentID, tokenID string)
}

// TokenKind is what one data plane's tokens differ in.
type TokenKind struct {
	// Parent names the token's parent in messages ("account",
	// "workspace"); ParentParam is the path parameter holding its id.
	Parent, ParentParam string
	// ResourceType is the canonical (lower-case) ARM type of the parents,
	// "microsoft.azureplaywrightservice/accounts": the validator checks
	// the tokens bound to resources of this type and leaves the others
	// to their own data plane's.
	ResourceType string
	// Name is the pattern of a token's name and NameRule says it in words.
	Name     *regexp.Regexp
	NameRule string
	// MaxIDLength bounds an access-token id (the spec's maxLength).
	MaxIDLength int
}

// TokensConfig is what the token machinery needs from its provider.
type TokensConfig struct {
	Store  tokend.Store
	Signer Signer
	// MaxLifetime bounds expiryAt - now on create (0: DefaultMaxTokenLifetime).
	MaxLifetime time.Duration
	// PageSize is the list's default page size (0: 10, the contracts').
	PageSize int
	Now      func() time.Time
	Logger   *slog.Logger
	// Revoked, if set, learns of every token deleted or replaced once the
	// change is committed (the browsers gateway closes its sessions).
	Revoked func(parentID, tokenID string)
}

// NewTokens returns the token machinery of one data plane.
func NewTokens(cfg TokensConfig, kind TokenKind) *Tokens {
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = DefaultMaxTokenLifetime
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
	return &Tokens{store: cfg.Store, signer: cfg.Signer, now: cfg.Now, maxLifetime: cfg.MaxLifetime,
		pageSize: cfg.PageSize, kind: kind, log: cfg.Logger, revoked: cfg.Revoked}
}

// List, Get, Put and Delete are AccessTokens_List, _Get, _CreateOrReplace
// and _Delete, for a data plane's routes.
func (k *Tokens) List(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return k.listAccessTokens(ctx, r)
}

// Get is AccessTokens_Get.
func (k *Tokens) Get(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return k.getAccessToken(ctx, r)
}

// Put is AccessTokens_CreateOrReplace.
func (k *Tokens) Put(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return k.putAccessToken(ctx, r)
}

// Delete is AccessTokens_Delete.
func (k *Tokens) Delete(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return k.deleteAccessToken(ctx, r)
}

// RefuseAccessTokens guards the operations an access token may never
// perform: a token cannot mint, list or delete tokens, only act on its
// parent. An access token is a resource-bound principal; the issuer
// already checked its row and hash (the validator runs on every
// authentication, cache hits included), so a deleted token never gets
// here.
func RefuseAccessTokens(r *pipeline.Request) error {
	if IsAccessToken(r.Principal) {
		return wire.Errorf(http.StatusForbidden, "AuthorizationFailed",
			"An access token cannot be used to manage access tokens; sign in with Microsoft Entra ID to do that.")
	}
	return nil
}

// IsAccessToken reports whether p authenticated with a resource-bound
// token (a Playwright access token) rather than a Microsoft Entra one.
func IsAccessToken(p *tokend.Principal) bool { return p != nil && p.Resource != "" }

// ParentOf is the account or workspace a data-plane request addresses, as
// its surface's scope resolved it.
func ParentOf(r *pipeline.Request) *tokend.PlaywrightAccount {
	return r.Resolved.(*tokend.PlaywrightAccount)
}

// revoke reports a deleted or replaced token.
func (k *Tokens) revoke(parentID, tokenID string) {
	if k.revoked != nil {
		k.revoked(parentID, tokenID)
	}
}
