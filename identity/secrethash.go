package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/seal"
)

// hashKeyMeta names the meta row holding the sealed secret-hashing key.
const hashKeyMeta = "client-secret-hash-key"

// secretHasher computes the keyed hash stored in place of a client secret.
// A keyed hash (rather than a slow password hash) is enough because secrets
// carry 256 random bits: nothing can be guessed offline, and verification
// stays in microseconds. The key lives sealed in meta, so a stolen database
// alone does not even allow checking a candidate secret.
type secretHasher struct{ key []byte }

// loadSecretHasher reads the hashing key, creating it on first use.
func loadSecretHasher(ctx context.Context, store tokend.MetaStore, box *seal.Box) (*secretHasher, error) {
	key, err := box.SharedKey(ctx, store, hashKeyMeta)
	if err != nil {
		return nil, fmt.Errorf("secret hashing key: %w", err)
	}
	return &secretHasher{key: key}, nil
}

func (h *secretHasher) hash(secret string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// verify compares in constant time.
func (h *secretHasher) verify(secret string, stored []byte) bool {
	return hmac.Equal(h.hash(secret), stored)
}
