package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

type client struct {
	ClientID       string   `json:"clientId"`
	ObjectID       string   `json:"objectId"`
	DisplayName    string   `json:"displayName"`
	Public         bool     `json:"public"`
	RedirectURIs   []string `json:"redirectUris"`
	IdentifierURIs []string `json:"identifierUris"`
	SecretHint     string   `json:"secretHint"`
	CreatedAt      string   `json:"createdAt"`
	// ClientSecret is in a create's or a reset's answer only.
	ClientSecret string `json:"clientSecret"`
}

type certificate struct {
	Thumbprint string `json:"thumbprint"`
	NotBefore  string `json:"notBefore"`
	NotAfter   string `json:"notAfter"`
}

type federatedCredential struct {
	Name      string   `json:"name"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

type appsData struct {
	Clients []client
	Next    string
	Created *client
}

func (c *Console) apps(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Applications", "apps", "apps.html"
	d := &appsData{}
	v.Data = d
	if v.r.URL.Query().Get("done") == "deleted" {
		v.Notice = "The application was deleted, with its role assignments."
	}
	return c.listApps(ctx, v, d)
}

func (c *Console) listApps(ctx context.Context, v *view, d *appsData) error {
	list, next, err := adminList[client](ctx, c, v, adminTenant(v)+"/clients", nil, v.r.URL.Query().Get("skip"))
	d.Clients, d.Next = list, next
	return err
}

// createApp registers a client; its secret is in this answer only.
func (c *Console) createApp(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Applications", "apps", "apps.html"
	d := &appsData{}
	v.Data = d
	body := map[string]any{"displayName": field(v.r, "displayName"), "public": v.r.PostFormValue("public") == "on"}
	if uri := field(v.r, "redirectUri"); uri != "" {
		body["redirectUris"] = []string{uri}
	}
	var created client
	if err := c.call(ctx, v, http.MethodPost, adminTenant(v)+"/clients", body, &created); err != nil {
		if err := userError(v, err); err != nil {
			return err
		}
		return c.listApps(ctx, v, d)
	}
	d.Created = &created
	if created.ClientSecret != "" {
		v.Notice = "Copy the secret now: it is shown only this once."
	}
	return c.listApps(ctx, v, d)
}

// clientIDPattern is a client id: a GUID.
var clientIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

type appData struct {
	Client      client
	Secret      string
	Certs       []certificate
	Federated   []federatedCredential
	DefaultAuds string
}

func (c *Console) appPath(v *view) (string, bool) {
	id := v.r.PathValue("client")
	if !clientIDPattern.MatchString(id) {
		return "", false
	}
	return adminTenant(v) + "/clients/" + id, true
}

func (c *Console) app(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Application", "apps", "app.html"
	d := &appData{DefaultAuds: "api://AzureADTokenExchange"}
	v.Data = d
	path, ok := c.appPath(v)
	if !ok {
		v.Template, v.Error = "message.html", "That is not a client id."
		return nil
	}
	if n := v.r.URL.Query().Get("done"); n != "" {
		v.Notice = map[string]string{"cert": "The certificate was added.", "certdel": "The certificate was removed.",
			"fed": "The federated credential was added.", "feddel": "The federated credential was removed."}[n]
	}
	return c.loadApp(ctx, v, path, d)
}

func (c *Console) loadApp(ctx context.Context, v *view, path string, d *appData) error {
	if err := c.call(ctx, v, http.MethodGet, path, nil, &d.Client); err != nil {
		return err
	}
	v.Title = d.Client.DisplayName
	certs, _, err := adminList[certificate](ctx, c, v, path+"/certificates", nil, "")
	if err != nil {
		return err
	}
	fed, _, err := adminList[federatedCredential](ctx, c, v, path+"/federatedCredentials", nil, "")
	d.Certs, d.Federated = certs, fed
	return err
}

// appAction is a POST on one client: f acts, then the client's page shows
// the outcome (done names the notice), or f's error is shown on it.
func (c *Console) appAction(f func(ctx context.Context, v *view, path string, d *appData) (string, error)) func(context.Context, *view) error {
	return func(ctx context.Context, v *view) error {
		v.Title, v.Active, v.Template = "Application", "apps", "app.html"
		d := &appData{DefaultAuds: "api://AzureADTokenExchange"}
		v.Data = d
		path, ok := c.appPath(v)
		if !ok {
			v.Template, v.Error = "message.html", "That is not a client id."
			return nil
		}
		done, err := f(ctx, v, path, d)
		if err != nil {
			if err := userError(v, err); err != nil {
				return err
			}
		} else if done != "" {
			return v.redirect("/console/apps/" + v.r.PathValue("client") + "?done=" + done)
		}
		return c.loadApp(ctx, v, path, d)
	}
}

func (c *Console) resetSecret(ctx context.Context, v *view, path string, d *appData) (string, error) {
	var s struct {
		ClientSecret string `json:"clientSecret"`
	}
	if err := c.call(ctx, v, http.MethodPost, path+"/secrets", nil, &s); err != nil {
		return "", err
	}
	d.Secret = s.ClientSecret
	v.Notice = "The old secret no longer works. Copy the new one now: it is shown only this once."
	return "", nil
}

func (c *Console) addCertificate(ctx context.Context, v *view, path string, _ *appData) (string, error) {
	return "cert", c.call(ctx, v, http.MethodPost, path+"/certificates", map[string]string{"certificate": v.r.PostFormValue("certificate")}, nil)
}

func (c *Console) removeCertificate(ctx context.Context, v *view, path string, _ *appData) (string, error) {
	return "certdel", c.call(ctx, v, http.MethodDelete, path+"/certificates/"+url.PathEscape(field(v.r, "thumbprint")), nil, nil)
}

func (c *Console) addFederated(ctx context.Context, v *view, path string, _ *appData) (string, error) {
	body := map[string]any{"issuer": field(v.r, "issuer"), "subject": field(v.r, "subject")}
	if a := strings.Fields(strings.ReplaceAll(v.r.PostFormValue("audiences"), ",", " ")); len(a) > 0 {
		body["audiences"] = a
	}
	name := field(v.r, "fedName")
	if name == "" {
		v.Error = "name: a federated credential needs a name."
		return "", nil
	}
	return "fed", c.call(ctx, v, http.MethodPut, path+"/federatedCredentials/"+url.PathEscape(name), body, nil)
}

func (c *Console) removeFederated(ctx context.Context, v *view, path string, _ *appData) (string, error) {
	return "feddel", c.call(ctx, v, http.MethodDelete, path+"/federatedCredentials/"+url.PathEscape(field(v.r, "fedName")), nil, nil)
}

func (c *Console) deleteApp(ctx context.Context, v *view) error {
	v.Title, v.Active = "Applications", "apps"
	id := v.r.PathValue("client")
	if !clientIDPattern.MatchString(id) {
		v.Error = "That is not a client id."
		return nil
	}
	if err := c.call(ctx, v, http.MethodDelete, adminTenant(v)+"/clients/"+id, nil, nil); err != nil {
		return err
	}
	return v.redirect("/console/apps?done=deleted")
}
