package identity

import (
	"context"
	"errors"
	"sync/atomic"

	tokend "github.com/tokend-dev/tokend"
)

// ClaimsSigner signs tokens for providers (the Signer each declares): it sets
// the issuer (tokend's, for the claims' tenant when that is one of ours,
// else the default tenant) and fills jti and iat when missing; the caller's
// claims are the rest of the payload and must include exp.
type ClaimsSigner struct{ s *Service }

// ClaimsSigner returns the signer providers are configured with.
func (s *Service) ClaimsSigner() ClaimsSigner { return ClaimsSigner{s} }

// Sign signs claims with the current key.
func (cs ClaimsSigner) Sign(ctx context.Context, claims map[string]any) (string, error) {
	if claims == nil {
		return "", errors.New("no claims to sign")
	}
	s := cs.s
	tenant := s.cfg.DefaultTenantID
	if tid, ok := claims["tid"].(string); ok && tid != "" {
		if id, known := s.tenants.resolve(ctx, tid); known {
			tenant = id
		}
	}
	out := make(map[string]any, len(claims)+3)
	for k, v := range claims {
		out[k] = v
	}
	out["iss"] = IssuerURL(s.BaseURL(), tenant)
	if _, ok := out["jti"]; !ok {
		out["jti"] = newTokenID()
	}
	if _, ok := out["iat"]; !ok {
		out["iat"] = s.cfg.Now().Unix()
	}
	return s.Sign(ctx, out)
}

// AddPayloadValidator registers a provider's validator, which reads the
// raw payload (pipeline.Provider.TokenValidators).
func (s *Service) AddPayloadValidator(f tokend.TokenValidator) {
	s.AddValidator(func(ctx context.Context, c *Claims) error { return f(ctx, c.Raw) })
}

// baseURL of tokens minted outside a request: the public URL, else the URL
// the server bound (SetBaseURL), else https://localhost.
type baseURLHolder struct{ v atomic.Pointer[string] }

// SetBaseURL records where this node listens, for issuers of tokens minted
// outside an identity request (provider tokens). The public URL wins.
func (s *Service) SetBaseURL(url string) { s.listenURL.v.Store(&url) }

// BaseURL is the base of issuer URLs for tokens minted outside a request.
func (s *Service) BaseURL() string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	if p := s.listenURL.v.Load(); p != nil && *p != "" {
		return *p
	}
	return "https://localhost"
}
