package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// The pages of clients, users, managed identities, signing keys and the
// audit log call tokend's management API (/admin/v1, docs/admin-api.md)
// with the person's management token, like every other page: its
// Tokend/* actions at "/" decide what they may see and do.

// adminTenant is the management API's path of the session's tenant.
func adminTenant(v *view) string { return "/admin/v1/tenants/" + url.PathEscape(v.s.Tenant) }

// adminPage is one page of a management API list: its items and the
// continuation of the next page ("" at the end).
type adminPage[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink"`
}

// adminList reads one page of a list, continuing at skip (the previous
// page's $skipToken), and returns the next page's token.
func adminList[T any](ctx context.Context, c *Console, v *view, path string, query url.Values, skip string) ([]T, string, error) {
	if query == nil {
		query = url.Values{}
	}
	if skip != "" {
		query.Set("$skipToken", skip)
	}
	if _, ok := query["$top"]; !ok {
		query.Set("$top", "50")
	}
	var page adminPage[T]
	if err := c.call(ctx, v, http.MethodGet, path+"?"+query.Encode(), nil, &page); err != nil {
		return nil, "", err
	}
	next := ""
	if page.NextLink != "" {
		if u, err := url.Parse(page.NextLink); err == nil {
			next = u.Query().Get("$skipToken")
		}
	}
	return page.Value, next, nil
}

// userError turns an API refusal other than 403 into the page's error
// (the form shown again with it); a 403 and anything else stay errors.
func userError(v *view, err error) error {
	var ae *apiError
	if err != nil && !forbidden(err) && errors.As(err, &ae) && ae.Status < 500 {
		v.Error = apiMessage(err)
		return nil
	}
	return err
}
