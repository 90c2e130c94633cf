package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/seal"
)

// Errors of client authentication, mapped by the token endpoint to Entra's
// AADSTS codes. Both mean invalid_client on the wire.
var (
	// ErrClientNotFound: no such client in the tenant (AADSTS700016).
	ErrClientNotFound = errors.New("client not found in the tenant")
	// ErrInvalidSecret: the secret is not the client's (AADSTS7000215).
	ErrInvalidSecret = errors.New("invalid client secret")
)

// Clients registers OAuth clients and checks their secrets. Only a keyed hash
// of each secret is stored; the secret is shown once, on create and reset.
type Clients struct {
	store  tokend.Store
	hasher *secretHasher
	now    func() time.Time
	cache  *clientCache
	// onDelete drops this node's authorization cache: a deleted client's
	// role assignments go with it.
	onDelete func()
}

// NewClients opens the client registry, creating the secret-hashing key on
// first use.
func NewClients(ctx context.Context, store tokend.Store, box *seal.Box, now func() time.Time) (*Clients, error) {
	h, err := loadSecretHasher(ctx, store, box)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Clients{store: store, hasher: h, now: now, cache: newClientCache(), onDelete: func() {}}, nil
}

// Create registers a confidential client in tenantID and returns it with
// its secret, the only time the secret is available.
func (c *Clients) Create(ctx context.Context, tenantID, displayName string) (*tokend.Client, string, error) {
	return c.Register(ctx, Registration{TenantID: tenantID, DisplayName: displayName})
}

// Registration describes a client to register.
type Registration struct {
	TenantID    string
	DisplayName string
	// Public registers a public client: no secret (the returned one is
	// empty), PKCE required for its sign-ins.
	Public       bool
	RedirectURIs []string
	// IdentifierURIs are the application ID URIs (SetIdentifierURIs).
	IdentifierURIs []string
}

// Register registers a client; a confidential one is returned with its
// secret, the only time the secret is available.
func (c *Clients) Register(ctx context.Context, reg Registration) (*tokend.Client, string, error) {
	if err := ValidateRedirectURIs(reg.RedirectURIs); err != nil {
		return nil, "", err
	}
	cl, secret := c.newClient(reg.TenantID, reg.DisplayName)
	if reg.Public {
		cl.SecretHash, cl.SecretHint, secret = nil, "", ""
	}
	cl.Public, cl.RedirectURIs = reg.Public, reg.RedirectURIs
	if err := c.store.CreateClient(ctx, cl); err != nil {
		return nil, "", fmt.Errorf("create client: %w", err)
	}
	if len(reg.IdentifierURIs) > 0 {
		if err := c.SetIdentifierURIs(ctx, cl.ID, reg.IdentifierURIs); err != nil {
			// Its secret was never shown: the client is of no use.
			if derr := c.Delete(ctx, cl.ID); derr != nil {
				return nil, "", fmt.Errorf("%w (and removing the client %s again failed: %v)", err, cl.ID, derr)
			}
			return nil, "", fmt.Errorf("client not created: %w", err)
		}
		cl.IdentifierURIs = reg.IdentifierURIs
	}
	return cl, secret, nil
}

// SetRedirectURIs replaces a client's redirect URIs.
func (c *Clients) SetRedirectURIs(ctx context.Context, id string, uris []string) error {
	if err := ValidateRedirectURIs(uris); err != nil {
		return err
	}
	id = strings.ToLower(id)
	err := c.store.InTx(ctx, func(q tokend.Queries) error {
		cl, err := q.GetClient(ctx, id)
		if err != nil {
			return err
		}
		cl.RedirectURIs = uris
		cl.UpdatedAt = c.now().UTC()
		if err := q.UpdateClient(ctx, cl); err != nil {
			return err
		}
		return bumpClientsGeneration(ctx, q)
	})
	c.cache.invalidate()
	if err != nil {
		return fmt.Errorf("set redirect URIs of client %s: %w", id, err)
	}
	return nil
}

// newClient builds a client and its secret without storing them, for callers
// that create it inside their own transaction (bootstrap).
func (c *Clients) newClient(tenantID, displayName string) (*tokend.Client, string) {
	secret := NewSecret()
	now := c.now().UTC()
	return &tokend.Client{
		ID:          uuid.NewString(),
		TenantID:    tenantID,
		ObjectID:    uuid.NewString(),
		DisplayName: displayName,
		SecretHash:  c.hasher.hash(secret),
		SecretHint:  secretHint(secret),
		CreatedAt:   now,
		UpdatedAt:   now,
	}, secret
}

