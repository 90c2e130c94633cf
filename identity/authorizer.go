package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"golang.org/x/sync/singleflight"
)

// Authorizer evaluates role assignments (tokend.Authorizer). Each
// principal's assignments are cached in memory, so a check is a few string
// comparisons; the cache is dropped when the RBAC generation in meta moves
// (any node's change), at once for this node's own changes, and entries are
// reloaded after maxAge regardless, bounding staleness should polling fail.
type Authorizer struct {
	store  tokend.Store
	roles  *RoleCatalog
	now    func() time.Time
	log    *slog.Logger
	maxAge time.Duration

	mu         sync.RWMutex
	byID       map[string]*principalGrants
	generation string
	// epoch counts invalidations: a load that started before one must not
	// cache what it read.
	epoch uint64
	loads singleflight.Group
}

type principalGrants struct {
	grants   []grant
	loadedAt time.Time
}

type grant struct {
	role  *Role
	scope string
}

// maxCachedPrincipals bounds the cache: principals from trusted external
// issuers are not enumerable in advance.
const maxCachedPrincipals = 10000

// NewAuthorizer returns an authorizer over store that knows the roles of
// catalog (nil: the built-in roles only).
func NewAuthorizer(store tokend.Store, roles *RoleCatalog, now func() time.Time, log *slog.Logger) *Authorizer {
	if roles == nil {
		roles = defaultRoles()
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Authorizer{store: store, roles: roles, now: now, log: log, maxAge: time.Minute, byID: map[string]*principalGrants{}}
}

// Authorize checks a control-plane action (a role's Actions).
func (a *Authorizer) Authorize(ctx context.Context, p *tokend.Principal, action, scope string) error {
	return a.check(ctx, p, action, scope, false)
}

// AuthorizeData checks a data-plane action (a role's DataActions only).
func (a *Authorizer) AuthorizeData(ctx context.Context, p *tokend.Principal, dataAction, scope string) error {
	return a.check(ctx, p, dataAction, scope, true)
}

func (a *Authorizer) check(ctx context.Context, p *tokend.Principal, action, scope string, data bool) error {
	if p == nil || p.ObjectID == "" {
		return &tokend.AuthorizationError{Action: action, Scope: scope}
	}
	target := lowerASCII(scope)
	if target == "" {
		target = "/"
	}
	denied := &tokend.AuthorizationError{PrincipalID: p.ObjectID, Action: action, Scope: scope}
	// A resource-bound token (tokend.ClaimResource, such as a data-plane
	// access token) acts on its own resource only, whatever its
	// principal's roles.
	if p.Resource != "" && !scopeCovers(lowerASCII(p.Resource), target) {
		return denied
	}
	grants, err := a.grantsFor(ctx, p.ObjectID)
	if err != nil {
		return err
	}
	act := lowerASCII(action)
	for _, g := range grants {
		if !scopeCovers(g.scope, target) {
			continue
		}
		if data && g.role.data.permits(act) || !data && g.role.control.permits(act) {
			return nil
		}
	}
	return denied
}

// ScopesOf lists the scopes at which p holds any role (canonical, lower
// case), for lists by access: ARM shows a principal the subscriptions it
// has a role at, below or above. A principal bound to one resource (a
// data-plane access token) has none.
func (a *Authorizer) ScopesOf(ctx context.Context, p *tokend.Principal) ([]string, error) {
	if p == nil || p.ObjectID == "" || p.Resource != "" {
		return nil, nil
	}
	grants, err := a.grantsFor(ctx, p.ObjectID)
	if err != nil {
		return nil, err
	}
	scopes := make([]string, 0, len(grants))
	for _, g := range grants {
		scopes = append(scopes, g.scope)
	}
	return scopes, nil
}

func (a *Authorizer) grantsFor(ctx context.Context, principalID string) ([]grant, error) {
	a.mu.RLock()
	pg := a.byID[principalID]
	a.mu.RUnlock()
	if pg != nil && a.now().Sub(pg.loadedAt) < a.maxAge {
		return pg.grants, nil
	}
	// Concurrent misses for one principal share a single query.
	v, err, _ := a.loads.Do(principalID, func() (any, error) {
		return a.load(ctx, principalID)
	})
	if err != nil {
		return nil, err
	}
	return v.([]grant), nil
}

func (a *Authorizer) load(ctx context.Context, principalID string) ([]grant, error) {
	loadedAt := a.now()
	a.mu.RLock()
	epoch := a.epoch
	a.mu.RUnlock()
	list, err := a.store.ListRoleAssignments(ctx, principalID)
	if err != nil {
		return nil, fmt.Errorf("load role assignments of %s: %w", principalID, err)
	}
	grants := make([]grant, 0, len(list))
	for _, ra := range list {
		def, ok := a.roles.Lookup(ra.Role)
		if !ok {
			a.log.Warn("role assignment names an unknown role; ignored", "assignment", ra.ID, "role", ra.Role)
			continue
		}
		if !def.AssignableAt(ra.Scope) {
			// Writes keep this from happening; a role edited by an older
			// node, or by hand, must still not grant outside its scopes.
			a.log.Warn("role assignment is outside its role's assignable scopes; ignored", "assignment", ra.ID, "role", ra.Role, "scope", ra.Scope)
			continue
		}
		grants = append(grants, grant{role: def, scope: ra.Scope})
	}
	a.mu.Lock()
	if a.epoch == epoch {
		if len(a.byID) >= maxCachedPrincipals {
			a.byID = map[string]*principalGrants{}
		}
		a.byID[principalID] = &principalGrants{grants: grants, loadedAt: loadedAt}
	}
	a.mu.Unlock()
	return grants, nil
}

// Invalidate drops every cached assignment.
func (a *Authorizer) Invalidate() {
	a.mu.Lock()
	a.byID = map[string]*principalGrants{}
	a.epoch++
	a.mu.Unlock()
}

// syncGeneration reloads the custom roles and drops the cache when
// another node changed assignments or roles.
func (a *Authorizer) syncGeneration(ctx context.Context) error {
	v, err := a.store.GetMeta(ctx, rbacGenerationMeta)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read role assignment generation: %w", err)
	}
	g := string(v)
	a.mu.RLock()
	same := g == a.generation
	a.mu.RUnlock()
	if same {
		return nil
	}
	// Roles first: grants loaded after the cache drops must see them.
	// A failed reload keeps the generation, so the next tick retries.
	ignored, err := a.roles.Reload(ctx, a.store)
	if err != nil {
		return err
	}
	for _, why := range ignored {
		a.log.Warn("custom role ignored", "reason", why)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.generation = g
	a.byID = map[string]*principalGrants{}
	a.epoch++
	return nil
}

// Holds reports whether p holds an action pattern (wildcards allowed) at
// a scope through one of its roles: the pattern is matched by one of the
// role's allowed patterns and overlaps none of its excluded ones. It is
// how a custom role is kept from granting what its creator lacks.
func (a *Authorizer) Holds(ctx context.Context, p *tokend.Principal, pattern, scope string, data bool) (bool, error) {
	if p == nil || p.ObjectID == "" || p.Resource != "" {
		return false, nil
	}
	grants, err := a.grantsFor(ctx, p.ObjectID)
	if err != nil {
		return false, err
	}
	target, pattern := lowerASCII(scope), lowerASCII(pattern)
	for _, g := range grants {
		set := g.role.control
		if data {
			set = g.role.data
		}
		if scopeCovers(g.scope, target) && set.covers(pattern) {
			return true, nil
		}
	}
	return false, nil
}
