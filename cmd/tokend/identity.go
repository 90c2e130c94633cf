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
}

func addIdentityFlags(fl *pflag.FlagSet, f *identityFlags) {
	fl.StringVar(&f.signingAlg, "signing-alg", identity.AlgES256, "algorithm of new signing keys: ES256, RS256 or EdDSA [TOKEND_SIGNING_ALG]")
	fl.DurationVar(&f.tokenLifetime, "token-lifetime", time.Hour, "lifetime of issued access tokens [TOKEND_TOKEN_LIFETIME]")
	fl.DurationVar(&f.keyRotation, "key-rotation", 30*24*time.Hour, "how long a signing key signs before its successor takes over [TOKEND_KEY_ROTATION]")
	fl.DurationVar(&f.keyPrePublish, "key-pre-publish", time.Hour, "how long a new key is published in the JWKS before it signs (at most a quarter of --key-rotation) [TOKEND_KEY_PRE_PUBLISH]")
	fl.StringSliceVar(&f.trustIssuers, "trust-issuer", nil, "accept bearer tokens from this external OIDC issuer (exact iss; keys through its discovery document); repeatable [TOKEND_TRUST_ISSUER]")
	fl.StringSliceVar(&f.trustAudiences, "trust-audience", nil, "extra audience accepted on the management surface from trusted issuers; repeatable [TOKEND_TRUST_AUDIENCE]")
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
	return identity.Config{
		SigningAlg: f.signingAlg, TokenLifetime: f.tokenLifetime,
		KeyRotation: f.keyRotation, KeyPrePublish: f.keyPrePublish, TrustedIssuers: trusted,
	}, nil
}
