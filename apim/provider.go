package apim

import (
	"context"
	"fmt"
	"net/http"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/wire"
)

// Namespace is the resource provider namespace served.
const Namespace = "Microsoft.ApiManagement"

// Route patterns, as the spec writes them.
const (
	servicesBySubscription = "/subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/service"
	servicesByGroup        = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service"
	servicePath            = servicesByGroup + "/{serviceName}"
	authServersPath        = servicePath + "/authorizationServers"
	authServerPath         = authServersPath + "/{authsid}"
	listSecretsPath        = authServerPath + "/listSecrets"
)

// Config is what the provider needs.
type Config struct {
	Store tokend.Store
	// Box seals authorization server secrets at rest.
	Box *seal.Box
	Now func() time.Time // default time.Now
}

// Provider serves Microsoft.ApiManagement.
type Provider struct {
	store tokend.Store
	box   *seal.Box
	now   func() time.Time
}

// New checks the configuration and returns the provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Store == nil || cfg.Box == nil {
		return nil, fmt.Errorf("apim: Store and Box are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{store: cfg.Store, box: cfg.Box, now: cfg.Now}, nil
}

// Describe is the Microsoft.ApiManagement provider: its routes, and the
// hook that deletes a resource group's authorization servers with the
// group.
func (p *Provider) Describe() *pipeline.Provider {
	return &pipeline.Provider{
		Namespace: Namespace, Family: wire.FamilyAPIM, Versions: Versions,
		Routes: []pipeline.Route{
			pipeline.Op(http.MethodGet, servicesBySubscription, p.listServicesBySubscription),
			pipeline.Op(http.MethodGet, servicesByGroup, p.listServicesByGroup),
			pipeline.Op(http.MethodGet, servicePath, p.getService),
			pipeline.Op(http.MethodPut, servicePath, p.putService),
			pipeline.Op(http.MethodPatch, servicePath, p.patchService),
			pipeline.Op(http.MethodDelete, servicePath, p.deleteService),

			pipeline.Op(http.MethodGet, authServersPath, p.listAuthServers),
			pipeline.Op(http.MethodGet, authServerPath, p.getAuthServer),
			pipeline.Op(http.MethodHead, authServerPath, p.headAuthServer),
			pipeline.Op(http.MethodPut, authServerPath, p.putAuthServer),
			pipeline.Op(http.MethodPatch, authServerPath, p.patchAuthServer),
			pipeline.Op(http.MethodDelete, authServerPath, p.deleteAuthServer),
			// The ARM surface derives the RBAC action
			// Microsoft.ApiManagement/service/authorizationServers/listSecrets/action,
			// which Reader's */read does not grant, as in Azure.
			pipeline.Op(http.MethodPost, listSecretsPath, p.listAuthServerSecrets),
		},
		OnGroupDelete: p.onGroupDelete,
	}
}

// onGroupDelete deletes a group's authorization servers. Services are
// generic resources, which the group delete removes itself; authorization
// servers are in their own table. Each service's lock is taken first, as
// deleteService does, so that a server being written under it commits
// before the delete (and goes with it) or finds its service gone: no
// server outlives its service.
func (p *Provider) onGroupDelete(ctx context.Context, q tokend.Queries, groupKey string) error {
	services, err := q.ListResources(ctx, tokend.ResourceQuery{Scope: groupKey, Type: serviceTypeKey})
	if err != nil {
		return fmt.Errorf("list services of %s: %w", groupKey, err)
	}
	for _, svc := range services { // key order: every deleter locks alike
		if err := q.Lock(ctx, lockName(svc.Key)); err != nil {
			return err
		}
	}
	if _, err := q.DeleteAuthorizationServersUnder(ctx, groupKey); err != nil {
		return fmt.Errorf("delete authorization servers of %s: %w", groupKey, err)
	}
	return nil
}
