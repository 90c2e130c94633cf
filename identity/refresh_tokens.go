package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// A refresh token is opaque to its holder, as Entra's are: the claims
// below, sealed (AES-256-GCM under the key-encryption key) and base64url
// encoded after refreshTokenPrefix. Storage holds only the family's
// state, so a refresh is one conditional UPDATE; the token cannot be read
// or altered without the key, and a copy of the database alone cannot mint
// one.
const (
	refreshTokenPrefix = "1.tkd."
	refreshTokenAAD    = "tokend refresh token v1"
	// maxRefreshTokenLen bounds what is decoded from a request.
	maxRefreshTokenLen = 4096
)

// refreshTokenClaims are a refresh token's contents.
type refreshTokenClaims struct {
	Family string `json:"f"`
	Gen    int64  `json:"g"`
	Tenant string `json:"t"`
	Client string `json:"c"`
	User   string `json:"u"`
	Scope  string `json:"s"`
	// UPN and Name are the user's, for the tokens a refresh issues: a
	// family's row exists only while its user does (its delete cascades),
	// so a refresh that moved the family on needs no read of the user,
	// and names do not change.
	UPN      string   `json:"n,omitempty"`
	Name     string   `json:"d,omitempty"`
	AuthTime int64    `json:"a"`
	Amr      []string `json:"m,omitempty"`
	// Exp is this token's end (the sliding lifetime from its issue, never
	// past the family's); FamilyExp the family's absolute end.
	Exp       int64 `json:"x"`
	FamilyExp int64 `json:"fx"`
}

func (s *Service) sealRefreshToken(c *refreshTokenClaims) (string, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode refresh token: %w", err)
	}
	return refreshTokenPrefix + base64.RawURLEncoding.EncodeToString(s.cfg.Box.Seal(plain, []byte(refreshTokenAAD))), nil
}

// openRefreshToken reads a refresh token; an error for anything that is
// not one tokend sealed.
func (s *Service) openRefreshToken(token string) (*refreshTokenClaims, error) {
	rest, ok := strings.CutPrefix(token, refreshTokenPrefix)
	if !ok || len(token) > maxRefreshTokenLen {
		return nil, errors.New("not a tokend refresh token")
	}
	sealed, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("not a tokend refresh token")
	}
	plain, err := s.cfg.Box.Open(sealed, []byte(refreshTokenAAD))
	if err != nil {
		return nil, errors.New("the refresh token was not issued by this deployment or was altered")
	}
	var c refreshTokenClaims
	if err := json.Unmarshal(plain, &c); err != nil || c.Family == "" || c.Client == "" || c.User == "" {
		return nil, errors.New("the refresh token is malformed")
	}
	return &c, nil
}

// isRefreshToken tells a refresh token from a JWT by its shape.
func isRefreshToken(token string) bool { return strings.HasPrefix(token, refreshTokenPrefix) }

// nextRefreshToken seals the refresh token of a user grant: the next
// generation of req.family (whose rotation, or start, the caller has
// made), or the first of a new family, stored here.
func (s *Service) nextRefreshToken(ctx context.Context, req *userTokenRequest, now time.Time) (string, string, error) {
	var c refreshTokenClaims
	if req.family != nil {
		c = *req.family
	} else {
		f := s.newRefreshFamily(req, newFamilyID(), now)
		if err := s.startRefreshFamily(ctx, f, now); err != nil {
			return "", "", err
		}
		c = *firstRefreshClaims(f, req)
	}
	c.Scope = req.scopes.requested
	c.UPN, c.Name = req.user.UserPrincipalName, req.user.DisplayName
	c.Exp = min(now.Add(s.cfg.RefreshTokenLifetime).Unix(), c.FamilyExp)
	tok, err := s.sealRefreshToken(&c)
	return tok, c.Family, err
}

// newRefreshFamily is the state of the family id that a user grant starts
// at now.
func (s *Service) newRefreshFamily(req *userTokenRequest, id string, now time.Time) *tokend.RefreshFamily {
	return &tokend.RefreshFamily{
		ID: id, TenantID: req.tenantID, ClientID: req.client.ID, UserObjectID: req.user.ObjectID,
		RotatedAt: now.UTC(), CreatedAt: now.UTC(), ExpiresAt: now.Add(s.cfg.RefreshTokenMaxLifetime).UTC(),
	}
}

// firstRefreshClaims are the claims of family f's first token (generation
// 0); nextRefreshToken adds the scope, names and end.
func firstRefreshClaims(f *tokend.RefreshFamily, req *userTokenRequest) *refreshTokenClaims {
	var authTime int64
	if !req.authTime.IsZero() {
		authTime = req.authTime.Unix()
	}
	return &refreshTokenClaims{
		Family: f.ID, Tenant: req.tenantID, Client: req.client.ID, User: req.user.ObjectID,
		AuthTime: authTime, Amr: req.amr, FamilyExp: f.ExpiresAt.Unix(),
	}
}

