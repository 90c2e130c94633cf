package pipeline

import (
	"context"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// Provider describes one resource provider to the composition (package
// app), in the same shape for every provider package. The composition
// registers its routes on the ARM router, mounts its data planes, hands its
// roles, audiences and token validators to identity, and its group-delete
// hook to Microsoft.Resources; no shared file names a provider otherwise.
type Provider struct {
	// Namespace is the ARM namespace ("Microsoft.App").
	Namespace string
	// Family is the namespace's error envelope; Versions its api-versions.
	// Both are the defaults of its Routes.
	Family   wire.Family
	Versions *wire.APIVersions
	// Routes are the provider's ARM operations.
	Routes []Route
	// DataPlanes are surfaces of the provider's own, each under a first
	// path segment of the server.
	DataPlanes []DataPlane
	// OnGroupDelete runs in the transaction that deletes a resource group,
	// for rows the provider keeps outside the resources table; nil when
	// the group delete removes all it has.
	OnGroupDelete GroupDeleteHook
	// TokenValidators run on every authentication and introspection of a
	// token: a provider refuses tokens bound to what it has since deleted.
	TokenValidators []tokend.TokenValidator
	// Roles are the built-in roles the provider's actions and data actions
	// are granted by.
	Roles []tokend.RoleDefinition
	// BootstrapRoles are roles the bootstrap client holds at "/".
	BootstrapRoles []string
	// Audiences are the token audiences of the provider's surfaces.
	Audiences []tokend.AudienceDefinition
}

// DataPlane is one surface of a provider's own.
type DataPlane struct {
	// Segment is the first path segment the surface is served under.
	Segment string
	Surface Surface
	Routes  []Route
}

// GroupDeleteHook runs inside the transaction that deletes a resource
// group (groupKey is its canonical key).
type GroupDeleteHook func(ctx context.Context, q tokend.Queries, groupKey string) error

// RoutesWithDefaults returns the provider's routes with its Family and
// Versions filled in where a route names none.
func (p *Provider) RoutesWithDefaults() []Route {
	out := make([]Route, len(p.Routes))
	for i, r := range p.Routes {
		if r.Versions == nil {
			r.Versions = p.Versions
		}
		if r.Family == wire.FamilyARM {
			r.Family = p.Family
		}
		out[i] = r
	}
	return out
}

// GroupDeleteHooks collects the providers' group-delete hooks, for
// Microsoft.Resources to run.
func GroupDeleteHooks(providers []*Provider) []GroupDeleteHook {
	var hooks []GroupDeleteHook
	for _, p := range providers {
		if p.OnGroupDelete != nil {
			hooks = append(hooks, p.OnGroupDelete)
		}
	}
	return hooks
}
