package identity

import (
	"context"
	"errors"
	"fmt"

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
		return s.loadBootstrap(ctx)
	}
	if err != nil {
		return nil, err
	}
	s.authz.Invalidate()
	return out, nil
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
