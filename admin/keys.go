package admin

import (
	"context"
	"fmt"
	"net/http"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const keysPath = "/keys"

// The API's key operations are the CLI's (list, rotate, revoke). A
// rotation without immediate is the pre-publication: the new key is in
// the JWKS at once and signs after the pre-publish window.
func (s *Service) keyRoutes() []pipeline.Route {
	return []pipeline.Route{
		route(http.MethodGet, keysPath, ActionKeysRead, s.listKeys),
		route(http.MethodPost, keysPath+"/rotate", ActionKeysWrite, s.rotateKey),
		route(http.MethodPost, keysPath+"/{kid}/revoke", ActionKeysWrite, s.revokeKey),
	}
}

func (s *Service) listKeys(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	keys, err := s.cfg.Keys.List(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	// Oldest first, as `tokend keys list`; the kid breaks ties.
	order := func(k *tokend.SigningKey) string {
		return k.CreatedAt.UTC().Format("20060102T150405.000000000") + "|" + k.ID
	}
	return pageByKey(r, "keys", keys, order, func(k *tokend.SigningKey) SigningKeyView { return ToSigningKeyView(k, now) })
}

// rotateBody: immediate signs with the new key at once (after a suspected
// compromise; revoke the old one too); algorithm is the new key's (ES256,
// RS256 or EdDSA; default: the signing key's).
type rotateBody struct {
	Immediate bool   `json:"immediate"`
	Algorithm string `json:"algorithm"`
}

func (s *Service) rotateKey(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	var b rotateBody
	if len(r.Body) > 0 {
		if err := r.Decode(&b); err != nil {
			return nil, err
		}
	}
	if b.Algorithm != "" && !identity.ValidSigningAlg(b.Algorithm) {
		return nil, wire.BadRequest("InvalidAlgorithm", "algorithm", "algorithm must be ES256, RS256 or EdDSA.")
	}
	km, err := s.keyManager(ctx, b.Algorithm)
	if err != nil {
		return nil, err
	}
	k, err := km.Rotate(ctx, b.Immediate)
	if err != nil {
		return nil, err
	}
	s.keysChanged(ctx)
	return wire.JSON(http.StatusOK, ToSigningKeyView(k, s.cfg.Now())), nil
}

// keyManager is the deployment's key manager, for keys of alg ("": the
// algorithm of the key signing now, so a rotation changes it only when
// asked).
func (s *Service) keyManager(ctx context.Context, alg string) (*identity.KeyManager, error) {
	if alg == "" {
		keys, err := s.cfg.Keys.List(ctx)
		if err != nil {
			return nil, err
		}
		alg = identity.ActiveAlgorithm(keys, s.cfg.Now())
	}
	policy := s.cfg.Keys.Policy()
	if policy.Algorithm == alg {
		return s.cfg.Keys, nil
	}
	policy.Algorithm = alg
	km, err := identity.NewKeyManager(s.cfg.Store, s.cfg.Box, policy, s.cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("key manager for %s: %w", alg, err)
	}
	return km, nil
}

// revokeKey withdraws a key at once and answers the key that signs now.
func (s *Service) revokeKey(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	kid := r.Param("kid")
	if !wire.SQLText(kid) {
		return nil, wire.BadRequest("InvalidKeyId", "kid", "The key id is not valid text.")
	}
	km, err := s.keyManager(ctx, "")
	if err != nil {
		return nil, err
	}
	k, err := km.Revoke(ctx, kid)
	if isNotFound(err) {
		return nil, notFoundIn("SigningKeyNotFound", "Signing key", kid)
	}
	if err != nil {
		return nil, err
	}
	s.keysChanged(ctx)
	return wire.JSON(http.StatusOK, ToSigningKeyView(k, s.cfg.Now())), nil
}

// keysChanged lets this node's issuer reload its key set now; when it
// cannot, its regular sync does within a second, so the change stands.
func (s *Service) keysChanged(ctx context.Context) {
	if s.cfg.KeysChanged == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = s.cfg.KeysChanged(ctx)
}
