package console

import (
	"context"
	"net/http"
	"net/url"
)

type signingKey struct {
	Kid        string `json:"kid"`
	Algorithm  string `json:"algorithm"`
	State      string `json:"state"`
	CreatedAt  string `json:"createdAt"`
	ActivateAt string `json:"activateAt"`
	RetireAt   string `json:"retireAt"`
	ExpireAt   string `json:"expireAt"`
}

type keysData struct {
	Keys []signingKey
	// Confirm is the key a revocation asks to be confirmed.
	Confirm string
}

func (c *Console) keys(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Signing keys", "keys", "keys.html"
	d := &keysData{}
	v.Data = d
	switch v.r.URL.Query().Get("done") {
	case "rotated":
		v.Notice = "A new key was made."
	case "revoked":
		v.Notice = "The key was revoked: it left the JWKS, and its tokens are refused on every node within a second."
	}
	if kid := v.r.URL.Query().Get("revoke"); kid != "" {
		d.Confirm = kid
	}
	list, _, err := adminList[signingKey](ctx, c, v, "/admin/v1/keys", nil, "")
	d.Keys = list
	return err
}

// rotateKey makes a new key: published now and signing after the
// pre-publish window, or at once when asked.
func (c *Console) rotateKey(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Signing keys", "keys", "keys.html"
	body := map[string]any{"immediate": v.r.PostFormValue("immediate") == "on"}
	if err := c.call(ctx, v, http.MethodPost, "/admin/v1/keys/rotate", body, nil); err != nil {
		return err
	}
	return v.redirect("/console/keys?done=rotated")
}

// revokeKey needs the confirmation form's "confirm" field: the first
// click only asks.
func (c *Console) revokeKey(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Signing keys", "keys", "keys.html"
	kid := field(v.r, "kid")
	if v.r.PostFormValue("confirm") != "yes" {
		return v.redirect("/console/keys?revoke=" + url.QueryEscape(kid))
	}
	if err := c.call(ctx, v, http.MethodPost, "/admin/v1/keys/"+url.PathEscape(kid)+"/revoke", nil, nil); err != nil {
		return err
	}
	return v.redirect("/console/keys?done=revoked")
}
