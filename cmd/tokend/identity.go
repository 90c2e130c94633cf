package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/tokend-dev/tokend/identity"
)

// identityFlags configure the issuer (serve).
type identityFlags struct {
	signingAlg     string
	tokenLifetime  time.Duration
	keyRotation    time.Duration
	keyPrePublish  time.Duration
	trustIssuers   []string
	trustAudiences []string
	// Refresh tokens of user sign-ins.
	refreshLifetime    time.Duration
	refreshMaxLifetime time.Duration
	refreshReuseGrace  time.Duration
}

func addIdentityFlags(fl *pflag.FlagSet, f *identityFlags) {
	fl.StringVar(&f.signingAlg, "signing-alg", identity.AlgES256, "algorithm of new signing keys: ES256, RS256 or EdDSA [TOKEND_SIGNING_ALG]")
	fl.DurationVar(&f.tokenLifetime, "token-lifetime", time.Hour, "lifetime of issued access tokens [TOKEND_TOKEN_LIFETIME]")
	fl.DurationVar(&f.keyRotation, "key-rotation", 30*24*time.Hour, "how long a signing key signs before its successor takes over [TOKEND_KEY_ROTATION]")
	fl.DurationVar(&f.keyPrePublish, "key-pre-publish", time.Hour, "how long a new key is published in the JWKS before it signs (at most a quarter of --key-rotation) [TOKEND_KEY_PRE_PUBLISH]")
	fl.StringSliceVar(&f.trustIssuers, "trust-issuer", nil, "accept bearer tokens from this external OIDC issuer (exact iss; keys through its discovery document); repeatable [TOKEND_TRUST_ISSUER]")
	fl.StringSliceVar(&f.trustAudiences, "trust-audience", nil, "extra audience accepted on the management surface from trusted issuers; repeatable [TOKEND_TRUST_AUDIENCE]")
	fl.DurationVar(&f.refreshLifetime, "refresh-token-lifetime", 90*24*time.Hour, "how long a user's refresh token stays good unused; each use issues a fresh one (sliding) [TOKEND_REFRESH_TOKEN_LIFETIME]")
	fl.DurationVar(&f.refreshMaxLifetime, "refresh-token-max-lifetime", 365*24*time.Hour, "absolute lifetime of a sign-in's refresh tokens, however often used [TOKEND_REFRESH_TOKEN_MAX_LIFETIME]")
	fl.DurationVar(&f.refreshReuseGrace, "refresh-reuse-grace", 5*time.Second, "how long after its first use a refresh token is still accepted (retries, concurrent refreshes) before a reuse revokes its sign-in [TOKEND_REFRESH_REUSE_GRACE]")
}

// config is the issuer's configuration from the flags.
func (f *identityFlags) config() (identity.Config, error) {
	if !identity.ValidSigningAlg(f.signingAlg) {
		return identity.Config{}, fmt.Errorf("--signing-alg %q: want ES256, RS256 or EdDSA", f.signingAlg)
	}
	var trusted []identity.TrustedIssuer
	for _, iss := range f.trustIssuers {
		if !strings.HasPrefix(iss, "https://") && !strings.HasPrefix(iss, "http://127.0.0.1") && !strings.HasPrefix(iss, "http://localhost") {
			return identity.Config{}, fmt.Errorf("--trust-issuer %q: an issuer must be https (http only on loopback)", iss)
		}
		trusted = append(trusted, identity.TrustedIssuer{Issuer: iss, Audiences: f.trustAudiences})
	}
	if len(f.trustAudiences) > 0 && len(trusted) == 0 {
		return identity.Config{}, fmt.Errorf("--trust-audience needs --trust-issuer")
	}
	switch {
	case f.refreshLifetime <= 0 || f.refreshMaxLifetime <= 0:
		return identity.Config{}, fmt.Errorf("--refresh-token-lifetime and --refresh-token-max-lifetime must be positive")
	case f.refreshLifetime > f.refreshMaxLifetime:
		return identity.Config{}, fmt.Errorf("--refresh-token-lifetime %s is longer than --refresh-token-max-lifetime %s", f.refreshLifetime, f.refreshMaxLifetime)
	case f.refreshReuseGrace < 0 || f.refreshReuseGrace > time.Minute:
		return identity.Config{}, fmt.Errorf("--refresh-reuse-grace %s: want 0 to 1m (0: no grace, every reuse revokes)", f.refreshReuseGrace)
	}
	grace := f.refreshReuseGrace
	if grace == 0 {
		grace = -1 // identity.Config: negative is none, zero the default
	}
	return identity.Config{
		SigningAlg: f.signingAlg, TokenLifetime: f.tokenLifetime,
		KeyRotation: f.keyRotation, KeyPrePublish: f.keyPrePublish, TrustedIssuers: trusted,
		RefreshTokenLifetime: f.refreshLifetime, RefreshTokenMaxLifetime: f.refreshMaxLifetime, RefreshReuseGrace: grace,
	}, nil
}
