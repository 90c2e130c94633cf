package console

import (
	"context"
	"net/http"
	"net/url"
)

type user struct {
	ObjectID          string `json:"objectId"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	CreatedAt         string `json:"createdAt"`
	// Password is in a create's or a reset's answer only, when tokend
	// made it up.
	Password string `json:"password"`
}

type usersData struct {
	Users []user
	Next  string
	// Shown is the user whose made-up password is shown (once).
	Shown *user
}

func (c *Console) users(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Users", "users", "users.html"
	d := &usersData{}
	v.Data = d
	if v.r.URL.Query().Get("done") == "deleted" {
		v.Notice = "The user was deleted, with their role assignments and refresh tokens."
	}
	return c.listUsers(ctx, v, d)
}

func (c *Console) listUsers(ctx context.Context, v *view, d *usersData) error {
	list, next, err := adminList[user](ctx, c, v, adminTenant(v)+"/users", nil, v.r.URL.Query().Get("skip"))
	d.Users, d.Next = list, next
	return err
}

// createUser adds a user; a password left empty is made up by tokend and
// shown this once.
func (c *Console) createUser(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Users", "users", "users.html"
	d := &usersData{}
	v.Data = d
	body := map[string]string{"userPrincipalName": field(v.r, "upn"), "displayName": field(v.r, "displayName")}
	if pw := v.r.PostFormValue("password"); pw != "" {
		body["password"] = pw
	}
	var created user
	if err := c.call(ctx, v, http.MethodPost, adminTenant(v)+"/users", body, &created); err != nil {
		if err := userError(v, err); err != nil {
			return err
		}
		return c.listUsers(ctx, v, d)
	}
	v.Notice = "The user " + created.UserPrincipalName + " was created."
	if created.Password != "" {
		d.Shown = &created
	}
	return c.listUsers(ctx, v, d)
}

// resetPassword makes up a new password (shown once); the user's refresh
// tokens stop working.
func (c *Console) resetPassword(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Users", "users", "users.html"
	d := &usersData{}
	v.Data = d
	var u user
	if err := c.call(ctx, v, http.MethodPost, adminTenant(v)+"/users/"+url.PathEscape(field(v.r, "user"))+"/resetPassword", nil, &u); err != nil {
		if err := userError(v, err); err != nil {
			return err
		}
		return c.listUsers(ctx, v, d)
	}
	d.Shown = &u
	v.Notice = "The password of " + u.UserPrincipalName + " was reset; their refresh tokens no longer work."
	return c.listUsers(ctx, v, d)
}

func (c *Console) deleteUser(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Users", "users", "users.html"
	if err := c.call(ctx, v, http.MethodDelete, adminTenant(v)+"/users/"+url.PathEscape(field(v.r, "user")), nil, nil); err != nil {
		return err
	}
	return v.redirect("/console/users?done=deleted")
}
