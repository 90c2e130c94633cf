package playwright

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Access tokens: PUT mints a token and shows its JWT once; GET and List
// never show it again; DELETE ends it at once.
//
// A PUT on an existing id replaces the token (200, as the contract's
// "replaced" response): a new JWT is minted and returned, and the previous
// one stops working with the commit, since its hash is no longer the row's.
// The alternative, 409, would leave a client whose first PUT succeeded but
// whose response was lost (the SDK retries PUT on timeouts) with a live
// secret it never saw and a conflict it cannot resolve without a DELETE;
// replacing keeps exactly one live token per id, and it is the caller's.

// accessTokenIDPattern is the spec's accessTokenId, anchored.
var accessTokenIDPattern = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)+$`)

// accountTokenKind is Playwright Testing's: names are the spec's 3–64
// letters and digits starting with a letter, ids at most 64 characters.
var accountTokenKind = TokenKind{
	Parent: "account", ParentParam: "accountId", ResourceType: accountType,
	Name:        regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]{2,63}$`),
	NameRule:    "3 to 64 letters and digits, starting with a letter (^[a-zA-Z]{1}[a-zA-Z0-9]{2,63}$)",
	MaxIDLength: 64,
}

// Token states.
const (
	stateActive  = "Active"
	stateExpired = "Expired"
)

// accessTokenBody is the AccessToken model.
type accessTokenBody struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	JWTToken  string `json:"jwtToken,omitempty"`
	CreatedAt string `json:"createdAt"`
	ExpiryAt  string `json:"expiryAt"`
	State     string `json:"state"`
}

// formatTime writes an instant as the contract's examples do: UTC,
// RFC 3339, fractional seconds only when there are any.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func tokenState(t *tokend.AccessToken, now time.Time) string {
	if t.Active(now) {
		return stateActive
	}
	return stateExpired
}

func renderToken(t *tokend.AccessToken, now time.Time) accessTokenBody {
	return accessTokenBody{ID: t.ID, Name: t.Name, CreatedAt: formatTime(t.CreatedAt), ExpiryAt: formatTime(t.ExpiryAt), State: tokenState(t, now)}
}

// canonicalTokenID validates an accessTokenId and returns its canonical
// (lower-case) form: ids are UUID-like, and UUIDs ignore case.
func (k *Tokens) canonicalTokenID(id string) (string, error) {
	if len(id) > k.kind.MaxIDLength || !accessTokenIDPattern.MatchString(id) {
		return "", wire.BadRequest("InvalidParameter", "accessTokenId", fmt.Sprintf("The access token id '%s"+
			"' is invalid: it must be a UUID (at most %d letters and digits in '-' separated groups), such as '00000000-0000-0000-0000-000000000000'.",
			wire.Clip(id), k.kind.MaxIDLength))
	}
	return strings.ToLower(id), nil
}

func (k *Tokens) tokenNotFound(parentID, id string) *wire.Error {
	return wire.Errorf(http.StatusNotFound, "AccessTokenNotFound",
		"The access token '"+id+"' was not found in "+k.kind.Parent+" '"+parentID+"'.")
}

func (k *Tokens) getAccessToken(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id, err := k.canonicalTokenID(r.Param("accessTokenId"))
	if err != nil {
		return nil, err
	}
	tok, err := k.store.GetAccessToken(ctx, ParentOf(r).ID, id)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, k.tokenNotFound(r.Param(k.kind.ParentParam), r.Param("accessTokenId"))
	}
	if err != nil {
		return nil, fmt.Errorf("get access token %s: %w", id, err)
	}
	return wire.JSON(http.StatusOK, renderToken(tok, k.now())), nil
}

// accessTokenInput is the PUT body. id, jwtToken, createdAt and state are
// read-only: accepted (the contract's example sends id) and ignored, except
// that an id must agree with the path.
type accessTokenInput struct {
	ID       *string `json:"id"`
	Name     *string `json:"name"`
	ExpiryAt *string `json:"expiryAt"`
}

