package sqlstore

import (
	"context"
	"fmt"
	"sync"
)

// ListByService answers every page with the count of all matches, which
// costs a walk over every matching index entry (at 10,000 servers and a
// filter matching a quarter, as much as the page itself). The count can
// only change when a server of the service is added, removed or renamed in
// display, and each such write moves the service's generation in the same
// transaction (triggers of migration 0101). A count read together with its
// generation, in one statement and so from one snapshot, stays exact until
// the generation moves; a page then pays a point read of the generation
// instead of the walk, and that read is a column of the page's own
// statement. The generation lives in the database, so a write on any node
// is seen by all.
const (
	// generationOfServiceSQL is the generation of the service bound to $1,
	// 0 for a service none of whose servers was ever written; as a column
	// of a page or a count it is read from the same snapshot.
	generationOfServiceSQL = `COALESCE((SELECT generation FROM apim_service_generations WHERE service_key = $1), 0)`
	countWithGenerationSQL = `SELECT ` + generationOfServiceSQL + `, COUNT(*) FROM apim_authorization_servers WHERE `
)

// maxCachedCounts bounds the count cache; like stmtCache it starts over when
// full, which only costs recounts.
const maxCachedCounts = 4096

// countCache remembers counts by service and predicate with the generation
// they were read at.
type countCache struct {
	mu     sync.Mutex
	counts map[string]generationCount
}

type generationCount struct {
	generation, count int64
}

func newCountCache() *countCache {
	return &countCache{counts: make(map[string]generationCount)}
}

func (c *countCache) get(key string) (generationCount, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.counts[key]
	return v, ok
}

func (c *countCache) put(key string, v generationCount) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.counts) >= maxCachedCounts {
		c.counts = make(map[string]generationCount)
	}
	// Keep the newer of two racing readers' counts.
	if prev, ok := c.counts[key]; !ok || prev.generation <= v.generation {
		c.counts[key] = v
	}
}

// countAuthServers counts the servers that match where (whose bound values
// are args, the service key first), answering from the cache when the
// count was read at generation, the service's generation as the page read
// it (-1 when the page was empty and did not say).
func (q *queries) countAuthServers(ctx context.Context, generation int64, where string, args []any) (int64, error) {
	if q.counts == nil {
		// In a transaction: count what the transaction sees, which may
		// include its own uncommitted writes.
		var n int64
		err := listReader{q}.scanOne(ctx, `SELECT COUNT(*) FROM apim_authorization_servers WHERE `+where, args, &n)
		return n, err
	}
	// The key is the statement and its values, unambiguously: %#v quotes
	// every string.
	key := fmt.Sprintf("%q %#v", where, args)
	if c, ok := q.counts.get(key); ok && generation >= 0 && c.generation == generation {
		return c.count, nil
	}
	var c generationCount
	if err := (listReader{q}).scanOne(ctx, countWithGenerationSQL+where, args, &c.generation, &c.count); err != nil {
		return 0, err
	}
	q.counts.put(key, c)
	return c.count, nil
}
