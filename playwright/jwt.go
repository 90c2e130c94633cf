package playwright

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// An access token is a JWT signed with tokend's issuer key, so every
// surface that checks tokend's bearer tokens accepts it as is. Its claims
// name the account and the token:
//
//	aud            https://playwright.microsoft.com (the data plane's audience)
//	oid, sub, tid  the creator, on whose behalf (and with whose roles) it acts
//	xms_tkd_res    the account's resource key: the authorizer confines the
//	               token to that account, whatever its principal's roles
//	accountId      the data-plane account (or workspace) id
//	aid, pwid      the same id again, under the names the npm packages
//	               check it by: @azure/microsoft-playwright-testing
//	               compares aid, @azure/playwright pwid, with the id in
//	               PLAYWRIGHT_SERVICE_URL (the latter also tells an access
//	               token from an Entra token by pwid's presence)
//	accessTokenId  the token's id
//	jti            unique per issuance
//
// Storage keeps only the SHA-256 of the payload as signed. Since the payload
// carries a unique jti and only tokend's key signs it, the hash pins a row
// to exactly one issued JWT; and since a validator sees the verified payload
// (not the compact token), it can check the hash on every use. A token whose
// row is gone (deleted, its account deleted) or holds another hash
// (replaced) is refused.

// Audience is the data plane's token audience.
const Audience = "https://playwright.microsoft.com"

// Claim names tokend adds to access tokens.
const (
	claimAccountID     = "accountId"
	claimAccessTokenID = "accessTokenId"
	claimAID           = "aid"
	claimPWID          = "pwid"
	claimResource      = tokend.ClaimResource
)

// accessTokenMarker is a byte string only an access token's payload holds:
// validators run on every token tokend checks, and this keeps the cost for
// all the other tokens to one scan of the payload.
var accessTokenMarker = []byte(`"` + claimAccessTokenID + `"`)

// mint signs an access token and returns it with the hash to store.
func (k *Tokens) mint(ctx context.Context, p *tokend.Principal, acct *tokend.PlaywrightAccount, tenantID, tokenID string, now, expiry time.Time) (string, []byte, error) {
	if k.signer == nil {
		return "", nil, errors.New("no token signer configured")
	}
	claims := map[string]any{
		"aud":              Audience,
		"iat":              now.Unix(),
		"nbf":              now.Unix(),
		"exp":              expiry.Unix(),
		"jti":              uuid.NewString(),
		"tid":              tenantID,
		claimResource:      acct.ResourceKey,
		claimAccountID:     acct.ID,
		claimAID:           acct.ID,
		claimPWID:          acct.ID,
		claimAccessTokenID: tokenID,
	}
	if p != nil {
		claims["oid"], claims["sub"] = p.ObjectID, p.ObjectID
		if p.ClientID != "" {
			claims["azp"], claims["appid"] = p.ClientID, p.ClientID
		}
		if p.TenantID != "" {
			claims["tid"] = p.TenantID
		}
	}
	jwt, err := k.signer.Sign(ctx, claims)
	if err != nil {
		return "", nil, fmt.Errorf("sign access token: %w", err)
	}
	payload, err := jwtPayload(jwt)
	if err != nil {
		return "", nil, fmt.Errorf("signed access token: %w", err)
	}
	sum := sha256.Sum256(payload)
	return jwt, sum[:], nil
}

// jwtPayload decodes the payload of a compact JWS.
func jwtPayload(jwt string) ([]byte, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return payload, nil
}

// accessTokenClaims are the claims ValidatePayload reads.
type accessTokenClaims struct {
	AccountID     string `json:"accountId"`
	AccessTokenID string `json:"accessTokenId"`
	Resource      string `json:"xms_tkd_res"`
}

// ValidatePayload is the issuer's validator for access tokens: given a
// verified token's payload (as signed), it refuses an access token of its
// kind (bound to a resource of TokenKind.ResourceType) whose row is gone
// or holds another token's hash, or that has expired by its row. Any other
// token passes untouched: another kind's tokens are its own validator's.
// Register it with the issuer so authentication and introspection agree
// with the data plane.
func (k *Tokens) ValidatePayload(ctx context.Context, payload []byte) error {
	if !bytes.Contains(payload, accessTokenMarker) {
		return nil
	}
	var c accessTokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return errInvalidAccessToken("its claims do not decode")
	}
	if c.AccessTokenID == "" && c.AccountID == "" {
		return nil
	}
	if c.AccessTokenID == "" || c.AccountID == "" || c.Resource == "" {
		return errInvalidAccessToken("it names no parent or no token")
	}
	if !k.owns(c.Resource) {
		return nil
	}
	tok, err := k.store.GetAccessToken(ctx, c.AccountID, c.AccessTokenID)
	if errors.Is(err, tokend.ErrNotFound) {
		return errInvalidAccessToken("it was deleted")
	}
	if err != nil {
		return fmt.Errorf("look up access token %s: %w", c.AccessTokenID, err)
	}
	sum := sha256.Sum256(payload)
	if subtle.ConstantTimeCompare(sum[:], tok.Hash) != 1 {
		return errInvalidAccessToken("it was replaced")
	}
	if !tok.Active(k.now()) {
		return errInvalidAccessToken("it has expired")
	}
	return nil
}

func errInvalidAccessToken(why string) *tokend.AuthenticationError {
	return &tokend.AuthenticationError{
		Code:      "InvalidAuthenticationToken",
		Message:   "The access token is not valid: " + why + ".",
		Challenge: `Bearer error="invalid_token", error_description="The access token is not valid"`,
	}
}

// owns reports whether a token bound to the resource key is of this kind:
// the key's type, after its last "/providers/", is the kind's type.
func (k *Tokens) owns(resourceKey string) bool {
	i := strings.LastIndex(resourceKey, "/providers/")
	if i < 0 {
		return false
	}
	rest := resourceKey[i+len("/providers/"):]
	// namespace/type/name: the type is the first two segments.
	parts := strings.SplitN(rest, "/", 4)
	return len(parts) >= 3 && strings.EqualFold(parts[0]+"/"+parts[1], k.kind.ResourceType)
}
