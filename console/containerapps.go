package console

import (
	"context"
	"net/http"
	"strings"
)

// containerAppsVersion is the Microsoft.App api-version the console
// speaks (armappcontainers/v3 v3.1.0's).
const containerAppsVersion = "2025-01-01"

type containerApp struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Location string `json:"location"`
}

type containerAppsData struct {
	Apps     []containerApp
	NoAccess []string
	// App, Token, Expires and Decoded: a token just obtained.
	App, Token, Expires string
	Decoded             *decodedJWT
}

func (c *Console) listContainerApps(ctx context.Context, v *view, d *containerAppsData) error {
	subs, err := c.subscriptions(ctx, v)
	if err != nil {
		return err
	}
	for _, s := range subs {
		var list struct{ Value []containerApp }
		err := c.call(ctx, v, http.MethodGet, "/subscriptions/"+s.SubscriptionID+"/providers/Microsoft.App/containerApps?api-version="+containerAppsVersion, nil, &list)
		if forbidden(err) {
			d.NoAccess = append(d.NoAccess, s.DisplayName)
			continue
		}
		if err != nil {
			return err
		}
		d.Apps = append(d.Apps, list.Value...)
	}
	return nil
}

func (c *Console) containerApps(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Container apps", "containerapps", "containerapps.html"
	d := &containerAppsData{}
	v.Data = d
	return c.listContainerApps(ctx, v, d)
}

// containerAppToken calls getAuthtoken on one app and shows the token
// decoded and verified against the tenant's JWKS.
func (c *Console) containerAppToken(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Container apps", "containerapps", "containerapps.html"
	d := &containerAppsData{}
	v.Data = d
	id := field(v.r, "id")
	if !strings.Contains(strings.ToLower(id), "/providers/microsoft.app/containerapps/") || strings.ContainsAny(id, "?#") {
		v.Error = "That is not a container app's id."
		return c.listContainerApps(ctx, v, d)
	}
	var ans struct {
		Properties struct {
			Token   string `json:"token"`
			Expires string `json:"expires"`
		} `json:"properties"`
	}
	if err := c.call(ctx, v, http.MethodPost, id+"/getAuthtoken?api-version="+containerAppsVersion, nil, &ans); err != nil {
		return err
	}
	d.App, d.Token, d.Expires = id[strings.LastIndexByte(id, '/')+1:], ans.Properties.Token, ans.Properties.Expires
	d.Decoded, _ = c.decodeAndVerify(ctx, v, d.Token)
	return c.listContainerApps(ctx, v, d)
}
