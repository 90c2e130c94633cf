package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/seal"
)

// saltMeta names the meta row holding the sealed salt.
const saltMeta = "audit-hmac-salt"

// HashPrefix marks a hashed identifier, as Vault spells it.
const HashPrefix = "hmac-sha256:"

// Hasher HMACs identifiers of secrets and tokens with the deployment's
// salt: equal identifiers give equal hashes on every node, so an operator
// who holds a token id (and the salt) can find its events, while the log
// alone reveals nothing usable.
type Hasher struct{ salt []byte }

// NewHasher returns a Hasher over salt.
func NewHasher(salt []byte) *Hasher { return &Hasher{salt: salt} }

// LoadHasher reads the deployment's salt from the store, sealed with box,
// creating it on first use; every node and the CLI share it.
func LoadHasher(ctx context.Context, store tokend.MetaStore, box *seal.Box) (*Hasher, error) {
	salt, err := box.SharedKey(ctx, store, saltMeta)
	if err != nil {
		return nil, fmt.Errorf("audit salt: %w", err)
	}
	return NewHasher(salt), nil
}

// Hash is "hmac-sha256:" and the hex HMAC-SHA256 of id; "" for "".
func (h *Hasher) Hash(id string) string {
	if id == "" {
		return ""
	}
	m := hmac.New(sha256.New, h.salt)
	m.Write([]byte(id))
	return HashPrefix + hex.EncodeToString(m.Sum(nil))
}
