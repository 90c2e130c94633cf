package identity

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The JWS compact form is handled here by hand rather than through a general
// JOSE library: tokend accepts exactly one shape (a signed JWT with alg, kid
// and typ), so every other header a library would honour (jwk, jku, x5u,
// x5c, crit, b64, zip) is a reason to refuse, and the hot path stays free of
// reflection-heavy parsing.

// maxTokenLen bounds what is parsed at all; Entra tokens are a few KiB.
const maxTokenLen = 16 << 10

var b64 = base64.RawURLEncoding.Strict()

// encodeJWT signs payload (JSON claims) with k.
func encodeJWT(k *signingKey, payload []byte) (string, error) {
	n := len(k.header) + 1 + b64.EncodedLen(len(payload))
	buf := make([]byte, n, n+1+b64.EncodedLen(512))
	copy(buf, k.header)
	buf[len(k.header)] = '.'
	b64.Encode(buf[len(k.header)+1:], payload)
	sig, err := k.sign(buf)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// parsedJWS is a token split and decoded, not yet verified.
type parsedJWS struct {
	alg, kid     string
	signingInput string
	payload      []byte
	signature    []byte
}

// allowedHeaders are the only header parameters accepted. Thumbprints are
// harmless hints (Entra sends x5t); anything that names or carries a key, or
// that would change how the token is processed, is refused.
var allowedHeaders = map[string]bool{"alg": true, "kid": true, "typ": true, "x5t": true, "x5t#S256": true}

// tokenError is why a token was refused; code and message reach the client.
type tokenError struct {
	code    string
	message string
}

func (e *tokenError) Error() string { return e.message }

func invalidToken(format string, args ...any) *tokenError {
	return &tokenError{code: "InvalidAuthenticationToken", message: fmt.Sprintf(format, args...)}
}

var errMalformed = invalidToken("The access token is invalid: it is not a well-formed signed JWT.")

func parseJWS(token string) (*parsedJWS, error) {
	if len(token) > maxTokenLen {
		return nil, errMalformed
	}
	dot1 := strings.IndexByte(token, '.')
	dot2 := strings.LastIndexByte(token, '.')
	if dot1 <= 0 || dot2 == dot1 || strings.IndexByte(token[dot1+1:dot2], '.') >= 0 {
		return nil, errMalformed
	}
	hdrJSON, err := b64.DecodeString(token[:dot1])
	if err != nil {
		return nil, errMalformed
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		return nil, errMalformed
	}
	for name := range hdr {
		if !allowedHeaders[name] {
			return nil, invalidToken("The access token is invalid: header parameter %q is not accepted.", sanitize(name))
		}
	}
	p := &parsedJWS{signingInput: token[:dot2]}
	if err := headerString(hdr, "alg", &p.alg); err != nil || p.alg == "" {
		return nil, errMalformed
	}
	if strings.EqualFold(p.alg, "none") {
		return nil, invalidToken("The access token is invalid: unsigned tokens are not accepted.")
	}
	if err := headerString(hdr, "kid", &p.kid); err != nil {
		return nil, errMalformed
	}
	if !validKeyID(p.kid) {
		return nil, invalidToken("The access token is invalid: it names no signing key, or a malformed one.")
	}
	var typ string
	if err := headerString(hdr, "typ", &typ); err != nil {
		return nil, errMalformed
	}
	switch strings.ToLower(typ) {
	case "", "jwt", "at+jwt", "application/at+jwt":
	default:
		return nil, invalidToken("The access token is invalid: type %q is not accepted.", sanitize(typ))
	}
	if p.payload, err = b64.DecodeString(token[dot1+1 : dot2]); err != nil {
		return nil, errMalformed
	}
	if p.signature, err = b64.DecodeString(token[dot2+1:]); err != nil || len(p.signature) == 0 {
		return nil, errMalformed
	}
	return p, nil
}

func headerString(hdr map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := hdr[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return errors.New("header " + name + " is not a string")
	}
	return nil
}

// validKeyID admits base64url-ish identifiers only, so a kid never carries a
// path, a quote or SQL into a lookup or a log line.
func validKeyID(kid string) bool {
	if len(kid) == 0 || len(kid) > 128 {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !isBase62(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// sanitize keeps a client-supplied string safe to echo in a message or a
// WWW-Authenticate header: printable ASCII without quotes or backslashes,
// and short.
func sanitize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 80; i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}
