package admin

import (
	"context"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const (
	managedIdentitiesPath = "/tenants/{tenant}/managedIdentities"
	managedIdentityPath   = managedIdentitiesPath + "/{name}"
)

func (s *Service) managedIdentityRoutes() []pipeline.Route {
	return []pipeline.Route{
		route(http.MethodGet, managedIdentitiesPath, ActionManagedIdentitiesRead, s.listManagedIdentities),
		route(http.MethodPost, managedIdentitiesPath, ActionManagedIdentitiesWrite, s.createManagedIdentity),
		route(http.MethodGet, managedIdentityPath, ActionManagedIdentitiesRead, s.getManagedIdentity),
		route(http.MethodDelete, managedIdentityPath, ActionManagedIdentitiesDelete, s.deleteManagedIdentity),
		route(http.MethodPost, managedIdentityPath+"/environment", ActionManagedIdentitiesEnvironment, s.managedIdentityEnvironment),
	}
}

func (s *Service) listManagedIdentities(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, err
	}
	all, err := s.cfg.ManagedIdentities.List(ctx)
	if err != nil {
		return nil, err
	}
	list := make([]*identity.ManagedIdentity, 0, len(all))
	for _, mi := range all {
		if strings.EqualFold(mi.TenantID, t.ID) {
			list = append(list, mi)
		}
	}
	return pageByKey(r, "managedIdentities:"+t.ID, list, func(mi *identity.ManagedIdentity) string { return mi.Name }, ToManagedIdentityView)
}

// managedIdentityBody is a managed identity to create.
type managedIdentityBody struct {
	grantBody
	Name string `json:"name"`
}

// createManagedIdentity answers the new identity with its endpoint and
// identity header, as `tokend managed-identities create` prints them.
func (s *Service) createManagedIdentity(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, err
	}
	var b managedIdentityBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	if b.Name == "" {
		return nil, wire.BadRequest("InvalidManagedIdentity", "name", "name is required: 3 to 128 letters, digits, '-' or '_'.")
	}
	g, err := s.checkGrant(ctx, r, b.grantBody)
	if err != nil {
		return nil, err
	}
	mi, err := s.cfg.ManagedIdentities.Create(ctx, t.ID, b.Name)
	if isAlreadyExists(err) {
		return nil, wire.Errorf(http.StatusConflict, "ManagedIdentityExists", "A managed identity named '"+wire.Clip(b.Name)+"' already exists.")
	}
	if err != nil {
		return nil, invalid(err, "InvalidManagedIdentity")
	}
	res := ToCreatedManagedIdentityView(mi, r.BaseURL)
	res.RoleAssignment, res.RoleAssignmentError = s.assign(ctx, g, mi.PrincipalID)
	return wire.JSON(http.StatusCreated, res), nil
}

// managedIdentity resolves {name} in {tenant}.
func (s *Service) managedIdentity(ctx context.Context, r *pipeline.Request) (*identity.ManagedIdentity, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, err
	}
	name := r.Param("name")
	if !wire.SQLText(name) {
		return nil, wire.BadRequest("InvalidManagedIdentity", "name", "The name is not valid text.")
	}
	mi, err := s.cfg.ManagedIdentities.Get(ctx, name)
	if err == nil && !strings.EqualFold(mi.TenantID, t.ID) {
		return nil, notFoundIn("ManagedIdentityNotFound", "Managed identity", name)
	}
	if isNotFound(err) {
		return nil, notFoundIn("ManagedIdentityNotFound", "Managed identity", name)
	}
	return mi, err
}

func (s *Service) getManagedIdentity(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	mi, err := s.managedIdentity(ctx, r)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, ToManagedIdentityView(mi)), nil
}

func (s *Service) deleteManagedIdentity(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	mi, err := s.managedIdentity(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.ManagedIdentities.Delete(ctx, mi.Name); err != nil {
		return nil, err
	}
	return wire.Empty(http.StatusNoContent), nil
}

// environmentBody: default makes the identity the Cloud Shell and IMDS
// endpoints' default in the answer (MSI_ENDPOINT), as env's --default.
type environmentBody struct {
	Default bool `json:"default"`
}

// managedIdentityEnvironment answers what `tokend managed-identities env`
// exports: the identity header is a credential, so this is a POST action
// that Reader's "*/read" does not grant, and it is audited.
func (s *Service) managedIdentityEnvironment(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	mi, err := s.managedIdentity(ctx, r)
	if err != nil {
		return nil, err
	}
	var b environmentBody
	if len(r.Body) > 0 {
		if err := r.Decode(&b); err != nil {
			return nil, err
		}
	}
	env, err := s.cfg.ManagedIdentities.Environment(ctx, mi.Name, r.BaseURL, s.cfg.IMDSIdentity, b.Default)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, ToEnvironmentView(env)), nil
}
