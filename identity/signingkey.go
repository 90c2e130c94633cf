package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/go-jose/go-jose/v4"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/seal"
)

// Signing algorithms tokend can sign with.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
	AlgEdDSA = "EdDSA"
)

// ValidSigningAlg reports whether alg is one tokend signs with.
func ValidSigningAlg(alg string) bool {
	return alg == AlgES256 || alg == AlgRS256 || alg == AlgEdDSA
}

// signingKey is a stored key opened for use: the private key unsealed, the
// public key parsed, the JWS header pre-encoded.
type signingKey struct {
	stored *tokend.SigningKey
	id     string
	alg    string
	signer crypto.Signer
	pub    crypto.PublicKey
	// jwk is the key as published: the stored public JWK, with x5t and x5c
	// for RSA keys.
	jwk []byte
	// header is the base64url-encoded protected header, the same for every
	// token this key signs, so signing only encodes the payload.
	header string
}

// newStoredKey generates a key pair for alg and returns it as stored: the
// public key as a JWK, the private key as PKCS#8 sealed under the
// key-encryption key with the kid as associated data, so a sealed key
// copied into another row does not open.
func newStoredKey(box *seal.Box, alg string, created, activate, retire, expire time.Time) (*tokend.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("unsupported signing algorithm %q (want ES256, RS256 or EdDSA)", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	jwk := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig"}
	// The kid is the RFC 7638 thumbprint: unique per key and checkable by
	// anyone holding the public key.
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("thumbprint %s key: %w", alg, err)
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	pubJSON, err := jwk.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return &tokend.SigningKey{
		ID:         jwk.KeyID,
		Algorithm:  alg,
		PublicJWK:  pubJSON,
		Private:    box.Seal(der, []byte(jwk.KeyID)),
		CreatedAt:  created.UTC(),
		ActivateAt: activate.UTC(),
		RetireAt:   retire.UTC(),
		ExpireAt:   expire.UTC(),
	}, nil
}

// openKey unseals a stored key.
func openKey(box *seal.Box, k *tokend.SigningKey) (*signingKey, error) {
	der, err := box.Open(k.Private, []byte(k.ID))
	if err != nil {
		return nil, fmt.Errorf("open signing key %s: %w", k.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", k.ID, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok || !keyFitsAlg(signer.Public(), k.Algorithm) {
		return nil, fmt.Errorf("signing key %s is not a %s key", k.ID, k.Algorithm)
	}
	jwk := k.PublicJWK
	var x5t string
	if k.Algorithm == AlgRS256 {
		if jwk, x5t, err = withCertificate(k, signer); err != nil {
			return nil, err
		}
	}
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
		X5t string `json:"x5t,omitempty"`
	}{k.Algorithm, k.ID, "JWT", x5t})
	if err != nil {
		return nil, err
	}
	return &signingKey{
		stored: k, id: k.ID, alg: k.Algorithm, signer: signer, pub: signer.Public(), jwk: jwk,
		header: base64.RawURLEncoding.EncodeToString(header),
	}, nil
}

// withCertificate gives an RSA signing key what Entra publishes with its
// keys: a self-signed certificate in the JWK's x5c and its SHA-1
// thumbprint as x5t (also in each token's header), which some relying
// parties (ADAL-era libraries, API Management's validate-jwt) select keys
// by. The certificate is built deterministically from the stored key — a
// serial derived from the kid, validity from its creation for five years
// (not from its retirement, which moves), and PKCS #1 v1.5 signatures,
// which take no randomness — so every node publishes the same bytes for
// the same key, for as long as it is published.
func withCertificate(k *tokend.SigningKey, signer crypto.Signer) ([]byte, string, error) {
	sum := sha256.Sum256([]byte(k.ID))
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(sum[:16]),
		Subject:      pkix.Name{CommonName: "tokend signing key " + k.ID},
		NotBefore:    k.CreatedAt.UTC().Truncate(time.Second),
		NotAfter:     k.CreatedAt.UTC().Truncate(time.Second).AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		return nil, "", fmt.Errorf("certificate for signing key %s: %w", k.ID, err)
	}
	var jwk map[string]any
	if err := json.Unmarshal(k.PublicJWK, &jwk); err != nil {
		return nil, "", fmt.Errorf("public key %s: %w", k.ID, err)
	}
	thumb := sha1.Sum(der)
	x5t := base64.RawURLEncoding.EncodeToString(thumb[:])
	jwk["x5t"] = x5t
	jwk["x5c"] = []string{base64.StdEncoding.EncodeToString(der)}
	out, err := json.Marshal(jwk)
	if err != nil {
		return nil, "", err
	}
	return out, x5t, nil
}

// keyFitsAlg reports whether pub is the kind of key alg uses. Verification
// takes the algorithm from the key, never from a token's header, and this
// is what ties the two.
func keyFitsAlg(pub crypto.PublicKey, alg string) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return alg == AlgES256 && k.Curve == elliptic.P256() || alg == "ES384" && k.Curve == elliptic.P384()
	case *rsa.PublicKey:
		return (alg == AlgRS256 || alg == "PS256") && k.N.BitLen() >= 2048
	case ed25519.PublicKey:
		return alg == AlgEdDSA
	}
	return false
}

// sign returns the JWS signature of input in the encoding alg prescribes.
func (k *signingKey) sign(input []byte) ([]byte, error) {
	switch k.alg {
	case AlgES256:
		h := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, k.signer.(*ecdsa.PrivateKey), h[:])
		if err != nil {
			return nil, fmt.Errorf("ES256 sign: %w", err)
		}
		// JWS wants the fixed-size R||S form, not ASN.1 DER.
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	case AlgRS256:
		h := sha256.Sum256(input)
		return rsa.SignPKCS1v15(nil, k.signer.(*rsa.PrivateKey), crypto.SHA256, h[:])
	case AlgEdDSA:
		return ed25519.Sign(k.signer.(ed25519.PrivateKey), input), nil
	}
	return nil, fmt.Errorf("unsupported signing algorithm %q", k.alg)
}

var errBadSignature = errors.New("signature does not verify")

// verifySignature checks a JWS signature with pub under alg, where alg comes
// from the key (ours, or the trusted issuer's JWK), never from the token.
func verifySignature(alg string, pub crypto.PublicKey, input, sig []byte) error {
	if !keyFitsAlg(pub, alg) {
		return fmt.Errorf("key does not fit algorithm %s", alg)
	}
	ok := false
	switch alg {
	case AlgES256, "ES384":
		k := pub.(*ecdsa.PublicKey)
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return errBadSignature
		}
		var digest []byte
		if alg == AlgES256 {
			h := sha256.Sum256(input)
			digest = h[:]
		} else {
			h := crypto.SHA384.New()
			h.Write(input)
			digest = h.Sum(nil)
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		ok = ecdsa.Verify(k, digest, r, s)
	case AlgRS256:
		h := sha256.Sum256(input)
		ok = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, h[:], sig) == nil
	case "PS256":
		h := sha256.Sum256(input)
		ok = rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, h[:], sig, nil) == nil
	case AlgEdDSA:
		ok = ed25519.Verify(pub.(ed25519.PublicKey), input, sig)
	}
	if !ok {
		return errBadSignature
	}
	return nil
}
