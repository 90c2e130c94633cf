package identity

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// maxAssertionLifetime bounds how far in the future a certificate
// assertion may expire: MSAL makes ten-minute assertions, and a replay
// cache entry lives as long as the assertion does.
const maxAssertionLifetime = 24 * time.Hour

// Client authentication methods, as the appidacr/azpacr claims state them:
// "1" a client secret, "2" a certificate or another client assertion.
const (
	acrSecret    = "1"
	acrAssertion = "2"
)

// verifyClientAssertion authenticates a client with a client assertion: a
// JWT signed with one of the client's certificates (iss = sub = client id,
// aud = this token endpoint, a jti never seen before), or a token of an
// external issuer that one of the client's federated credentials trusts
// (issuer, subject and audience as registered, signed with the issuer's
// published key). It returns ErrClientNotFound (wrapped) for an unknown
// client, an *assertionError for a refused assertion, or another error.
func (s *Service) verifyClientAssertion(ctx context.Context, r *http.Request, tenantID, clientID, token string) (*tokend.Client, error) {
	a, err := parseAssertion(token)
	if err != nil {
		return nil, err
	}
	if clientID == "" {
		// RFC 7523 §3: the client may be named by the assertion alone.
		clientID = a.claims.Subject
	}
	client, err := s.Clients.lookup(ctx, tenantID, clientID)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if strings.EqualFold(a.claims.Issuer, client.ID) {
		return client, s.verifyCertificateAssertion(ctx, r, tenantID, client, a, now)
	}
	return client, s.verifyFederatedAssertion(ctx, client, a, now)
}