// startRefreshFamily stores f with the families the concurrent sign-ins
// start (one INSERT per batch): tokend.ErrAlreadyExists when a family of
// its id exists, tokend.ErrNotFound when its user does not.
func (s *Service) startRefreshFamily(ctx context.Context, f *tokend.RefreshFamily, now time.Time) error {
	rec, err := s.families.submit(ctx, tokend.RefreshFamilyCreation{Family: *f}, now)
	if err == nil {
		err = rec.Err
	}
	if err != nil {
		return fmt.Errorf("start refresh token family %s: %w", f.ID, err)
	}
	return nil
}

// redeemRefreshToken checks a presented refresh token for client and
// moves its family on: the claims to continue the family with (at the new
// generation), or the refusal. A token used before is accepted again only
// within the reuse grace after its first use (a retried or concurrent
// refresh); later, its reuse is taken for theft and revokes the family.
func (s *Service) redeemRefreshToken(ctx context.Context, token, tenantID string, client *tokend.Client) (*refreshTokenClaims, *grantError) {
	c, err := s.openRefreshToken(token)
	if err != nil {
		return nil, invalidGrant(9002313, "Invalid request. Request is malformed or invalid: %s.", err.Error())
	}
	if !strings.EqualFold(c.Client, client.ID) {
		return nil, invalidGrant(70000, "The provided refresh token was issued to another application than '%s'.", client.ID)
	}
	if !strings.EqualFold(c.Tenant, tenantID) {
		return nil, invalidGrant(70000, "The provided refresh token was issued in another tenant than '%s'.", tenantID)
	}
	now := s.cfg.Now()
	if now.Unix() >= c.Exp {
		return nil, invalidGrant(700082, "The refresh token has expired due to inactivity. The token was issued on %s and was inactive for %s.",
			time.Unix(c.Exp, 0).Add(-s.cfg.RefreshTokenLifetime).UTC().Format(time.RFC3339), s.cfg.RefreshTokenLifetime)
	}
	rot, err := s.rotations.submit(ctx, tokend.RefreshRotation{FamilyID: c.Family, Generation: c.Gen}, now)
	if err != nil {
		return nil, unavailableGrant(err)
	}
	if rot.Rotated {
		next := *c
		next.Gen++
		return &next, nil
	}
	f, err := s.cfg.Store.GetRefreshFamily(ctx, c.Family)
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		return nil, invalidGrant(50173, "The provided grant has been revoked: the user or the session no longer exists.")
	case err != nil:
		return nil, unavailableGrant(err)
	case f.Revoked:
		return nil, invalidGrant(50173, "The provided grant has expired due to it being revoked; a fresh sign-in is required.")
	case !now.Before(f.ExpiresAt):
		return nil, invalidGrant(700084, "The refresh token has reached its maximum lifetime; a fresh sign-in is required.")
	case f.Generation == c.Gen+1 && now.Sub(f.RotatedAt) <= s.cfg.RefreshReuseGrace:
		// A retry or a concurrent use of the token just rotated: answer it
		// too, with a token of the current generation.
		next := *c
		next.Gen = f.Generation
		return &next, nil
	}
	if err := s.cfg.Store.RevokeRefreshFamily(ctx, c.Family); err != nil && !errors.Is(err, tokend.ErrNotFound) {
		return nil, unavailableGrant(err)
	}
	s.log.WarnContext(ctx, "refresh token reused after rotation; family revoked", "client_id", c.Client, "user", c.User)
	return nil, invalidGrant(50173, "The provided refresh token was already used; every token of its sign-in has been revoked. A fresh sign-in is required.")
}

// Refresh-token redemptions are written in batches: one UPDATE per batch
// rather than a statement, a savepoint and a share of the group commit
// per refresh, which were a quarter of a refresh's server CPU in a
// profile of the token-refresh bench scenario on SQLite.
const (
	maxRotationBatch = 256
	rotationLinger   = 500 * time.Microsecond
)

func newRotationLog(store tokend.Store) *batcher[tokend.RefreshRotation] {
	return newBatcher(maxRotationBatch, rotationLinger, store.RotateRefreshFamilies)
}

// New families are written in batches as well (one multi-row INSERT, one
// commit): an INSERT committed per sign-in was nearly all of the
// database's work per authorization-code exchange on PostgreSQL.
const (
	maxFamilyBatch = 256
	familyLinger   = 500 * time.Microsecond
)

func newFamilyLog(store tokend.Store) *batcher[tokend.RefreshFamilyCreation] {
	return newBatcher(maxFamilyBatch, familyLinger,
		func(ctx context.Context, _ time.Time, records []*tokend.RefreshFamilyCreation) error {
			return store.CreateRefreshFamilies(ctx, records)
		})
}

// unavailableGrant is storage trouble during a grant: 503, retry.
func unavailableGrant(err error) *grantError {
	e := newGrantError(http.StatusServiceUnavailable, "temporarily_unavailable", 0, "The request could not be completed; retry later.")
	e.cause = err
	return e
}
