package identity

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Sign signs arbitrary claims (any JSON object with an exp) with the
// current key, for providers minting their own tokens (tokens bound to
// one resource, with an audience of its own). The claims should
// carry iss = IssuerURL(base, tenant) so Verify and the bearer check accept
// them, and a jti so they can be revoked. A token that outlives the key's
// usual publication window keeps the key published until it expires.
func (s *Service) Sign(ctx context.Context, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	var std struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &std); err != nil {
		return "", fmt.Errorf("claims must be a JSON object with a numeric exp: %w", err)
	}
	if std.Exp == 0 {
		return "", errors.New("claims must carry exp: tokend does not sign tokens that never expire")
	}
	return s.signPayload(ctx, payload, time.Unix(std.Exp, 0))
}

// Verify checks a token signed by tokend (or a trusted issuer): signature,
// issuer, exp/nbf, revocation and validators; not the audience, which the
// caller compares with what it expects. The returned claims are shared:
// do not modify them. Raw holds the full payload for provider claims.
func (s *Service) Verify(ctx context.Context, token string) (*Claims, error) {
	return s.verifier.verify(ctx, token)
}

// Revoke revokes a token by id until exp, on every node: here at once,
// elsewhere within a second.
func (s *Service) Revoke(ctx context.Context, jti string, exp time.Time) error {
	if jti == "" {
		return errors.New("a token without jti cannot be revoked")
	}
	return s.deny.revoke(ctx, jti, exp)
}

func (s *Service) signPayload(ctx context.Context, payload []byte, exp time.Time) (string, error) {
	now := s.cfg.Now()
	k := s.keys.current(now)
	if k == nil {
		// No key active in memory (a rotation came due between refreshes,
		// or the cluster was down): decide now rather than fail.
		if err := s.RefreshKeys(ctx); err != nil {
			return "", fmt.Errorf("no signing key: %w", err)
		}
		if k = s.keys.current(now); k == nil {
			return "", errors.New("no active signing key")
		}
	}
	if needed := exp.Add(s.cfg.Skew); needed.After(k.stored.ExpireAt) {
		if err := s.Keys.ExtendExpiry(ctx, k.id, needed); err != nil {
			return "", err
		}
		if err := s.keys.reload(ctx); err != nil {
			return "", err
		}
	}
	return encodeJWT(k, payload)
}

// accessTokenClaims is an Entra v2 app-only access token.
type accessTokenClaims struct {
	Aud    string `json:"aud"`
	Iss    string `json:"iss"`
	Iat    int64  `json:"iat"`
	Nbf    int64  `json:"nbf"`
	Exp    int64  `json:"exp"`
	Azp    string `json:"azp"`
	Azpacr string `json:"azpacr"`
	Appid  string `json:"appid"`
	// Appidacr is v1's azpacr: how the client authenticated ("1" secret,
	// "2" certificate or client assertion), as Entra sets both.
	Appidacr string   `json:"appidacr"`
	Idtyp    string   `json:"idtyp"`
	Oid      string   `json:"oid"`
	Roles    []string `json:"roles,omitempty"`
	Sub      string   `json:"sub"`
	Tid      string   `json:"tid"`
	// Jti identifies the token for revocation (RFC 7009) and introspection
	// and is what generic JWT libraries read; Uti is Entra's name for the
	// same id, carried for clients that log it. Entra sends only uti;
	// tokend keeps both, since its revocation list is keyed by jti.
	Jti string `json:"jti"`
	Uti string `json:"uti"`
	Ver string `json:"ver"`
}

// issuedToken is an access token and when it expires.
type issuedToken struct {
	token    string
	id       string // the jti, for the audit log (hashed there)
	expires  time.Duration
	issuedAt time.Time
}

// issueAccessToken mints the client-credentials token for client at aud.
func (s *Service) issueAccessToken(ctx context.Context, base, tenantID, clientID, objectID, aud, acr string) (*issuedToken, error) {
	now := s.cfg.Now()
	exp := now.Add(s.cfg.TokenLifetime)
	id := newTokenID()
	payload, err := json.Marshal(&accessTokenClaims{
		Jti: id, Uti: id,
		Aud: aud, Iss: IssuerURL(base, tenantID),
		Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(),
		Azp: clientID, Azpacr: acr, Appid: clientID, Appidacr: acr, Idtyp: "app",
		Oid: objectID, Sub: objectID, Tid: tenantID, Ver: "2.0",
	})
	if err != nil {
		return nil, fmt.Errorf("encode access token: %w", err)
	}
	tok, err := s.signPayload(ctx, payload, exp)
	if err != nil {
		return nil, err
	}
	return &issuedToken{token: tok, id: id, expires: s.cfg.TokenLifetime, issuedAt: now}, nil
}

// newTokenID is a jti: 128 random bits, base64url (Entra's uti is the same
// size).
func newTokenID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	return b64.EncodeToString(b[:])
}