func (k *Tokens) putAccessToken(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id, err := k.canonicalTokenID(r.Param("accessTokenId"))
	if err != nil {
		return nil, err
	}
	var in accessTokenInput
	if err := wire.DecodeJSON(r.Body, &in); err != nil {
		return nil, err
	}
	if in.ID != nil && !strings.EqualFold(*in.ID, id) {
		return nil, wire.BadRequest("InvalidRequestContent", "id", "The id '"+wire.Clip(*in.ID)+"' in the body does not match the access token id '"+r.Param("accessTokenId")+"' in the path.")
	}
	switch {
	case in.Name == nil:
		return nil, wire.BadRequest("InvalidRequestContent", "name", "The property 'name' is required.")
	case !k.kind.Name.MatchString(*in.Name):
		return nil, wire.BadRequest("InvalidRequestContent", "name", "The name '"+wire.Clip(*in.Name)+
			"' is invalid: it must be "+k.kind.NameRule+".")
	case in.ExpiryAt == nil:
		return nil, wire.BadRequest("InvalidRequestContent", "expiryAt", "The property 'expiryAt' is required.")
	}
	requested, perr := time.Parse(time.RFC3339Nano, *in.ExpiryAt)
	if perr != nil {
		return nil, wire.BadRequest("InvalidRequestContent", "expiryAt", "The expiryAt '"+wire.Clip(*in.ExpiryAt)+
			"' is not a date-time: write it in RFC 3339, such as '2026-12-31T23:59:59Z'.")
	}
	now := k.now().UTC()
	// JWT times are whole seconds: keep expiryAt to the second (rounded
	// down, never beyond what was asked) so the row and the JWT expire
	// together.
	expiry := requested.UTC().Truncate(time.Second)
	if !expiry.After(now) {
		return nil, wire.BadRequest("InvalidRequestContent", "expiryAt", "The expiryAt '"+formatTime(requested)+
			"' is not in the future; it must be after "+formatTime(now.Truncate(time.Second))+".")
	}
	if limit := now.Add(k.maxLifetime); expiry.After(limit) {
		return nil, wire.BadRequest("InvalidRequestContent", "expiryAt", fmt.Sprintf(
			"The expiryAt '%s' is too far in the future: an access token may live at most %s, until %s.",
			formatTime(requested), lifetimeString(k.maxLifetime), formatTime(limit.Truncate(time.Second))))
	}

	// The token carries its creator's tenant; only a caller without one
	// (a test's anonymous principal) costs a subscription lookup.
	var tenantID string
	if r.Principal != nil && r.Principal.TenantID != "" {
		tenantID = r.Principal.TenantID
	} else if tenantID, err = k.parentTenant(ctx, ParentOf(r)); err != nil {
		return nil, err
	}
	jwt, hash, err := k.mint(ctx, r.Principal, ParentOf(r), tenantID, id, now, expiry)
	if err != nil {
		return nil, err
	}
	tok := &tokend.AccessToken{
		AccountID: ParentOf(r).ID, ID: id, Name: *in.Name, Hash: hash,
		CreatedAt: now.Truncate(time.Microsecond), ExpiryAt: expiry, CreatedBy: callerID(r.Principal),
	}
	status := http.StatusCreated
	err = k.store.CreateAccessToken(ctx, tok)
	if errors.Is(err, tokend.ErrAlreadyExists) {
		status = http.StatusOK
		err = k.store.ReplaceAccessToken(ctx, tok)
	}
	if err != nil {
		// ErrNotFound here is a replace that lost a race with a delete: the
		// client may simply retry.
		return nil, fmt.Errorf("store access token %s: %w", id, err)
	}
	if status == http.StatusOK {
		k.revoke(tok.AccountID, id) // the replaced token's sessions end
	}
	body := renderToken(tok, now)
	body.JWTToken = jwt
	return wire.JSON(status, body), nil
}

func (k *Tokens) deleteAccessToken(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id, err := k.canonicalTokenID(r.Param("accessTokenId"))
	if err != nil {
		return nil, err
	}
	// Idempotent, as Azure.Core deletes are: the contract declares only 204.
	if err := k.store.DeleteAccessToken(ctx, ParentOf(r).ID, id); err != nil && !errors.Is(err, tokend.ErrNotFound) {
		return nil, fmt.Errorf("delete access token %s: %w", id, err)
	}
	k.revoke(ParentOf(r).ID, id)
	return wire.Empty(http.StatusNoContent), nil
}

// parentTenant is the tenant of the parent's subscription, for tokens
// minted for callers that carry none.
func (k *Tokens) parentTenant(ctx context.Context, acct *tokend.PlaywrightAccount) (string, error) {
	id, err := arm.ParseID(acct.ResourceKey)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", k.kind.Parent, acct.ID, err)
	}
	sub, err := k.store.GetSubscription(ctx, id.SubscriptionID)
	if err != nil {
		return "", fmt.Errorf("load subscription of %s %s: %w", k.kind.Parent, acct.ID, err)
	}
	return sub.TenantID, nil
}

func callerID(p *tokend.Principal) string {
	if p == nil {
		return ""
	}
	return p.ObjectID
}

// lifetimeString writes a lifetime in days when it is whole days.
func lifetimeString(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
