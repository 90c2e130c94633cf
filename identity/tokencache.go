package identity

import (
	"crypto/sha256"
	"sync"
	"unsafe"
)

// tokenCache remembers tokens whose signature, issuer and claims were
// checked, until they expire, so a client repeating its token skips the
// signature check. It is keyed by the SHA-256 of the token (the cache never
// holds a token) and bounded: a full shard drops its expired entries, then
// arbitrary ones. Revocation, times and validators are still checked on
// every hit by the caller.
type tokenCache struct {
	shards   [16]cacheShard
	perShard int
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[32]byte]*Claims
}

func newTokenCache(size int) *tokenCache {
	if size <= 0 {
		size = 100_000
	}
	c := &tokenCache{perShard: max(1, size/16)}
	for i := range c.shards {
		c.shards[i].m = map[[32]byte]*Claims{}
	}
	return c
}

// cacheKey hashes the token in place: Sum256 only reads its input, so the
// string's bytes need no copy (a token is ~1 KiB; the copy was most of a
// cache hit's allocation).
func cacheKey(token string) [32]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

func (c *tokenCache) get(key [32]byte) *Claims {
	s := &c.shards[key[0]&15]
	s.mu.RLock()
	cl := s.m[key]
	s.mu.RUnlock()
	return cl
}

func (c *tokenCache) put(key [32]byte, cl *Claims, nowUnix int64) {
	s := &c.shards[key[0]&15]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.perShard {
		for k, v := range s.m {
			if v.ExpiresAt < nowUnix {
				delete(s.m, k)
			}
		}
		// Still full: drop arbitrary entries (map order is random), a
		// tenth of the shard, so the next inserts do not pay this again.
		for k := range s.m {
			if len(s.m) < c.perShard*9/10 {
				break
			}
			delete(s.m, k)
		}
	}
	s.m[key] = cl
}

// clear forgets everything (a signing key was removed).
func (c *tokenCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.m = map[[32]byte]*Claims{}
		s.mu.Unlock()
	}
}
