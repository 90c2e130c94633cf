package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/seal"
)

// managedIdentityNamePattern is Azure's rule for a user-assigned identity's
// name: 3 to 128 letters, digits, '-' or '_', starting with a letter or
// digit.
var managedIdentityNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)

// ManagedIdentity is a managed identity with what a workload needs to use
// it: its client and principal ids, and its identity header.
type ManagedIdentity struct {
	Name        string
	ClientID    string
	PrincipalID string
	TenantID    string
	// Header is the identity header (IDENTITY_HEADER / X-IDENTITY-HEADER)
	// that proves a request comes from the identity's workload.
	Header    string
	CreatedAt time.Time
}

// ManagedIdentities creates managed identities: service principals without
// a secret, reached through the managed-identity endpoints with their
// identity header, which is sealed at rest (recoverable for `tokend
// managed-identities env`).
type ManagedIdentities struct {
	store   tokend.Store
	box     *seal.Box
	clients *Clients
	now     func() time.Time

	// snap is the identities as last loaded, read without a lock on every
	// token request; one loader at a time replaces it (loading).
	snap    atomic.Pointer[identitySnapshot]
	loading sync.Mutex
}

// identitySnapshot is every managed identity, opened, and by the SHA-256
// of its header.
type identitySnapshot struct {
	list     []*ManagedIdentity
	byHeader map[[32]byte]*ManagedIdentity
	loadedAt time.Time
}

// snapshotMaxAge bounds how long a snapshot answers: an identity deleted
// or created by another process (the CLI, another node) is seen within it.
const snapshotMaxAge = time.Second

// NewManagedIdentities returns the managed identity registry.
func NewManagedIdentities(store tokend.Store, box *seal.Box, clients *Clients, now func() time.Time) *ManagedIdentities {
	if now == nil {
		now = time.Now
	}
	return &ManagedIdentities{store: store, box: box, clients: clients, now: now}
}

func headerAAD(name string) []byte { return []byte("managed-identity-header:" + name) }

// Create makes a managed identity in tenantID.
func (m *ManagedIdentities) Create(ctx context.Context, tenantID, name string) (*ManagedIdentity, error) {
	if !managedIdentityNamePattern.MatchString(name) {
		return nil, invalidCredential("name", "the managed identity name %q must be 3 to 128 letters, digits, '-' or '_', starting with a letter or digit", name)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("generate identity header: %w", err)
	}
	header := base64.RawURLEncoding.EncodeToString(raw[:])
	now := m.now().UTC()
	cl := &tokend.Client{ID: uuid.NewString(), TenantID: tenantID, ObjectID: uuid.NewString(), DisplayName: name,
		Kind: tokend.ClientManagedIdentity, CreatedAt: now, UpdatedAt: now}
	mi := &tokend.ManagedIdentity{Name: name, ClientID: cl.ID, HeaderSealed: m.box.Seal([]byte(header), headerAAD(name)), CreatedAt: now}
	err := m.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.CreateClient(ctx, cl); err != nil {
			return err
		}
		return q.CreateManagedIdentity(ctx, mi)
	})
	if err != nil {
		return nil, fmt.Errorf("create managed identity %s: %w", name, err)
	}
	m.forget()
	return &ManagedIdentity{Name: name, ClientID: cl.ID, PrincipalID: cl.ObjectID, TenantID: tenantID, Header: header, CreatedAt: now}, nil
}

// Get returns one managed identity with its header.
func (m *ManagedIdentities) Get(ctx context.Context, name string) (*ManagedIdentity, error) {
	mi, err := m.store.GetManagedIdentity(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("get managed identity %s: %w", name, err)
	}
	return m.open(ctx, mi)
}

func (m *ManagedIdentities) open(ctx context.Context, mi *tokend.ManagedIdentity) (*ManagedIdentity, error) {
	cl, err := m.store.GetClient(ctx, mi.ClientID)
	if err != nil {
		return nil, fmt.Errorf("get client of managed identity %s: %w", mi.Name, err)
	}
	header, err := m.box.Open(mi.HeaderSealed, headerAAD(mi.Name))
	if err != nil {
		return nil, fmt.Errorf("open identity header of %s: %w", mi.Name, err)
	}
	return &ManagedIdentity{Name: mi.Name, ClientID: cl.ID, PrincipalID: cl.ObjectID, TenantID: cl.TenantID,
		Header: string(header), CreatedAt: mi.CreatedAt}, nil
}

