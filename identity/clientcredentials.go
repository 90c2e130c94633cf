package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// ErrInvalidCredential is a certificate, federated credential or
// identifier URI refused at registration; the message says why.
var ErrInvalidCredential = errors.New("invalid credential")

// FieldError is a value refused when something is registered or set:
// which one (Field, as the management API names it), why (Reason), and
// the sentinel it matches (Kind: ErrInvalidCredential, ErrInvalidUser,
// ErrWeakPassword).
type FieldError struct {
	Kind   error
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Kind.Error() + ": " + e.Reason }

// Is makes a FieldError match its Kind.
func (e *FieldError) Is(target error) bool { return target == e.Kind }

func invalidCredential(field, format string, args ...any) error {
	return &FieldError{Kind: ErrInvalidCredential, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// DefaultFederationAudience is the audience Entra's federated identity
// credentials expect by default.
const DefaultFederationAudience = "api://AzureADTokenExchange"

// federatedNamePattern is Entra's rule for a federated credential's name.
var federatedNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$`)

// AddCertificate registers the first certificate in pemBytes for a
// client's assertions. A certificate that is expired or not yet valid, or
// whose key tokend cannot verify with (RSA of at least 2048 bits, ECDSA
// P-256), is refused with the reason.
func (c *Clients) AddCertificate(ctx context.Context, clientID string, pemBytes []byte) (*tokend.ClientCertificate, error) {
	var block *pem.Block
	rest := pemBytes
	for {
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, invalidCredential("certificate", "no PEM CERTIFICATE block found (give the certificate, not only its key)")
		}
		if block.Type == "CERTIFICATE" {
			break
		}
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, invalidCredential("certificate", "the certificate does not parse: %v", err)
	}
	now := c.now()
	switch {
	case now.Before(cert.NotBefore):
		return nil, invalidCredential("certificate", "the certificate is not valid until %s", cert.NotBefore.UTC().Format(time.RFC3339))
	case now.After(cert.NotAfter):
		return nil, invalidCredential("certificate", "the certificate expired at %s", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, invalidCredential("certificate", "the certificate's RSA key has %d bits; at least 2048 are needed", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if !keyFitsAlg(k, AlgES256) && !keyFitsAlg(k, "ES384") {
			return nil, invalidCredential("certificate", "the certificate's ECDSA curve is not P-256 or P-384")
		}
	default:
		return nil, invalidCredential("certificate", "the certificate's key type %T cannot sign client assertions; use RSA or ECDSA", cert.PublicKey)
	}
	cl, err := c.Get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	sha1Hex, sha256Hex := Thumbprints(cert.Raw)
	cc := &tokend.ClientCertificate{
		ClientID: cl.ID, Thumbprint: sha1Hex, ThumbprintSHA256: sha256Hex, DER: cert.Raw,
		NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC(), CreatedAt: now.UTC(),
	}
	err = c.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.AddClientCertificate(ctx, cc); err != nil {
			return err // the store names the certificate and the client
		}
		return bumpClientsGeneration(ctx, q)
	})
	c.cache.invalidate()
	if err != nil {
		return nil, err
	}
	return cc, nil
}

// ListCertificates lists a client's certificates.
func (c *Clients) ListCertificates(ctx context.Context, clientID string) ([]*tokend.ClientCertificate, error) {
	cl, err := c.Get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	list, err := c.store.ListClientCertificates(ctx, cl.ID)
	if err != nil {
		return nil, fmt.Errorf("list certificates of client %s: %w", cl.ID, err)
	}
	return list, nil
}

// RemoveCertificate removes one by its SHA-1 thumbprint (hex).
func (c *Clients) RemoveCertificate(ctx context.Context, clientID, thumbprint string) error {
	err := c.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.DeleteClientCertificate(ctx, strings.ToLower(clientID), strings.ToUpper(strings.ReplaceAll(thumbprint, ":", ""))); err != nil {
			return err
		}
		return bumpClientsGeneration(ctx, q)
	})
	c.cache.invalidate()
	if err != nil {
		return fmt.Errorf("remove certificate %s of client %s: %w", thumbprint, clientID, err)
	}
	return nil
}

// certificates are a client's certificates, parsed, through the cache
// unless fresh is set (a certificate registered by another process a
// moment ago is then found before the clients generation moves).
func (c *Clients) certificates(ctx context.Context, clientID string, fresh bool) ([]*x509.Certificate, error) {
	certs, ok, epoch := c.cache.getCerts(clientID)
	if ok && !fresh {
		return certs, nil
	}
	stored, err := c.store.ListClientCertificates(ctx, clientID)
	if err != nil {
		return nil, fmt.Errorf("list certificates of %s: %w", clientID, err)
	}
	certs = make([]*x509.Certificate, 0, len(stored))
	for _, sc := range stored {
		parsed, err := x509.ParseCertificate(sc.DER)
		if err != nil {
			return nil, fmt.Errorf("stored certificate %s of %s: %w", sc.Thumbprint, clientID, err)
		}
		certs = append(certs, parsed)
	}
	c.cache.putCerts(clientID, certs, epoch)
	return certs, nil
}

// AddFederatedCredential trusts tokens of issuer with subject and one of
// audiences (default DefaultFederationAudience) as clientID's credential.
func (c *Clients) AddFederatedCredential(ctx context.Context, clientID, name, issuer, subject string, audiences []string) (*tokend.FederatedCredential, error) {
	if !federatedNamePattern.MatchString(name) {
		return nil, invalidCredential("name", "the name %q must be 3 to 120 letters, digits, '-' or '_', starting with a letter or digit", name)
	}
	if err := ValidateFederatedIssuer(issuer); err != nil {
		return nil, invalidCredential("issuer", "issuer %q: %v", issuer, err)
	}
	if subject == "" || len(subject) > 600 {
		return nil, invalidCredential("subject", "the subject must be 1 to 600 characters")
	}
	if len(audiences) == 0 {
		audiences = []string{DefaultFederationAudience}
	}
	for _, a := range audiences {
		if a == "" || len(a) > 600 {
			return nil, invalidCredential("audiences", "an audience must be 1 to 600 characters")
		}
	}
	cl, err := c.Get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	fc := &tokend.FederatedCredential{ClientID: cl.ID, Name: name, Issuer: issuer, Subject: subject,
		Audiences: audiences, CreatedAt: c.now().UTC()}
	if err := c.store.CreateFederatedCredential(ctx, fc); err != nil {
		return nil, err // the store names the credential and the client
	}
	return fc, nil
}

// ListFederatedCredentials lists a client's federated credentials.
func (c *Clients) ListFederatedCredentials(ctx context.Context, clientID string) ([]*tokend.FederatedCredential, error) {
	cl, err := c.Get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	list, err := c.store.ListFederatedCredentials(ctx, cl.ID)
	if err != nil {
		return nil, fmt.Errorf("list federated credentials of client %s: %w", cl.ID, err)
	}
	return list, nil
}

// RemoveFederatedCredential removes one by name.
func (c *Clients) RemoveFederatedCredential(ctx context.Context, clientID, name string) error {
	if err := c.store.DeleteFederatedCredential(ctx, strings.ToLower(clientID), name); err != nil {
		return fmt.Errorf("remove federated credential %s of client %s: %w", name, clientID, err)
	}
	return nil
}

// SetIdentifierURIs replaces a client's identifier URIs (application ID
// URIs such as api://orders): "{uri}/.default" then asks for a token for
// this client. Each must be an absolute URI without a wildcard or
// fragment, unique across the tenant's clients.
func (c *Clients) SetIdentifierURIs(ctx context.Context, clientID string, uris []string) error {
	seen := map[string]bool{}
	for _, u := range uris {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || strings.ContainsAny(u, "*# ") || len(u) > 255 || p.Opaque == "" && p.Host == "" {
			return invalidCredential("identifierUris", "identifier URI %q must be an absolute URI such as api://name or https://host/path, without wildcards or fragments", u)
		}
		if seen[strings.ToLower(u)] {
			return invalidCredential("identifierUris", "identifier URI %q is given twice", u)
		}
		seen[strings.ToLower(u)] = true
	}
	if err := c.store.SetIdentifierURIs(ctx, strings.ToLower(clientID), uris); err != nil {
		if errors.Is(err, tokend.ErrAlreadyExists) {
			return invalidCredential("identifierUris", "an identifier URI is already used by another application")
		}
		return fmt.Errorf("set identifier URIs of client %s: %w", clientID, err)
	}
	c.cache.invalidate()
	return nil
}
