package identity

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// ClientAssertionType is RFC 7523's client_assertion_type for a JWT that
// authenticates the client (private_key_jwt, and workload identity
// federation's external tokens).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLen bounds what is parsed at all: a certificate assertion is
// well under 2 KiB, a Kubernetes service-account token a few KiB.
const maxAssertionLen = 16 << 10

// assertion is a client assertion split and decoded, not yet verified.
// Unlike an access token it may name its key by certificate thumbprint.
type assertion struct {
	alg, kid        string
	x5t, x5tS256    []byte // raw thumbprints from the header, when given
	signingInput    string
	signature       []byte
	claims          assertionClaims
	payload         []byte
	thumbprintByKid string // kid read as a hex SHA-1 thumbprint, upper case
}

// assertionClaims are the claims RFC 7523 §3 requires of a client
// assertion, and what federation matches on.
type assertionClaims struct {
	Issuer    string      `json:"iss"`
	Subject   string      `json:"sub"`
	Audience  Audience    `json:"aud"`
	ExpiresAt numericDate `json:"exp"`
	NotBefore numericDate `json:"nbf"`
	IssuedAt  numericDate `json:"iat"`
	ID        string      `json:"jti"`
}

// numericDate is RFC 7519's NumericDate: seconds since the epoch, which may
// have a fraction (MSAL for Python writes one); kept in whole seconds.
type numericDate int64

func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f < 0 || f > 1e15 {
		return fmt.Errorf("numeric date %v out of range", f)
	}
	*d = numericDate(int64(f))
	return nil
}

// assertionHeaders are the header parameters a client assertion may carry.
// x5c is accepted, as Entra accepts it (MSAL sends the chain with
// SendCertificateChain), but never read: the key is always a certificate
// registered for the client, chosen by thumbprint, or the trusted
// issuer's. Anything that points at a key elsewhere (jwk, jku, x5u),
// changes processing (crit, b64, zip) or nests a token (cty) is refused.
var assertionHeaders = map[string]bool{"alg": true, "kid": true, "typ": true, "x5t": true, "x5t#S256": true, "x5c": true}

// assertionError is why an assertion was refused: the AADSTS code and
// message Entra answers with.
type assertionError struct {
	aadsts  int
	message string
}

func (e *assertionError) Error() string { return e.message }

func badAssertion(aadsts int, format string, args ...any) *assertionError {
	return &assertionError{aadsts: aadsts, message: fmt.Sprintf(format, args...)}
}

var errMalformedAssertion = badAssertion(50027, "The client assertion is not a well-formed signed JWT.")

// parseAssertion splits and decodes a compact JWS client assertion.
func parseAssertion(token string) (*assertion, error) {
	if len(token) > maxAssertionLen {
		return nil, badAssertion(50027, "The client assertion is longer than %d bytes.", maxAssertionLen)
	}
	dot1 := strings.IndexByte(token, '.')
	dot2 := strings.LastIndexByte(token, '.')
	if dot1 <= 0 || dot2 == dot1 || strings.IndexByte(token[dot1+1:dot2], '.') >= 0 {
		return nil, errMalformedAssertion
	}
	hdrJSON, err := b64.DecodeString(token[:dot1])
	if err != nil {
		return nil, errMalformedAssertion
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		return nil, errMalformedAssertion
	}
	for name := range hdr {
		if !assertionHeaders[name] {
			return nil, badAssertion(50027, "The client assertion's header parameter %q is not accepted.", sanitize(name))
		}
	}
	a := &assertion{signingInput: token[:dot2]}
	var typ, x5t, x5tS256 string
	for name, dst := range map[string]*string{"alg": &a.alg, "kid": &a.kid, "typ": &typ, "x5t": &x5t, "x5t#S256": &x5tS256} {
		if err := headerString(hdr, name, dst); err != nil {
			return nil, errMalformedAssertion
		}
	}
	switch a.alg {
	case AlgRS256, "PS256", AlgES256, "ES384", AlgEdDSA:
	case "":
		return nil, errMalformedAssertion
	default:
		return nil, badAssertion(50027, "The client assertion's algorithm %q is not accepted; use RS256, PS256 or ES256.", sanitize(a.alg))
	}
	switch strings.ToLower(typ) {
	case "", "jwt":
	default:
		return nil, badAssertion(50027, "The client assertion's type %q is not accepted.", sanitize(typ))
	}
	if a.kid != "" && !validKeyID(a.kid) {
		return nil, errMalformedAssertion
	}
	if x5t != "" {
		if a.x5t, err = decodeThumbprint(x5t); err != nil || len(a.x5t) != sha1.Size {
			return nil, errMalformedAssertion
		}
	}
	if x5tS256 != "" {
		if a.x5tS256, err = decodeThumbprint(x5tS256); err != nil || len(a.x5tS256) != sha256.Size {
			return nil, errMalformedAssertion
		}
	}
	if b, err := hex.DecodeString(a.kid); err == nil && len(b) == sha1.Size {
		a.thumbprintByKid = strings.ToUpper(a.kid)
	}
	if a.payload, err = b64.DecodeString(token[dot1+1 : dot2]); err != nil {
		return nil, errMalformedAssertion
	}
	if err := json.Unmarshal(a.payload, &a.claims); err != nil {
		return nil, errMalformedAssertion
	}
	if a.signature, err = b64.DecodeString(token[dot2+1:]); err != nil || len(a.signature) == 0 {
		return nil, errMalformedAssertion
	}
	return a, nil
}

// decodeThumbprint reads x5t as base64url; some clients pad it, and some
// (older ADAL) send the standard alphabet.
func decodeThumbprint(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	return b64.DecodeString(s)
}

// names reports whether the assertion names certificate c by x5t,
// x5t#S256 or a kid that is its SHA-1 thumbprint in hex.
func (a *assertion) names(c *x509.Certificate) bool {
	if a.x5tS256 != nil {
		sum := sha256.Sum256(c.Raw)
		return string(a.x5tS256) == string(sum[:])
	}
	sum := sha1.Sum(c.Raw)
	if a.x5t != nil {
		return string(a.x5t) == string(sum[:])
	}
	return a.thumbprintByKid != "" && a.thumbprintByKid == strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Thumbprints returns a certificate's SHA-1 thumbprint in upper-case hex
// (as Entra and az show it) and its SHA-256 thumbprint in the same form.
func Thumbprints(der []byte) (sha1Hex, sha256Hex string) {
	s1 := sha1.Sum(der)
	s256 := sha256.Sum256(der)
	return strings.ToUpper(hex.EncodeToString(s1[:])), strings.ToUpper(hex.EncodeToString(s256[:]))
}
