package apim

import (
	"context"
	"fmt"
	"net/http"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/seal"
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

// Register adds the Microsoft.ApiManagement routes to rt, and the hook that
// deletes a resource group's authorization servers with the group.
func Register(rt *arm.Router, cfg Config) (*Provider, error) {
	if cfg.Store == nil || cfg.Box == nil {
		return nil, fmt.Errorf("apim: Store and Box are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Provider{store: cfg.Store, box: cfg.Box, now: cfg.Now}
	ns := rt.Provider(Namespace, arm.FamilyAPIM, Versions)

	ns.Handle(http.MethodGet, servicesBySubscription, p.listServicesBySubscription)
	ns.Handle(http.MethodGet, servicesByGroup, p.listServicesByGroup)
	ns.Handle(http.MethodGet, servicePath, p.getService)
	ns.Handle(http.MethodPut, servicePath, p.putService)
	ns.Handle(http.MethodPatch, servicePath, p.patchService)
	ns.Handle(http.MethodDelete, servicePath, p.deleteService)

	ns.Handle(http.MethodGet, authServersPath, p.listAuthServers)
	ns.Handle(http.MethodGet, authServerPath, p.getAuthServer)
	ns.Handle(http.MethodHead, authServerPath, p.headAuthServer)
	ns.Handle(http.MethodPut, authServerPath, p.putAuthServer)
	ns.Handle(http.MethodPatch, authServerPath, p.patchAuthServer)
	ns.Handle(http.MethodDelete, authServerPath, p.deleteAuthServer)
	// The router derives the RBAC action
	// Microsoft.ApiManagement/service/authorizationServers/listSecrets/action,
	// which Reader's */read does not grant, as in Azure.
	ns.Handle(http.MethodPost, listSecretsPath, p.listAuthServerSecrets)

	// Services are generic resources, which the group delete removes
	// itself; authorization servers are in their own table. Each service's
	// lock is taken first, as deleteService does, so that a server being
	// written under it commits before the delete (and goes with it) or
	// finds its service gone: no server outlives its service.
	rt.OnGroupDelete(func(ctx context.Context, q tokend.Queries, groupKey string) error {
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
	})
	return p, nil
}
