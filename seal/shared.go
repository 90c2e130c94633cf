package seal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	tokend "github.com/tokend-dev/tokend"
)

// SharedKey returns the deployment's 32-byte key named name, kept sealed
// in the store's meta under that name (which is also the sealing's
// associated data, so one key's blob cannot stand in for another's). The
// first caller creates it; nodes racing on one database agree through
// CreateMeta: one key wins and every node reads it.
func (b *Box) SharedKey(ctx context.Context, store tokend.MetaStore, name string) ([]byte, error) {
	aad := []byte(name)
	sealed, err := store.GetMeta(ctx, name)
	if errors.Is(err, tokend.ErrNotFound) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate %s: %w", name, err)
		}
		err = store.CreateMeta(ctx, name, b.Seal(key, aad))
		if err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
			return nil, fmt.Errorf("store %s: %w", name, err)
		}
		sealed, err = store.GetMeta(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	key, err := b.Open(sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return key, nil
}
