package identity

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// tenants resolves the tenant segment of an identity URL (MSAL sends the
// tenant id; "organizations", "common", "consumers" and "adfs" mean the
// default tenant here) and
// knows which tenant ids are ours, for the issuer check. The set is cached
// and reloaded when an unknown id shows up, at most once a second.
type tenants struct {
	store     tokend.TenantStore
	defaultID string
	now       func() time.Time

	mu         sync.RWMutex
	known      map[string]bool
	lastReload time.Time
}

func newTenants(store tokend.TenantStore, defaultID string, now func() time.Time) *tenants {
	return &tenants{store: store, defaultID: strings.ToLower(defaultID), now: now,
		known: map[string]bool{strings.ToLower(defaultID): true}}
}

// resolve maps a path segment to a tenant id, or false when it names none.
func (t *tenants) resolve(ctx context.Context, seg string) (string, bool) {
	id := strings.ToLower(seg)
	switch id {
	case "organizations", "common", "consumers":
		return t.defaultID, true
	case "adfs":
		// MSAL treats an authority whose path is /adfs as AD FS and skips
		// its instance validation against Microsoft's hosts: the Azure CLI
		// signs in to tokend through it (docs/identity.md).
		return t.defaultID, true
	}
	if _, err := uuid.Parse(id); err != nil {
		return "", false
	}
	return id, t.isKnown(ctx, id)
}

func (t *tenants) isKnown(ctx context.Context, id string) bool {
	t.mu.RLock()
	ok, last := t.known[id], t.lastReload
	t.mu.RUnlock()
	if ok || t.now().Sub(last) < time.Second {
		return ok
	}
	list, err := t.store.ListTenants(ctx)
	if err != nil {
		return false
	}
	known := make(map[string]bool, len(list)+1)
	known[t.defaultID] = true
	for _, tn := range list {
		known[strings.ToLower(tn.ID)] = true
	}
	t.mu.Lock()
	t.known, t.lastReload = known, t.now()
	t.mu.Unlock()
	return known[id]
}
