package admin

import (
	"context"
	"net/http"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const (
	usersPath = "/tenants/{tenant}/users"
	userPath  = usersPath + "/{user}"
)

func (s *Service) userRoutes() []pipeline.Route {
	return []pipeline.Route{
		route(http.MethodGet, usersPath, ActionUsersRead, s.listUsers),
		route(http.MethodPost, usersPath, ActionUsersWrite, s.createUser),
		route(http.MethodGet, userPath, ActionUsersRead, s.getUser),
		route(http.MethodDelete, userPath, ActionUsersDelete, s.deleteUser),
		route(http.MethodPost, userPath+"/resetPassword", ActionUsersWrite, s.resetPassword),
	}
}

func (s *Service) listUsers(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, err
	}
	all, err := s.cfg.Users.List(ctx)
	if err != nil {
		return nil, err
	}
	list := make([]*tokend.User, 0, len(all))
	for _, u := range all {
		if strings.EqualFold(u.TenantID, t.ID) {
			list = append(list, u)
		}
	}
	return pageByKey(r, "users:"+t.ID, list, func(u *tokend.User) string { return u.ObjectID }, ToUserView)
}

// userBody is a user to create. Without a password tokend makes one up
// and answers it, this once.
type userBody struct {
	grantBody
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	Password          string `json:"password"`
}

func (s *Service) createUser(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, err
	}
	var b userBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(b.UserPrincipalName) == "":
		return nil, wire.BadRequest("InvalidUser", "userPrincipalName", "userPrincipalName is required: a name of the form name@domain.")
	case !wire.SQLText(b.UserPrincipalName) || !wire.SQLText(b.DisplayName):
		return nil, wire.BadRequest("InvalidUser", "body", "userPrincipalName and displayName must be valid text.")
	}
	g, err := s.checkGrant(ctx, r, b.grantBody)
	if err != nil {
		return nil, err
	}
	u, generated, err := s.cfg.Users.Create(ctx, t.ID, strings.TrimSpace(b.UserPrincipalName), b.DisplayName, b.Password)
	if isAlreadyExists(err) {
		return nil, wire.Errorf(http.StatusConflict, "UserExists",
			"A user named '"+wire.Clip(b.UserPrincipalName)+"' already exists in the tenant.")
	}
	if err != nil {
		return nil, invalid(err, "InvalidUser")
	}
	res := CreatedUserView{UserView: ToUserView(u), Password: generated}
	res.RoleAssignment, res.RoleAssignmentError = s.assign(ctx, g, u.ObjectID)
	return wire.JSON(http.StatusCreated, res), nil
}

// user resolves {user}, an object id or a user principal name, in
// {tenant}.
func (s *Service) user(ctx context.Context, r *pipeline.Request) (*tokend.User, *tokend.Tenant, error) {
	t, err := s.tenant(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	name := r.Param("user")
	if !wire.SQLText(name) {
		return nil, nil, wire.BadRequest("InvalidUser", "user", "The user is not valid text.")
	}
	u, err := s.cfg.Users.Get(ctx, t.ID, name)
	if isNotFound(err) {
		return nil, nil, notFoundIn("UserNotFound", "User", name)
	}
	if err != nil {
		return nil, nil, err
	}
	return u, t, nil
}

func (s *Service) getUser(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	u, _, err := s.user(ctx, r)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, ToUserView(u)), nil
}

func (s *Service) deleteUser(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	u, t, err := s.user(ctx, r)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Users.Delete(ctx, t.ID, u.ObjectID); err != nil {
		if isNotFound(err) {
			return nil, notFoundIn("UserNotFound", "User", r.Param("user"))
		}
		return nil, err
	}
	return wire.Empty(http.StatusNoContent), nil
}

// passwordBody sets a password; empty, tokend makes one up and answers
// it, this once.
type passwordBody struct {
	Password string `json:"password"`
}

// resetPassword sets the user's password; the user's refresh tokens stop
// working, as Entra does on a password change.
func (s *Service) resetPassword(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	u, t, err := s.user(ctx, r)
	if err != nil {
		return nil, err
	}
	var b passwordBody
	if len(r.Body) > 0 {
		if err := r.Decode(&b); err != nil {
			return nil, err
		}
	}
	u, generated, err := s.cfg.Users.ResetPassword(ctx, t.ID, u.ObjectID, b.Password)
	if err != nil {
		return nil, invalid(err, "InvalidPassword")
	}
	return wire.JSON(http.StatusOK, CreatedUserView{UserView: ToUserView(u), Password: generated}), nil
}