func (s *Service) verifyCertificateAssertion(ctx context.Context, r *http.Request, tenantID string, client *tokend.Client, a *assertion, now time.Time) error {
	if a.x5t == nil && a.x5tS256 == nil && a.thumbprintByKid == "" {
		return badAssertion(700027, "The client assertion names no certificate: set x5t (or x5t#S256) to the thumbprint of a certificate registered on application '%s'.", client.ID)
	}
	cert, err := s.registeredCertificate(ctx, client.ID, a, false)
	if err == nil && cert == nil {
		// Not among the cached ones: it may have been added a moment ago
		// on another node or by the CLI. (A removed one stops working when
		// the clients generation moves, within a second, as a reset secret
		// does.)
		cert, err = s.registeredCertificate(ctx, client.ID, a, true)
	}
	if err != nil {
		return err
	}
	if cert == nil {
		return badAssertion(700027, "The certificate with the identifier used to sign the client assertion is not registered on application '%s'.", client.ID)
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return badAssertion(700027, "The certificate used to sign the client assertion is not valid at this time (valid from %s to %s).",
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if err := verifySignature(a.alg, cert.PublicKey, []byte(a.signingInput), a.signature); err != nil {
		return badAssertion(700027, "The client assertion contains an invalid signature: it does not verify with the registered certificate under %s.", sanitize(a.alg))
	}
	if !strings.EqualFold(a.claims.Subject, client.ID) {
		return badAssertion(700021, "The client assertion's sub claim does not match its iss claim and the client_id '%s'.", client.ID)
	}
	if !s.isTokenEndpoint(r, tenantID, a.claims.Audience) {
		return badAssertion(700023, "The client assertion's audience '%s' is not this token endpoint.", sanitize(strings.Join(a.claims.Audience, ",")))
	}
	if err := s.checkAssertionTimes(a, now, true); err != nil {
		return err
	}
	if a.claims.ID == "" || len(a.claims.ID) > 256 {
		return badAssertion(50027, "The client assertion has no jti claim (or one longer than 256 characters); each assertion needs a unique jti.")
	}
	exp := time.Unix(int64(a.claims.ExpiresAt), 0).Add(s.cfg.Skew)
	if err := s.replays.record(ctx, client.ID+"/"+a.claims.ID, exp, now); err != nil {
		if errors.Is(err, tokend.ErrAlreadyExists) {
			return badAssertion(50013, "The client assertion with jti '%s' was already used; make a new assertion for each request.", sanitize(a.claims.ID))
		}
		return fmt.Errorf("record client assertion: %w", err)
	}
	return nil
}

func (s *Service) verifyFederatedAssertion(ctx context.Context, client *tokend.Client, a *assertion, now time.Time) error {
	creds, err := s.cfg.Store.ListFederatedCredentials(ctx, client.ID)
	if err != nil {
		return fmt.Errorf("list federated credentials of %s: %w", client.ID, err)
	}
	var byIssuer, bySubject []*tokend.FederatedCredential
	for _, fc := range creds {
		if fc.Issuer == a.claims.Issuer {
			byIssuer = append(byIssuer, fc)
			if fc.Subject == a.claims.Subject {
				bySubject = append(bySubject, fc)
			}
		}
	}
	switch {
	case len(byIssuer) == 0:
		return badAssertion(700211, "No matching federated identity record found for presented assertion issuer '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sanitize(a.claims.Issuer))
	case len(bySubject) == 0:
		return badAssertion(700213, "No matching federated identity record found for presented assertion subject '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sanitize(a.claims.Subject))
	}
	audienceOK := false
	for _, fc := range bySubject {
		for _, aud := range fc.Audiences {
			if a.claims.Audience.Contains(aud) {
				audienceOK = true
			}
		}
	}
	if !audienceOK {
		return badAssertion(700212, "No matching federated identity record found for presented assertion audience '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sanitize(strings.Join(a.claims.Audience, ",")))
	}
	if err := s.checkAssertionTimes(a, now, false); err != nil {
		return err
	}
	if !validKeyID(a.kid) {
		return badAssertion(50027, "The federated assertion names no signing key (kid).")
	}
	key, err := s.federation.issuer(a.claims.Issuer).key(ctx, a.kid)
	if err != nil {
		s.log.WarnContext(ctx, "federated issuer key", "issuer", sanitize(a.claims.Issuer), "err", err.Error())
		return badAssertion(50013, "The assertion's signing key '%s' could not be found at issuer '%s'.", a.kid, sanitize(a.claims.Issuer))
	}
	if key.alg != a.alg {
		return badAssertion(50013, "The assertion's algorithm %s is not its signing key's.", sanitize(a.alg))
	}
	if err := verifySignature(key.alg, key.pub, []byte(a.signingInput), a.signature); err != nil {
		return badAssertion(50013, "The assertion failed signature validation with issuer '%s''s key '%s'.", sanitize(a.claims.Issuer), a.kid)
	}
	return nil
}

// registeredCertificate is the client's certificate the assertion names,
// nil when none.
func (s *Service) registeredCertificate(ctx context.Context, clientID string, a *assertion, fresh bool) (*x509.Certificate, error) {
	certs, err := s.Clients.certificates(ctx, clientID, fresh)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		if a.names(c) {
			return c, nil
		}
	}
	return nil, nil
}

// checkAssertionTimes applies exp and nbf with the configured skew; a
// certificate assertion must also expire within maxAssertionLifetime.
func (s *Service) checkAssertionTimes(a *assertion, now time.Time, bounded bool) error {
	skew := int64(s.cfg.Skew / time.Second)
	t := now.Unix()
	exp, nbf := int64(a.claims.ExpiresAt), int64(a.claims.NotBefore)
	switch {
	case exp == 0:
		return badAssertion(700024, "The client assertion has no exp claim.")
	case t >= exp+skew:
		return badAssertion(700024, "The client assertion is not within its valid time range: it expired at %s.", time.Unix(exp, 0).UTC().Format(time.RFC3339))
	case nbf != 0 && t+skew < nbf:
		return badAssertion(700024, "The client assertion is not within its valid time range: it is valid from %s.", time.Unix(nbf, 0).UTC().Format(time.RFC3339))
	case bounded && exp > t+int64(maxAssertionLifetime/time.Second):
		return badAssertion(700024, "The client assertion is valid for too long: it must expire within %s.", maxAssertionLifetime)
	}
	return nil
}

// isTokenEndpoint reports whether one of aud is this token endpoint, v2 or
// v1, at any tenant segment that names tenantID, on the host the client
// used or the public URL.
func (s *Service) isTokenEndpoint(r *http.Request, tenantID string, aud Audience) bool {
	base := strings.ToLower(strings.TrimRight(s.baseURL(r), "/")) + "/"
	for _, a := range aud {
		rest, ok := strings.CutPrefix(strings.ToLower(a), base)
		if !ok {
			continue
		}
		seg, endpoint, _ := strings.Cut(strings.TrimRight(rest, "/"), "/")
		if endpoint != "oauth2/v2.0/token" && endpoint != "oauth2/token" {
			continue
		}
		if id, ok := s.tenants.resolve(r.Context(), seg); ok && id == tenantID {
			return true
		}
	}
	return false
}
