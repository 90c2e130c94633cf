package console

import (
	"context"
	"net/http"
	"strings"
)

// apimVersion is the Microsoft.ApiManagement api-version the console
// speaks.
const apimVersion = "2022-08-01"

type apimServer struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		DisplayName           string `json:"displayName"`
		ClientID              string `json:"clientId"`
		AuthorizationEndpoint string `json:"authorizationEndpoint"`
		TokenEndpoint         string `json:"tokenEndpoint"`
	} `json:"properties"`
	Service string `json:"-"`
}

type apimSecrets struct {
	ClientSecret          string `json:"clientSecret"`
	ResourceOwnerUsername string `json:"resourceOwnerUsername"`
	ResourceOwnerPassword string `json:"resourceOwnerPassword"`
}

type apimData struct {
	Servers  []apimServer
	NoAccess []string
	// Revealed is the server whose secrets an explicit POST asked for.
	Revealed string
	Secrets  *apimSecrets
}

func (c *Console) listAPIM(ctx context.Context, v *view, d *apimData) error {
	subs, err := c.subscriptions(ctx, v)
	if err != nil {
		return err
	}
	for _, s := range subs {
		var services struct {
			Value []struct{ ID, Name string }
		}
		err := c.call(ctx, v, http.MethodGet, "/subscriptions/"+s.SubscriptionID+"/providers/Microsoft.ApiManagement/service?api-version="+apimVersion, nil, &services)
		if forbidden(err) {
			d.NoAccess = append(d.NoAccess, s.DisplayName)
			continue
		}
		if err != nil {
			return err
		}
		for _, svc := range services.Value {
			var list struct{ Value []apimServer }
			err := c.call(ctx, v, http.MethodGet, svc.ID+"/authorizationServers?api-version="+apimVersion, nil, &list)
			if forbidden(err) {
				d.NoAccess = append(d.NoAccess, svc.Name)
				continue
			}
			if err != nil {
				return err
			}
			for _, as := range list.Value {
				as.Service = svc.Name
				d.Servers = append(d.Servers, as)
			}
		}
	}
	return nil
}

func (c *Console) apim(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "API Management", "apim", "apim.html"
	d := &apimData{}
	v.Data = d
	return c.listAPIM(ctx, v, d)
}

// apimSecrets reveals one authorization server's secrets: only on this
// explicit POST, which calls ARM's listSecrets (an audited secret read).
func (c *Console) apimSecrets(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "API Management", "apim", "apim.html"
	d := &apimData{}
	v.Data = d
	id := field(v.r, "id")
	if !strings.Contains(strings.ToLower(id), "/providers/microsoft.apimanagement/service/") ||
		!strings.Contains(strings.ToLower(id), "/authorizationservers/") || strings.ContainsAny(id, "?#") {
		v.Error = "That is not an authorization server's id."
		return c.listAPIM(ctx, v, d)
	}
	var s apimSecrets
	if err := c.call(ctx, v, http.MethodPost, id+"/listSecrets?api-version="+apimVersion, nil, &s); err != nil {
		return err
	}
	d.Revealed, d.Secrets = id, &s
	return c.listAPIM(ctx, v, d)
}
