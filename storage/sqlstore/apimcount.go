package sqlstore

import (
	"context"
	"database/sql"
	"errors"
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
// instead of the walk. The generation lives in the database, so a write on
// any node is seen by all.
const (
	serviceGenerationSQL = `SELECT generation FROM apim_service_generations WHERE service_key = $1`
	// $1 is the service key in both the subquery and the count's own
	// predicate (authServerWhere numbers it first).
	countWithGenerationSQL = `SELECT COALESCE((SELECT generation FROM apim_service_generations WHERE service_key = $1), 0), COUNT(*)
FROM apim_authorization_servers WHERE `
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

// countAuthServers counts the servers of service that match where (whose
// bound values are args, the service key first).
func (q *queries) countAuthServers(ctx context.Context, service, where string, args []any) (int64, error) {
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
	generation, err := q.serviceGeneration(ctx, service)
	if err != nil {
		return 0, err
	}
	if c, ok := q.counts.get(key); ok && c.generation == generation {
		return c.count, nil
	}
	var c generationCount
	if err := (listReader{q}).scanOne(ctx, countWithGenerationSQL+where, args, &c.generation, &c.count); err != nil {
		return 0, err
	}
	q.counts.put(key, c)
	return c.count, nil
}

// serviceGeneration reads the service's generation; 0 for a service none of
// whose servers was ever written.
func (q *queries) serviceGeneration(ctx context.Context, service string) (int64, error) {
	var g int64
	err := q.queryRow(ctx, serviceGenerationSQL, service).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read generation of %s: %w", service, err)
	}
	return g, nil
}
