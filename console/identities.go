package console

import (
	"context"
	"net/http"
	"net/url"
)

type managedIdentity struct {
	Name        string `json:"name"`
	ClientID    string `json:"clientId"`
	PrincipalID string `json:"principalId"`
	CreatedAt   string `json:"createdAt"`
}

// environment is what a process needs to use a managed identity (the
// create's answer and the environment action's).
type environment struct {
	Name             string `json:"name"`
	ClientID         string `json:"clientId"`
	IdentityEndpoint string `json:"identityEndpoint"`
	IdentityHeader   string `json:"identityHeader"`
	MSIEndpoint      string `json:"msiEndpoint"`
}

type identitiesData struct {
	Identities []managedIdentity
	Next       string
	Env        *environment
}

func (c *Console) identities(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Managed identities", "identities", "identities.html"
	d := &identitiesData{}
	v.Data = d
	if v.r.URL.Query().Get("done") == "deleted" {
		v.Notice = "The managed identity was deleted, with its role assignments."
	}
	return c.listIdentities(ctx, v, d)
}

func (c *Console) listIdentities(ctx context.Context, v *view, d *identitiesData) error {
	list, next, err := adminList[managedIdentity](ctx, c, v, adminTenant(v)+"/managedIdentities", nil, v.r.URL.Query().Get("skip"))
	d.Identities, d.Next = list, next
	return err
}

func (c *Console) createIdentity(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Managed identities", "identities", "identities.html"
	d := &identitiesData{}
	v.Data = d
	var env environment
	if err := c.call(ctx, v, http.MethodPost, adminTenant(v)+"/managedIdentities", map[string]string{"name": field(v.r, "name")}, &env); err != nil {
		if err := userError(v, err); err != nil {
			return err
		}
		return c.listIdentities(ctx, v, d)
	}
	d.Env = &env
	v.Notice = "The managed identity " + env.Name + " was created."
	return c.listIdentities(ctx, v, d)
}

// identityEnv shows an identity's environment: its header is a
// credential, so only on this explicit (audited) action.
func (c *Console) identityEnv(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Managed identities", "identities", "identities.html"
	d := &identitiesData{}
	v.Data = d
	var env environment
	if err := c.call(ctx, v, http.MethodPost, adminTenant(v)+"/managedIdentities/"+url.PathEscape(field(v.r, "name"))+"/environment", nil, &env); err != nil {
		return err
	}
	d.Env = &env
	return c.listIdentities(ctx, v, d)
}

func (c *Console) deleteIdentity(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Managed identities", "identities", "identities.html"
	if err := c.call(ctx, v, http.MethodDelete, adminTenant(v)+"/managedIdentities/"+url.PathEscape(field(v.r, "name")), nil, nil); err != nil {
		return err
	}
	return v.redirect("/console/identities?done=deleted")
}
