package identity

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// An authorization code is the sign-in it stands for, sealed (AES-256-GCM
// under the key-encryption key) and base64url encoded after
// authCodePrefix: nothing is stored when it is issued. It is spent at the
// token endpoint by starting the refresh token family named after it
// (codeFamilyID), a row inserted with the concurrent sign-ins' families
// in one batch: a second redemption finds the family there and revokes
// it (http_code_grant.go).
const (
	authCodePrefix   = "1.tkdc."
	authCodeAAD      = "tokend authorization code v1"
	authCodeLifetime = 10 * time.Minute
	// maxAuthCodeLen bounds what is decoded from a request.
	maxAuthCodeLen = 8192
)

// PKCE code challenge methods (RFC 7636 §4.2). plain is refused: it
// protects nothing once the authorization request is seen.
const (
	pkceS256  = "S256"
	pkcePlain = "plain"
)

// authCode is what a code carries.
type authCode struct {
	ID       string `json:"i"`
	Tenant   string `json:"t"`
	Client   string `json:"c"`
	Redirect string `json:"r"`
	// RedirectGiven: the authorization request named its redirect URI, so
	// the token request must name the same (RFC 6749 §4.1.3).
	RedirectGiven bool   `json:"rg,omitempty"`
	User          string `json:"u"`
	// UPN and Name are the user's, for the tokens of the exchange (names
	// do not change; the family insert that spends the code checks that
	// the user still exists), so an exchange reads no user. Empty in codes
	// sealed before they were carried.
	UPN      string   `json:"un,omitempty"`
	Name     string   `json:"ud,omitempty"`
	Scope    string   `json:"s"`
	Resource string   `json:"res,omitempty"` // the v1 endpoint's resource parameter
	Nonce    string   `json:"n,omitempty"`
	AuthTime int64    `json:"a"`
	Amr      []string `json:"m,omitempty"`
	// Challenge is the PKCE S256 challenge ("" when the client sent none:
	// a confidential client may omit PKCE).
	Challenge string `json:"p,omitempty"`
	Exp       int64  `json:"x"`
}

// newAuthCodeID names a code; the tokens of its redemption are named
// after it (codeTokenID, codeFamilyID) so a replay can revoke them. A
// version 7 UUID: time-ordered, so the row its redemption inserts (the
// refresh family) lands at the right edge of the B-trees instead of all
// over them — random keys made every batch commit write a page per
// exchange (the WAL writes were 13 % of an exchange's server CPU in a
// profile of the token-code bench scenario on SQLite).
func newAuthCodeID() string { return uuid.Must(uuid.NewV7()).String() }

// codeNamespace derives the ids of a code's tokens from the code's id.
var codeNamespace = uuid.MustParse("6f1c2a7e-3d0b-4f3e-9a51-0c6f3f1d2b7a")

// codeTokenID is the jti of the access token a code's redemption issues.
func codeTokenID(codeID string) string {
	return uuid.NewSHA1(codeNamespace, []byte("access\x00"+codeID)).String()
}

// codeFamilyID is the refresh token family a code's redemption starts,
// whose insert spends the code: the code's own id (unique, time-ordered,
// and known only to the sealed code and the sealed refresh token).
func codeFamilyID(codeID string) string { return codeID }

func (s *Service) sealAuthCode(c *authCode) (string, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return authCodePrefix + base64.RawURLEncoding.EncodeToString(s.cfg.Box.Seal(plain, []byte(authCodeAAD))), nil
}

// openAuthCode reads a code; an error for anything tokend did not seal.
func (s *Service) openAuthCode(code string) (*authCode, error) {
	rest, ok := strings.CutPrefix(code, authCodePrefix)
	if !ok || len(code) > maxAuthCodeLen {
		return nil, errors.New("it is not an authorization code issued by tokend")
	}
	sealed, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("it is not an authorization code issued by tokend")
	}
	plain, err := s.cfg.Box.Open(sealed, []byte(authCodeAAD))
	if err != nil {
		return nil, errors.New("it was not issued by this deployment or was altered")
	}
	var c authCode
	if err := json.Unmarshal(plain, &c); err != nil || c.ID == "" || c.Client == "" || c.User == "" {
		return nil, errors.New("it is malformed")
	}
	return &c, nil
}

// validPKCEValue is RFC 7636's shape of a code verifier (§4.1) and of an
// S256 challenge: 43 to 128 unreserved characters.
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// pkceMatches checks a verifier against an S256 challenge.
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// leftHalfHash is OpenID Connect's c_hash/at_hash (Core §3.3.2.11): the
// left half of the value's hash under the signing algorithm's hash
// function (SHA-256 for RS256 and ES256, SHA-512 for EdDSA as go-oidc and
// the OpenID errata take it), base64url.
func leftHalfHash(alg, v string) string {
	var sum []byte
	if alg == AlgEdDSA {
		h := sha512.Sum512([]byte(v))
		sum = h[:]
	} else {
		h := sha256.Sum256([]byte(v))
		sum = h[:]
	}
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// signingAlg is the algorithm tokens are being signed with now.
func (s *Service) signingAlg() string {
	if k := s.keys.current(s.cfg.Now()); k != nil {
		return k.alg
	}
	return s.cfg.SigningAlg
}
