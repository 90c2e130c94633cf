package admin

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const (
	clientsPath = "/tenants/{tenant}/clients"
	clientPath  = clientsPath + "/{clientId}"
)

func (s *Service) clientRoutes() []pipeline.Route {
	return []pipeline.Route{
		route(http.MethodGet, clientsPath, ActionClientsRead, s.listClients),
		route(http.MethodPost, clientsPath, ActionClientsWrite, s.createClient),
		route(http.MethodGet, clientPath, ActionClientsRead, s.getClient),
		route(http.MethodPatch, clientPath, ActionClientsWrite, s.updateClient),
		route(http.MethodDelete, clientPath, ActionClientsDelete, s.deleteClient),
		route(http.MethodPost, clientPath+"/secrets", ActionClientsWrite, s.resetSecret),
	}
}

// maxDisplayName bounds a display name, as Entra does.
const maxDisplayName = 256

func (s *Service) listClients(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, err
	}
	all, err := s.cfg.Clients.List(ctx)
	if err != nil {
		return nil, err
	}
	// Managed identities are clients too, listed under their own path.
	list := make([]*tokend.Client, 0, len(all))
	for _, c := range all {
		if strings.EqualFold(c.TenantID, t.ID) && c.Kind != tokend.ClientManagedIdentity {
			list = append(list, c)
		}
	}
	return pageByKey(r, "clients:"+t.ID, list, func(c *tokend.Client) string { return c.ID }, ToClientView)
}

// clientBody is what a create or an update gives; an update replaces
// each list it names (an empty list clears it) and keeps the others.
type clientBody struct {
	grantBody
	DisplayName    *string   `json:"displayName"`
	Public         *bool     `json:"public"`
	RedirectURIs   *[]string `json:"redirectUris"`
	IdentifierURIs *[]string `json:"identifierUris"`
}

func (s *Service) createClient(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, err
	}
	var b clientBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	reg := identity.Registration{TenantID: t.ID, DisplayName: "app"}
	if b.DisplayName != nil {
		reg.DisplayName = strings.TrimSpace(*b.DisplayName)
		if reg.DisplayName == "" || len(reg.DisplayName) > maxDisplayName || !wire.SQLText(reg.DisplayName) {
			return nil, wire.BadRequest("InvalidDisplayName", "displayName", "displayName must be 1 to 256 characters of text.")
		}
	}
	if b.Public != nil {
		reg.Public = *b.Public
	}
	if b.RedirectURIs != nil {
		if reg.RedirectURIs, err = uriList(*b.RedirectURIs, "redirectUris"); err != nil {
			return nil, err
		}
	}
	if b.IdentifierURIs != nil {
		if reg.IdentifierURIs, err = uriList(*b.IdentifierURIs, "identifierUris"); err != nil {
			return nil, err
		}
	}
	if err := identity.ValidateRedirectURIs(reg.RedirectURIs); err != nil {
		return nil, invalid(err, "InvalidRedirectUri")
	}
	g, err := s.checkGrant(ctx, r, b.grantBody)
	if err != nil {
		return nil, err
	}
	c, secret, err := s.cfg.Clients.Register(ctx, reg)
	if err != nil {
		return nil, invalid(err, "InvalidIdentifierUri")
	}
	res := CreatedClientView{ClientView: ToClientView(c), ClientSecret: secret}
	res.RoleAssignment, res.RoleAssignmentError = s.assign(ctx, g, c.ObjectID)
	return wire.JSON(http.StatusCreated, res), nil
}

// uriList checks a list of URIs given in a body: text, none empty.
func uriList(list []string, field string) ([]string, error) {
	out := make([]string, 0, len(list))
	for _, u := range list {
		u = strings.TrimSpace(u)
		if u == "" || !wire.SQLText(u) {
			return nil, wire.BadRequest("InvalidRequestContent", field, field+" must list URIs, none of them empty.")
		}
		out = append(out, u)
	}
	return out, nil
}

// client resolves {clientId} to an application of {tenant}: a managed
// identity is managed under its own path.
func (s *Service) client(ctx context.Context, r *pipeline.Request) (*tokend.Client, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, err
	}
	id := r.Param("clientId")
	if _, perr := uuid.Parse(id); perr != nil {
		return nil, wire.BadRequest("InvalidClientId", "clientId", "The client id must be a GUID.")
	}
	c, err := s.cfg.Clients.Get(ctx, id)
	if err == nil && (!strings.EqualFold(c.TenantID, t.ID) || c.Kind == tokend.ClientManagedIdentity) {
		err = tokend.ErrNotFound
	}
	if err != nil {
		if isNotFound(err) {
			return nil, notFoundIn("ClientNotFound", "Client", id)
		}
		return nil, err
	}
	return c, nil
}

func (s *Service) getClient(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, ToClientView(c)), nil
}

func (s *Service) updateClient(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	var b clientBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	switch {
	case b.Role != "" || b.Scope != "":
		return nil, wire.BadRequest("PropertyNotUpdatable", "role", "Roles are assigned through Microsoft.Authorization (or tokend roles assign), not by an update.")
	case b.DisplayName != nil:
		return nil, wire.BadRequest("PropertyNotUpdatable", "displayName", "displayName cannot be changed; give identifierUris or redirectUris.")
	case b.Public != nil:
		return nil, wire.BadRequest("PropertyNotUpdatable", "public", "public cannot be changed; register another client.")
	case b.IdentifierURIs == nil && b.RedirectURIs == nil:
		return nil, wire.BadRequest("InvalidRequestContent", "body", "Nothing to update: give identifierUris or redirectUris (each replaces that list; [] clears it).")
	}
	var ids, redirects []string
	if b.IdentifierURIs != nil {
		if ids, err = uriList(*b.IdentifierURIs, "identifierUris"); err != nil {
			return nil, err
		}
	}
	if b.RedirectURIs != nil {
		if redirects, err = uriList(*b.RedirectURIs, "redirectUris"); err != nil {
			return nil, err
		}
		// Checked before anything changes: an update is all or nothing.
		if err := identity.ValidateRedirectURIs(redirects); err != nil {
			return nil, invalid(err, "InvalidRedirectUri")
		}
	}
	if b.IdentifierURIs != nil {
		if err := s.cfg.Clients.SetIdentifierURIs(ctx, c.ID, ids); err != nil {
			return nil, invalid(err, "InvalidIdentifierUri")
		}
	}
	if b.RedirectURIs != nil {
		if err := s.cfg.Clients.SetRedirectURIs(ctx, c.ID, redirects); err != nil {
			return nil, invalid(err, "InvalidRedirectUri")
		}
	}
	c, err = s.cfg.Clients.Get(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, ToClientView(c)), nil
}

func (s *Service) deleteClient(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Clients.Delete(ctx, c.ID); err != nil {
		return nil, err
	}
	return wire.Empty(http.StatusNoContent), nil
}

// resetSecret replaces the client's one secret (tokend keeps one per
// client, as `tokend clients reset-secret`): the old one stops working at
// once, and the new one is in this answer only.
func (s *Service) resetSecret(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	if c.Public {
		return nil, wire.BadRequest("PublicClientHasNoSecret", "clientId", "A public client has no secret; it signs users in with PKCE.")
	}
	secret, err := s.cfg.Clients.ResetSecret(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	res := SecretView{ClientID: c.ID, ClientSecret: secret}
	if c, err = s.cfg.Clients.Get(ctx, c.ID); err == nil {
		res.SecretHint = c.SecretHint
	}
	return wire.JSON(http.StatusOK, res), nil
}
