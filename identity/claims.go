package identity

import (
	"encoding/json"
	"errors"
	"time"
)

// Claims are the registered and Entra claims tokend reads from (and writes
// to) a JWT. Tokens minted by providers carry more: Raw holds the whole
// payload so a validator or provider can decode its own claims from it.
type Claims struct {
	Issuer    string   `json:"iss,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  Audience `json:"aud,omitempty"`
	ExpiresAt int64    `json:"exp,omitempty"`
	NotBefore int64    `json:"nbf,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	ID        string   `json:"jti,omitempty"`

	ObjectID        string   `json:"oid,omitempty"`
	TenantID        string   `json:"tid,omitempty"`
	AuthorizedParty string   `json:"azp,omitempty"`
	AppID           string   `json:"appid,omitempty"`
	Roles           []string `json:"roles,omitempty"`
	Scope           string   `json:"scp,omitempty"`
	Version         string   `json:"ver,omitempty"`
	IDType          string   `json:"idtyp,omitempty"`
	// Resource confines the token to one resource (a canonical key) and
	// what is below it; providers set it on tokens they mint for one
	// resource, and the authorizer enforces it (tokend.Principal.Resource).
	Resource string `json:"xms_tkd_res,omitempty"` // tokend.ClaimResource

	// Raw is the complete payload as signed (not serialized).
	Raw json.RawMessage `json:"-"`
	// KeyID is the kid of the key that signed the token (not serialized).
	KeyID string `json:"-"`
	// External is set when a trusted external issuer signed the token.
	External bool `json:"-"`
}

// Expiry is ExpiresAt as a time.
func (c *Claims) Expiry() time.Time { return time.Unix(c.ExpiresAt, 0) }

// ClientID is the calling application: azp (v2), else appid (v1).
func (c *Claims) ClientID() string {
	if c.AuthorizedParty != "" {
		return c.AuthorizedParty
	}
	return c.AppID
}

// PrincipalID is whom role assignments name: oid, else sub (tokens of
// external issuers that have no oid).
func (c *Claims) PrincipalID() string {
	if c.ObjectID != "" {
		return c.ObjectID
	}
	return c.Subject
}

// Audience is the aud claim: one string or an array of strings on the wire.
type Audience []string

// Contains reports whether aud is one of the audiences.
func (a Audience) Contains(aud string) bool {
	for _, s := range a {
		if s == aud {
			return true
		}
	}
	return false
}

// MarshalJSON writes a single audience as a string, as Entra does.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON accepts a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Audience{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("aud must be a string or an array of strings")
	}
	*a = list
	return nil
}
