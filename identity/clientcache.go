package identity

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// clientsGenerationMeta changes whenever a client's secret, certificates
// or existence do. Nodes poll it with the role assignment generation and drop their
// cached clients when it moves, so a reset secret or a deleted client stops
// working everywhere within a second, at once on the node that changed it.
const clientsGenerationMeta = "clients-generation"

func bumpClientsGeneration(ctx context.Context, q tokend.MetaStore) error {
	if err := q.PutMeta(ctx, clientsGenerationMeta, []byte(uuid.NewString())); err != nil {
		return fmt.Errorf("mark client change: %w", err)
	}
	return nil
}

// clientCache keeps clients found by the token endpoint, so issuing a token
// costs no storage read. Only found clients are cached.
type clientCache struct {
	mu   sync.RWMutex
	byID map[string]*tokend.Client
	// certs are clients' certificates, parsed (a certificate sign-in
	// would otherwise read and parse them on every request).
	certs      map[string][]*x509.Certificate
	generation string
	epoch      uint64 // counts invalidations; a load racing one is not cached
}

const maxCachedClients = 10000

func newClientCache() *clientCache {
	return &clientCache{byID: map[string]*tokend.Client{}, certs: map[string][]*x509.Certificate{}}
}

func (c *clientCache) getCerts(id string) ([]*x509.Certificate, bool, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	certs, ok := c.certs[id]
	return certs, ok, c.epoch
}

func (c *clientCache) putCerts(id string, certs []*x509.Certificate, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.certs) >= maxCachedClients {
		c.certs = map[string][]*x509.Certificate{}
	}
	c.certs[id] = certs
}

func (c *clientCache) get(id string) (*tokend.Client, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byID[id], c.epoch
}

func (c *clientCache) put(cl *tokend.Client, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.byID) >= maxCachedClients {
		c.byID = map[string]*tokend.Client{}
	}
	c.byID[cl.ID] = cl
}

func (c *clientCache) invalidate() {
	c.mu.Lock()
	c.byID = map[string]*tokend.Client{}
	c.certs = map[string][]*x509.Certificate{}
	c.epoch++
	c.mu.Unlock()
}

// sync drops the cache when another node changed a client.
func (c *clientCache) sync(ctx context.Context, store tokend.MetaStore) error {
	v, err := store.GetMeta(ctx, clientsGenerationMeta)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read client generation: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := string(v); g != c.generation {
		c.generation = g
		c.byID = map[string]*tokend.Client{}
		c.certs = map[string][]*x509.Certificate{}
		c.epoch++
	}
	return nil
}