// List returns every managed identity, headers included.
func (m *ManagedIdentities) List(ctx context.Context) ([]*ManagedIdentity, error) {
	list, err := m.store.ListManagedIdentities(ctx)
	if err != nil {
		return nil, fmt.Errorf("list managed identities: %w", err)
	}
	out := make([]*ManagedIdentity, 0, len(list))
	for _, mi := range list {
		o, err := m.open(ctx, mi)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Environment is what Azure's hosts give a workload with a managed
// identity, for tokend's managed-identity endpoint at a base URL.
type Environment struct {
	Name string
	// IdentityEndpoint and IdentityHeader are IDENTITY_ENDPOINT and
	// IDENTITY_HEADER (App Service, Container Apps: azidentity's
	// ManagedIdentityCredential); ClientID is AZURE_CLIENT_ID.
	IdentityEndpoint string
	IdentityHeader   string
	ClientID         string
	// MSIEndpoint is MSI_ENDPOINT (Cloud Shell: az login --identity), set
	// only for the identity the Cloud Shell and IMDS endpoints answer for,
	// since those name no identity.
	MSIEndpoint string
}

// Environment returns the workload environment of the identity named
// name at baseURL. def names the identity the Cloud Shell and IMDS
// endpoints answer for (serve's --imds-identity; "": the only one there
// is); isDefault says it is this one regardless.
func (m *ManagedIdentities) Environment(ctx context.Context, name, baseURL, def string, isDefault bool) (*Environment, error) {
	mi, err := m.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if !isDefault {
		if def != "" {
			isDefault = strings.EqualFold(def, mi.Name)
		} else {
			all, err := m.store.ListManagedIdentities(ctx)
			if err != nil {
				return nil, fmt.Errorf("list managed identities: %w", err)
			}
			isDefault = len(all) == 1
		}
	}
	env := &Environment{Name: mi.Name, IdentityEndpoint: strings.TrimRight(baseURL, "/") + ManagedIdentityPath,
		IdentityHeader: mi.Header, ClientID: mi.ClientID}
	if isDefault {
		env.MSIEndpoint = env.IdentityEndpoint
	}
	return env, nil
}

// Delete removes a managed identity, its service principal and its role
// assignments.
func (m *ManagedIdentities) Delete(ctx context.Context, name string) error {
	mi, err := m.store.GetManagedIdentity(ctx, name)
	if err != nil {
		return fmt.Errorf("delete managed identity %s: %w", name, err)
	}
	// Deleting the client takes its assignments with it and cascades to
	// the managed identity's row.
	if err := m.clients.Delete(ctx, mi.ClientID); err != nil {
		return err
	}
	if err := m.store.DeleteManagedIdentity(ctx, name); err != nil && !errors.Is(err, tokend.ErrNotFound) {
		return fmt.Errorf("delete managed identity %s: %w", name, err)
	}
	m.forget()
	return nil
}

// forget drops the snapshot after a change on this node.
func (m *ManagedIdentities) forget() { m.snap.Store(nil) }

// snapshot returns the identities, loading them when there is no snapshot
// or it is older than snapshotMaxAge. While one request loads, others keep
// answering from the previous snapshot: no request waits on another's
// database reads unless there is nothing to answer from.
func (m *ManagedIdentities) snapshot(ctx context.Context) (*identitySnapshot, error) {
	s := m.snap.Load()
	if s != nil && m.now().Sub(s.loadedAt) < snapshotMaxAge {
		return s, nil
	}
	if s != nil && !m.loading.TryLock() {
		return s, nil // another request is loading
	}
	if s == nil {
		m.loading.Lock()
	}
	defer m.loading.Unlock()
	if cur := m.snap.Load(); cur != nil && cur != s && m.now().Sub(cur.loadedAt) < snapshotMaxAge {
		return cur, nil // loaded while this one waited
	}
	list, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	next := &identitySnapshot{list: list, byHeader: make(map[[32]byte]*ManagedIdentity, len(list)), loadedAt: m.now()}
	for _, mi := range list {
		next.byHeader[sha256.Sum256([]byte(mi.Header))] = mi
	}
	m.snap.Store(next)
	return next, nil
}

// byHeaderValue finds the identity a header belongs to, by the header's
// SHA-256 (the header itself is never kept in a map key).
func (m *ManagedIdentities) byHeaderValue(ctx context.Context, header string) (*ManagedIdentity, error) {
	s, err := m.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if mi := s.byHeader[sha256.Sum256([]byte(header))]; mi != nil {
		return mi, nil
	}
	return nil, tokend.ErrNotFound
}

// selectIdentity finds the identity a request names by client id, object
// (principal) id or resource id (the name's last segment), or the default
// one: named by def, or the only one there is.
func (m *ManagedIdentities) selectIdentity(ctx context.Context, clientID, objectID, resourceID, def string) (*ManagedIdentity, error) {
	s, err := m.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	for _, mi := range s.list {
		switch {
		case clientID != "" && strings.EqualFold(mi.ClientID, clientID),
			objectID != "" && strings.EqualFold(mi.PrincipalID, objectID),
			resourceID != "" && strings.EqualFold(lastSegment(resourceID), mi.Name):
			return mi, nil
		}
	}
	if clientID != "" || objectID != "" || resourceID != "" {
		return nil, tokend.ErrNotFound
	}
	if def != "" {
		for _, mi := range s.list {
			if strings.EqualFold(mi.Name, def) {
				return mi, nil
			}
		}
		return nil, tokend.ErrNotFound
	}
	if len(s.list) == 1 {
		return s.list[0], nil
	}
	return nil, tokend.ErrNotFound
}

func lastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	return id[strings.LastIndexByte(id, '/')+1:]
}
