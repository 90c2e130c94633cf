package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// bootstrapMeta names the meta row claiming the bootstrap client; its value
// is the client id.
const bootstrapMeta = "bootstrap-client"

// Bootstrap is the first client: Owner at the root scope "/", and the
// providers' bootstrap roles there (Config.BootstrapRoles: data-plane
// owners, whose data actions Owner's "*" does not reach), so a fresh
// tokend is usable with nothing configured.
type Bootstrap struct {
	Client *tokend.Client // nil when the bootstrap client has been deleted
	// Secret is set only when this call created the client: it is never
	// stored, so this is the one chance to show it.
	Secret  string
	Created bool
}

var errBootstrapTaken = errors.New("bootstrap client already claimed")

// EnsureBootstrap creates the bootstrap client on the first start of the
// first node. The claim (a CreateMeta, under a cross-node lock), the client
// and its role assignments commit in one transaction, so nodes starting
// together create exactly one, and a crash leaves none half made.
func (s *Service) EnsureBootstrap(ctx context.Context) (*Bootstrap, error) {
	return s.EnsureBootstrapAs(ctx, BootstrapCredentials{})
}

// BootstrapCredentials fix the bootstrap client's id and secret in advance
// (CI jobs that start a throwaway tokend and know what to sign in with):
// a UUID and a secret in tokend's format (NewSecret). Either may be empty,
// for a generated one.
type BootstrapCredentials struct {
	ClientID, Secret string
}

// Check refuses an id that is not a UUID and a secret tokend would refuse.
func (c BootstrapCredentials) Check() error {
	if c.ClientID != "" {
		if _, err := uuid.Parse(c.ClientID); err != nil {
			return fmt.Errorf("bootstrap client id %q is not a UUID (make one with uuidgen)", c.ClientID)
		}
	}
	if c.Secret != "" && CheckSecretFormat(c.Secret) != nil {
		return fmt.Errorf("the bootstrap client secret is not a tokend client secret (%s followed by 49 letters and digits with a checksum): make one with `tokend new-secret`", SecretPrefix)
	}
	return nil
}

// EnsureBootstrapAs is EnsureBootstrap with the client's id and secret
// fixed. When the bootstrap client exists already it must be that client
// with that secret: a start is refused rather than silently signing in as
// someone else.
func (s *Service) EnsureBootstrapAs(ctx context.Context, fixed BootstrapCredentials) (*Bootstrap, error) {
	if err := fixed.Check(); err != nil {
		return nil, err
	}
	fixed.ClientID = strings.ToLower(fixed.ClientID)
	var out *Bootstrap
	err := s.cfg.Store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, "bootstrap"); err != nil {
			return fmt.Errorf("lock bootstrap: %w", err)
		}
		if _, err := q.GetMeta(ctx, bootstrapMeta); err == nil {
			return errBootstrapTaken
		} else if !errors.Is(err, tokend.ErrNotFound) {
			return fmt.Errorf("read bootstrap marker: %w", err)
		}
		client, secret := s.Clients.newClient(s.cfg.DefaultTenantID, "tokend bootstrap")
		if fixed.ClientID != "" {
			client.ID = fixed.ClientID
		}
		if fixed.Secret != "" {
			secret = fixed.Secret
			client.SecretHash, client.SecretHint = s.Clients.hasher.hash(secret), secretHint(secret)
		}
		if err := q.CreateMeta(ctx, bootstrapMeta, []byte(client.ID)); errors.Is(err, tokend.ErrAlreadyExists) {
			return errBootstrapTaken
		} else if err != nil {
			return fmt.Errorf("claim bootstrap: %w", err)
		}
		if err := q.CreateClient(ctx, client); err != nil {
			return fmt.Errorf("create bootstrap client: %w", err)
		}
		now := s.cfg.Now()
		for _, role := range append([]string{RoleOwner}, s.cfg.BootstrapRoles...) {
			if _, err := assignIn(ctx, q, s.cfg.Roles, client.ObjectID, role, "/", now); err != nil {
				return fmt.Errorf("assign %s to the bootstrap client: %w", role, err)
			}
		}
		out = &Bootstrap{Client: client, Secret: secret, Created: true}
		return nil
	})
	if errors.Is(err, errBootstrapTaken) {
		return s.loadFixedBootstrap(ctx, fixed)
	}
	if err != nil {
		return nil, err
	}
	s.authz.Invalidate()
	return out, nil
}

// loadFixedBootstrap loads the existing bootstrap client and checks it
// against the fixed credentials.
func (s *Service) loadFixedBootstrap(ctx context.Context, fixed BootstrapCredentials) (*Bootstrap, error) {
	b, err := s.loadBootstrap(ctx)
	if err != nil || fixed == (BootstrapCredentials{}) {
		return b, err
	}
	if b.Client == nil {
		return nil, errors.New("the bootstrap client was deleted: the fixed bootstrap credentials name no client (start on a fresh database, or drop them)")
	}
	if fixed.ClientID != "" && fixed.ClientID != b.Client.ID {
		return nil, fmt.Errorf("the bootstrap client is %s, not the fixed %s: the database was bootstrapped before (start on a fresh database, or drop the fixed id)", b.Client.ID, fixed.ClientID)
	}
	if fixed.Secret != "" {
		if !s.Clients.hasher.verify(fixed.Secret, b.Client.SecretHash) {
			return nil, fmt.Errorf("the fixed bootstrap secret is not the secret of bootstrap client %s (reset it with `tokend clients reset-secret %s`, or drop it)", b.Client.ID, b.Client.ID)
		}
		b.Secret = fixed.Secret
	}
	return b, nil
}

func (s *Service) loadBootstrap(ctx context.Context) (*Bootstrap, error) {
	id, err := s.cfg.Store.GetMeta(ctx, bootstrapMeta)
	if err != nil {
		return nil, fmt.Errorf("read bootstrap marker: %w", err)
	}
	client, err := s.cfg.Store.GetClient(ctx, string(id))
	if errors.Is(err, tokend.ErrNotFound) {
		return &Bootstrap{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load bootstrap client: %w", err)
	}
	return &Bootstrap{Client: client}, nil
}