// Get returns one client.
func (c *Clients) Get(ctx context.Context, id string) (*tokend.Client, error) {
	// The store's error names the client already.
	return c.store.GetClient(ctx, strings.ToLower(id))
}

// List returns every client.
func (c *Clients) List(ctx context.Context) ([]*tokend.Client, error) {
	list, err := c.store.ListClients(ctx)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return list, nil
}

// Delete removes a client and its role assignments together, so a client id
// reused by accident never inherits a dead client's access.
func (c *Clients) Delete(ctx context.Context, id string) error {
	id = strings.ToLower(id)
	err := c.store.InTx(ctx, func(q tokend.Queries) error {
		cl, err := q.GetClient(ctx, id)
		if err != nil {
			return err
		}
		assignments, err := q.ListRoleAssignments(ctx, cl.ObjectID)
		if err != nil {
			return err
		}
		for _, a := range assignments {
			if err := q.DeleteRoleAssignment(ctx, a.ID); err != nil {
				return err
			}
		}
		if err := q.DeleteClient(ctx, id); err != nil {
			return err
		}
		if err := bumpClientsGeneration(ctx, q); err != nil {
			return err
		}
		return bumpRBACGeneration(ctx, q)
	})
	c.cache.invalidate()
	c.onDelete()
	if err != nil {
		return fmt.Errorf("delete client %s: %w", id, err)
	}
	return nil
}

// ResetSecret replaces a client's secret and returns the new one. The old
// secret stops working at once; tokens already issued stay valid until they
// expire (revoke them to end them sooner).
func (c *Clients) ResetSecret(ctx context.Context, id string) (string, error) {
	id = strings.ToLower(id)
	secret := NewSecret()
	err := c.store.InTx(ctx, func(q tokend.Queries) error {
		cl, err := q.GetClient(ctx, id)
		if err != nil {
			return err
		}
		cl.SecretHash = c.hasher.hash(secret)
		cl.SecretHint = secretHint(secret)
		cl.UpdatedAt = c.now().UTC()
		if err := q.UpdateClient(ctx, cl); err != nil {
			return err
		}
		return bumpClientsGeneration(ctx, q)
	})
	c.cache.invalidate()
	if err != nil {
		return "", fmt.Errorf("reset secret of client %s: %w", id, err)
	}
	return secret, nil
}

// Authenticate checks a client's credentials for a token request at
// tenantID. It answers ErrClientNotFound or ErrInvalidSecret (wrapped), never
// saying more than Entra would.
func (c *Clients) Authenticate(ctx context.Context, tenantID, clientID, secret string) (*tokend.Client, error) {
	cl, err := c.lookup(ctx, tenantID, clientID)
	if err != nil {
		return nil, err
	}
	// The checksum refuses typos and truncated secrets cheaply; the hash
	// comparison is constant-time either way.
	if CheckSecretFormat(secret) != nil || !c.hasher.verify(secret, cl.SecretHash) {
		return nil, ErrInvalidSecret
	}
	return cl, nil
}

// lookup finds a client of tenantID through the cache; ErrClientNotFound
// (wrapped) when there is none.
func (c *Clients) lookup(ctx context.Context, tenantID, clientID string) (*tokend.Client, error) {
	if _, err := uuid.Parse(clientID); err != nil {
		return nil, ErrClientNotFound
	}
	id := strings.ToLower(clientID)
	// Microsoft's first-party clients are in every tenant and never in
	// storage (their ids cannot be registered): no read for them, which
	// was 8 % of a refresh's server CPU when each missed the cache.
	if fp := firstPartyClient(tenantID, id); fp != nil {
		return fp, nil
	}
	cl, epoch := c.cache.get(id)
	if cl == nil {
		var err error
		cl, err = c.store.GetClient(ctx, id)
		if errors.Is(err, tokend.ErrNotFound) {
			return nil, ErrClientNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("look up client %s: %w", clientID, err)
		}
		c.cache.put(cl, epoch)
	}
	if !strings.EqualFold(cl.TenantID, tenantID) {
		return nil, ErrClientNotFound
	}
	return cl, nil
}
