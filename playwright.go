package tokend

import (
	"context"
	"time"

	"github.com/tokend-dev/tokend/odata"
)

// PlaywrightAccount links a Playwright Testing account's data-plane id to its
// ARM resource. The ARM model has no field for the data-plane id, so tokend
// assigns one when the account is created and keeps this index to resolve
// {endpoint}/accounts/{accountId} without scanning resources.
type PlaywrightAccount struct {
	// ID is the data-plane account id, "{location}_{uuid}": new for every
	// incarnation of the ARM resource, so tokens of a deleted account never
	// match an account created again under the same name.
	ID string
	// ResourceKey is the canonical (lower-case) ARM resource ID.
	ResourceKey string
	CreatedAt   time.Time
}

// AccessToken is a Playwright Testing access token as storage keeps it: its
// metadata and a hash, never the token itself, which is shown once.
type AccessToken struct {
	AccountID string // the data-plane account id
	ID        string // the access-token id, unique within the account
	Name      string
	// Hash is the SHA-256 of the issued JWT's payload, as signed. Every use
	// of the token compares it, so a token is honoured only while its row
	// stands and only if it is the very token issued for the row.
	Hash      []byte
	CreatedAt time.Time
	ExpiryAt  time.Time
	// CreatedBy is the object id of the principal that created the token,
	// on whose behalf it acts.
	CreatedBy string
}

// Active reports whether the token has not yet expired at now: the
// contract's state is Active until expiryAt and Expired from then on.
func (t *AccessToken) Active(now time.Time) bool { return now.Before(t.ExpiryAt) }

// AccessTokenField names a field access tokens can be ordered by.
type AccessTokenField string

// Fields of the access-token list's $orderby (and keyset positions).
const (
	AccessTokenID        AccessTokenField = "id"
	AccessTokenName      AccessTokenField = "name"
	AccessTokenCreatedAt AccessTokenField = "createdAt"
	AccessTokenExpiryAt  AccessTokenField = "expiryAt"
	// AccessTokenState orders Active before Expired (ascending), as of
	// AccessTokenQuery.Now.
	AccessTokenState AccessTokenField = "state"
)

// AccessTokenOrder is one $orderby key.
type AccessTokenOrder struct {
	Field AccessTokenField
	Desc  bool
}

// AccessTokenQuery selects one page of one account's access tokens.
// Filtering, ordering and paging all run inside the database.
type AccessTokenQuery struct {
	// AccountID is the data-plane account id; required.
	AccountID string
	// Filter is a parsed $filter over the AccessTokenField fields, or nil
	// for every token.
	Filter odata.Expr
	// OrderBy lists the sort keys; storage appends id as the final
	// tie-break (in the direction of the last key) so that the order is
	// total and a page boundary is a position. Empty means by id.
	OrderBy []AccessTokenOrder
	// After, when set, is the last token of the previous page: only tokens
	// strictly after it in the order are returned (keyset paging: page 50
	// costs what page 1 does, and inserts between pages neither skip nor
	// repeat items). Only the fields the order uses need to be set.
	After *AccessToken
	// Skip drops that many matching tokens before the page ($skip).
	Skip int
	// Limit caps the page size; 0 means no cap.
	Limit int
	// Now is the instant "state" is evaluated at; the zero time means
	// time.Now(). Paging keeps the first page's instant so that a token
	// expiring mid-listing does not move between pages.
	Now time.Time
}

// AccessTokenStore keeps Playwright Testing access tokens and the index of
// data-plane account ids.
type AccessTokenStore interface {
	// CreatePlaywrightAccount indexes an account; ErrAlreadyExists when its
	// id or resource key is taken.
	CreatePlaywrightAccount(ctx context.Context, a *PlaywrightAccount) error
	// GetPlaywrightAccount resolves a data-plane account id (ErrNotFound).
	GetPlaywrightAccount(ctx context.Context, id string) (*PlaywrightAccount, error)
	// DeletePlaywrightAccount removes an account from the index together
	// with all of its access tokens, which stop working at once
	// (ErrNotFound).
	DeletePlaywrightAccount(ctx context.Context, id string) error

	// CreateAccessToken inserts t; ErrAlreadyExists when (AccountID, ID)
	// is taken.
	CreateAccessToken(ctx context.Context, t *AccessToken) error
	// CreateAccessTokens inserts many tokens at once (bulk seeding, tests
	// and benchmarks); ErrAlreadyExists when any is taken, and then none is
	// inserted.
	CreateAccessTokens(ctx context.Context, list []*AccessToken) error
	// ReplaceAccessToken overwrites the stored token (AccountID, ID) with
	// t: a new name, expiry, hash and creation time (ErrNotFound).
	ReplaceAccessToken(ctx context.Context, t *AccessToken) error
	GetAccessToken(ctx context.Context, accountID, id string) (*AccessToken, error)
	// DeleteAccessToken removes one token (ErrNotFound).
	DeleteAccessToken(ctx context.Context, accountID, id string) error
	// ListAccessTokens returns one page of an account's tokens that match
	// q.Filter, in q.OrderBy order.
	ListAccessTokens(ctx context.Context, q AccessTokenQuery) ([]*AccessToken, error)
}
