package identity

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// verifier checks tokend-signed and trusted external tokens: everything but
// the audience, which depends on the surface and is the caller's to check.
type verifier struct {
	keys       *keyRing
	tenants    *tenants
	external   map[string]*externalIssuer // by exact iss
	cache      *tokenCache
	deny       *denyList
	validators *validators
	skew       time.Duration
	now        func() time.Time
	// publicURL, when configured, is the only base our issuers may have.
	publicURL string
	// basePath is the path of the public URL ("" at a host root), which
	// every issuer of ours starts with.
	basePath string
}

// verify returns a token's claims when its signature, issuer, times,
// revocation status and every validator accept it. The claims are shared
// with the cache: callers must not modify them.
func (v *verifier) verify(ctx context.Context, token string) (*Claims, error) {
	key := cacheKey(token)
	now := v.now().Unix()
	c := v.cache.get(key)
	if c == nil {
		var err error
		if c, err = v.verifySigned(ctx, token); err != nil {
			return nil, err
		}
		if err := v.checkTimes(c, now); err != nil {
			return nil, err
		}
		v.cache.put(key, c, now)
	} else if err := v.checkTimes(c, now); err != nil {
		return nil, err
	}
	if v.deny.contains(c.ID) {
		return nil, invalidToken("The access token has been revoked.")
	}
	if err := v.validators.run(ctx, c); err != nil {
		return nil, invalidToken("The access token is no longer valid: %s", sanitizeMessage(err.Error()))
	}
	return c, nil
}

func (v *verifier) checkTimes(c *Claims, now int64) error {
	skew := int64(v.skew / time.Second)
	if c.ExpiresAt == 0 {
		return invalidToken("The access token is invalid: it has no expiry.")
	}
	if now > c.ExpiresAt+skew {
		return &tokenError{code: "ExpiredAuthenticationToken", message: "The access token expiry UTC time '" +
			time.Unix(c.ExpiresAt, 0).UTC().Format(time.RFC3339) + "' is earlier than current UTC time '" +
			time.Unix(now, 0).UTC().Format(time.RFC3339) + "'."}
	}
	if c.NotBefore != 0 && now+skew < c.NotBefore {
		return invalidToken("The access token is not yet valid: its validity starts at '%s'.",
			time.Unix(c.NotBefore, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// verifySigned parses the token and checks its signature with the key its
// kid names, under the algorithm of that key. The (unverified) iss only
// chooses whose keys to look in: tokend's own or one trusted issuer's, so a
// token can never be checked against a key its claimed issuer does not own.
func (v *verifier) verifySigned(ctx context.Context, token string) (*Claims, error) {
	p, err := parseJWS(token)
	if err != nil {
		return nil, err
	}
	c := &Claims{}
	if err := json.Unmarshal(p.payload, c); err != nil {
		return nil, errMalformed
	}
	c.Raw, c.KeyID = p.payload, p.kid
	if ext := v.external[c.Issuer]; ext != nil {
		k, err := ext.key(ctx, p.kid)
		if err != nil {
			return nil, invalidToken("The access token was signed by a key its issuer does not publish.")
		}
		if p.alg != k.alg {
			return nil, invalidToken("The access token's algorithm does not match its signing key.")
		}
		if verifySignature(k.alg, k.pub, []byte(p.signingInput), p.signature) != nil {
			return nil, invalidToken("The access token signature is invalid.")
		}
		c.External = true
		return c, nil
	}
	k := v.keys.lookup(ctx, p.kid)
	if k == nil {
		return nil, invalidToken("The access token was signed by an unknown key.")
	}
	if p.alg != k.alg {
		return nil, invalidToken("The access token's algorithm does not match its signing key.")
	}
	if verifySignature(k.alg, k.pub, []byte(p.signingInput), p.signature) != nil {
		return nil, invalidToken("The access token signature is invalid.")
	}
	if !v.isOurIssuer(ctx, c.Issuer) {
		return nil, invalidToken("The access token is from an issuer that is not trusted: '%s'.", sanitize(c.Issuer))
	}
	return c, nil
}

// isOurIssuer accepts {any host}{base path}/{tenant}/v2.0 for a tenant of
// ours. The host is not checked: tokend answers under several names
// (localhost, 127.0.0.1, a public URL) and our signature is what proves a
// token came from us. With a public URL configured, that is the only base
// accepted. The token's tid need not be the issuer's tenant: a
// provider token minted for a caller from a trusted external issuer carries
// the caller's tid.
func (v *verifier) isOurIssuer(ctx context.Context, iss string) bool {
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		return false
	}
	if v.publicURL != "" && !strings.HasPrefix(iss, v.publicURL+"/") {
		return false
	}
	rest, ok := strings.CutSuffix(u.Path, "/v2.0")
	if !ok || !strings.HasPrefix(rest, v.basePath+"/") {
		return false
	}
	tenant := rest[len(v.basePath)+1:]
	id, known := v.tenants.resolve(ctx, tenant)
	return known && id == strings.ToLower(tenant)
}

// sanitizeMessage keeps a validator's message printable and short.
func sanitizeMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
