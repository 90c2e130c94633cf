package ratelimit

import (
	"container/list"
	"hash/maphash"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is one token bucket's shape: Rate tokens a second, holding at most
// Burst. A Rate of zero or less disables the limit.
type Limit struct {
	Rate  float64
	Burst int
}

// On reports whether the limit applies.
func (l Limit) On() bool { return l.Rate > 0 && l.Burst > 0 }

// shards spreads a table's keys over independent locks: the token endpoint
// consults two tables per request at thousands of requests a second.
const shards = 16

// table holds one limiter per key, at most max keys in all.
type table struct {
	limit Limit
	seed  maphash.Seed
	shard [shards]shard
}

type shard struct {
	mu  sync.Mutex
	max int
	m   map[string]*list.Element
	lru list.List // front: most recently used
}

type entry struct {
	key string
	lim *rate.Limiter
}

func newTable(l Limit, maxKeys int) *table {
	t := &table{limit: l, seed: maphash.MakeSeed()}
	per := max(maxKeys/shards, 1)
	for i := range t.shard {
		t.shard[i] = shard{max: per, m: make(map[string]*list.Element)}
	}
	return t
}

// get returns key's limiter, creating it (with a full bucket) if needed.
func (t *table) get(key string) *rate.Limiter {
	s := &t.shard[maphash.String(t.seed, key)%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*entry).lim
	}
	if s.lru.Len() >= s.max {
		old := s.lru.Back()
		s.lru.Remove(old)
		delete(s.m, old.Value.(*entry).key)
	}
	lim := rate.NewLimiter(rate.Limit(t.limit.Rate), t.limit.Burst)
	s.m[key] = s.lru.PushFront(&entry{key: key, lim: lim})
	return lim
}

// len counts the keys held (for tests of the bound).
func (t *table) len() int {
	n := 0
	for i := range t.shard {
		s := &t.shard[i]
		s.mu.Lock()
		n += s.lru.Len()
		s.mu.Unlock()
	}
	return n
}

// take spends one token of key's bucket at now; when none is left it
// spends nothing and says how long until one is.
func (t *table) take(key string, now time.Time) (remaining int, wait time.Duration, ok bool) {
	lim := t.get(key)
	if lim.AllowN(now, 1) {
		return int(lim.TokensAt(now)), 0, true
	}
	return 0, t.until(lim, now), false
}

// check says whether key's bucket holds a token at now without spending
// it: failure budgets are spent by failures only, so the right
// credentials are let in as soon as a token is back.
func (t *table) check(key string, now time.Time) (wait time.Duration, ok bool) {
	lim := t.get(key)
	if lim.TokensAt(now) >= 1 {
		return 0, true
	}
	return t.until(lim, now), false
}

// spend takes one token if there is one (a failure while the budget is
// exhausted costs nothing more: the caller was let in when a token was
// back, and the bucket's refill decides when the next attempt is).
func (t *table) spend(key string, now time.Time) {
	t.get(key).AllowN(now, 1)
}

// until is how long lim needs to hold one whole token again.
func (t *table) until(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / t.limit.Rate * float64(time.Second))
}
