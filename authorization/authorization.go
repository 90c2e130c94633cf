// Package authorization serves Microsoft.Authorization over ARM: role
// definitions (the roles tokend enforces, built in and the providers')
// and role assignments at any scope — the root, a subscription, a resource
// group or a resource — so that `az role assignment create`, Terraform's
// azurerm_role_assignment and armauthorization manage access. It reads
// and writes the same assignments as `tokend roles`: one source of truth.
package authorization

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Namespace is the provider namespace served.
const Namespace = "Microsoft.Authorization"

// Versions are the api-versions served: those the Azure CLI, Terraform and
// armauthorization send.
var Versions = wire.NewAPIVersions(
	"2015-07-01", "2018-01-01-preview", "2018-09-01-preview", "2020-04-01-preview",
	"2020-08-01-preview", "2020-10-01-preview", "2022-04-01", "2022-05-01-preview",
)

// Assignments is where the provider reads and writes assignments: the
// issuer's, so that this node's authorization cache drops at once.
type Assignments interface {
	AssignAs(ctx context.Context, id, principalID, role, scope string) (*tokend.RoleAssignment, bool, error)
	PutCustomRole(ctx context.Context, p *tokend.Principal, def tokend.CustomRole) (*identity.Role, bool, error)
	DeleteCustomRole(ctx context.Context, p *tokend.Principal, id string) (*identity.Role, error)
	List(ctx context.Context, principalID string) ([]*tokend.RoleAssignment, error)
	Remove(ctx context.Context, id string) error
	Roles() *identity.RoleCatalog
}

// Binding supplies the Assignments once the issuer exists: providers are
// described before it.
type Binding struct{ to atomic.Pointer[Assignments] }

// Bind sets the assignments the provider uses.
func (b *Binding) Bind(a Assignments) { b.to.Store(&a) }

func (b *Binding) get() (Assignments, error) {
	if p := b.to.Load(); p != nil {
		return *p, nil
	}
	return nil, errors.New("authorization: role assignments are not available (the issuer is not running)")
}

// Config is what the provider needs.
type Config struct {
	Store       tokend.Store
	Assignments *Binding
}

// Provider serves Microsoft.Authorization.
type Provider struct {
	store tokend.Store
	bind  *Binding
}

// New returns the provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Store == nil || cfg.Assignments == nil {
		return nil, errors.New("authorization: Store and Assignments are required")
	}
	return &Provider{store: cfg.Store, bind: cfg.Assignments}, nil
}

// Describe is the provider's descriptor. Its routes open with a scope
// parameter: the same operation serves every scope.
func (p *Provider) Describe() *pipeline.Provider {
	const base = "/{scope*}/providers/Microsoft.Authorization"
	return &pipeline.Provider{
		Namespace: Namespace, Family: wire.FamilyARM, Versions: Versions,
		Routes: []pipeline.Route{
			pipeline.Op(http.MethodGet, base+"/roleDefinitions", p.listDefinitions),
			pipeline.Op(http.MethodGet, base+"/roleDefinitions/{roleDefinitionId}", p.getDefinition),
			pipeline.Op(http.MethodPut, base+"/roleDefinitions/{roleDefinitionId}", p.putDefinition),
			pipeline.Op(http.MethodDelete, base+"/roleDefinitions/{roleDefinitionId}", p.deleteDefinition),
			pipeline.Op(http.MethodGet, base+"/roleAssignments", p.listAssignments),
			pipeline.Op(http.MethodGet, base+"/roleAssignments/{roleAssignmentName}", p.getAssignment),
			pipeline.Op(http.MethodPut, base+"/roleAssignments/{roleAssignmentName}", p.putAssignment),
			pipeline.Op(http.MethodDelete, base+"/roleAssignments/{roleAssignmentName}", p.deleteAssignment),
		},
	}
}

// scopePrefix is how ids below a scope begin: "" at the root.
func scopePrefix(scope string) string {
	if scope == "/" {
		return ""
	}
	return scope
}
