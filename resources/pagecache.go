package resources

import (
	"encoding/json"
	"sync"
)

// A page of Resources_List costs 0.6–1.1 ms of CPU to read and render
// (100 items over 110 rows; docs/performance.md), and at 16 connections on
// two cores that cost alone held the p99 above 20 ms. A subscription's
// pages change only when one of its resources is written, and every such
// write moves the subscription's generation in its own transaction
// (tokend.ResourceStore.ResourceGeneration, kept by the database, so a
// write on any node moves it for all). A page remembered with the
// generation read before it was read is therefore exact while the
// generation stays: the generation is read on every request (one point
// read) and a page is served again only when it matches.
//
// A page read after a write that the generation read before it missed is
// remembered under the older generation; only requests that read that
// generation before the write committed can be answered with it, and the
// write committed while they ran, so they see it or not as any read
// overlapping a write may.

// defaultPageCacheBytes bounds the pages remembered: a page of 100 items
// is about 40 KB, so some 800 pages (the first pages of many subscriptions
// and filters, or one walk through 80,000 resources).
const defaultPageCacheBytes = 32 << 20

// pageCache remembers rendered pages by request with the generation they
// were read at. Like the stores' count and statement caches it starts
// over when full, which costs only reads.
type pageCache struct {
	limit int // bytes; 0 remembers nothing

	mu    sync.Mutex
	pages map[string]cachedPage
	size  int
}

type cachedPage struct {
	generation int64
	body       json.RawMessage
}

func newPageCache(limit int) *pageCache {
	return &pageCache{limit: max(limit, 0), pages: make(map[string]cachedPage)}
}

// get returns the page remembered for key when it was read at generation.
func (c *pageCache) get(key string, generation int64) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pages[key]
	if !ok || p.generation != generation {
		return nil, false
	}
	return p.body, true
}

// put remembers body (never changed afterwards) for key at generation,
// unless a racing request already remembered a newer one.
func (c *pageCache) put(key string, generation int64, body json.RawMessage) {
	cost := len(key) + len(body)
	if cost > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	prev, ok := c.pages[key]
	if ok && prev.generation > generation {
		return
	}
	if ok {
		c.size -= len(key) + len(prev.body)
	}
	if c.size+cost > c.limit {
		c.pages, c.size = make(map[string]cachedPage), 0
	}
	c.pages[key] = cachedPage{generation: generation, body: body}
	c.size += cost
}
