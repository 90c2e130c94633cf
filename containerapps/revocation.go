package containerapps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// Reasons ValidateClaims refuses a container app token.
var (
	ErrAppDeleted   = errors.New("the container app this token was issued for no longer exists")
	ErrAppRecreated = errors.New("the container app this token was issued for was deleted and created again; the token belongs to the earlier one")
	ErrBadAppClaims = errors.New("the token's container app claims are malformed")
)

var uidClaim = []byte(`"` + ClaimAppUID + `"`)

// ValidateClaims is the issuer's validator for container app tokens: given
// a verified JWT payload, it refuses a token whose app no longer exists or
// is a later incarnation than the one it was issued for. Deleting an app
// (or its resource group) thereby revokes its outstanding tokens, on every
// node, with no revocation list. Tokens that are not container app tokens
// pass untouched, after a byte scan.
func (s *Service) ValidateClaims(ctx context.Context, payload []byte) error {
	return CheckBinding(ctx, s.store, payload)
}

// CheckBinding is ValidateClaims over any store, for tools that verify
// tokens offline (tokend verify).
func CheckBinding(ctx context.Context, store tokend.ResourceStore, payload []byte) error {
	if !bytes.Contains(payload, uidClaim) {
		return nil
	}
	var c struct {
		App string `json:"xms_tkd_app"`
		UID string `json:"xms_tkd_uid"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.App == "" || c.UID == "" {
		return ErrBadAppClaims
	}
	res, err := store.GetResource(ctx, strings.ToLower(c.App))
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		return ErrAppDeleted
	case err != nil:
		return fmt.Errorf("look up container app %s: %w", c.App, err)
	case res.Type != typeKey:
		return ErrBadAppClaims
	case res.UID != c.UID:
		return ErrAppRecreated
	}
	return nil
}
