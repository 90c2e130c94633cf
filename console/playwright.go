package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tokend-dev/tokend/wire"
)

// The api-versions of the Playwright providers the console speaks.
const (
	playwrightARMVersion        = "2024-12-01"
	playwrightDataVersion       = "2024-12-01"
	workspacesARMVersion        = "2025-09-01"
	workspacesDataVersion       = "2025-09-01"
	defaultTokenLifetimeDays    = 30
	maxTokenLifetimeDaysOffered = 365
)

type playwrightResource struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Location   string `json:"location"`
	Properties struct {
		DashboardURI string `json:"dashboardUri"`
		WorkspaceID  string `json:"workspaceId"`
		DataplaneURI string `json:"dataplaneUri"`
		LocalAuth    string `json:"localAuth"`
	} `json:"properties"`
	// Kind and DataID say which data plane holds its tokens.
	Kind, DataID string `json:"-"`
}

type playwrightData struct {
	Resources []playwrightResource
	NoAccess  []string
}

func (c *Console) playwright(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Playwright", "playwright", "playwright.html"
	d := &playwrightData{}
	v.Data = d
	subs, err := c.subscriptions(ctx, v)
	if err != nil {
		return err
	}
	for _, s := range subs {
		for _, kind := range []struct{ kind, path, version string }{
			{"account", "/providers/Microsoft.AzurePlaywrightService/accounts", playwrightARMVersion},
			{"workspace", "/providers/Microsoft.LoadTestService/playwrightWorkspaces", workspacesARMVersion},
		} {
			var list struct{ Value []playwrightResource }
			err := c.call(ctx, v, http.MethodGet, "/subscriptions/"+s.SubscriptionID+kind.path+"?api-version="+kind.version, nil, &list)
			if forbidden(err) {
				d.NoAccess = append(d.NoAccess, s.DisplayName+" ("+kind.kind+"s)")
				continue
			}
			if err != nil {
				return err
			}
			for _, r := range list.Value {
				r.Kind = kind.kind
				if kind.kind == "account" {
					r.DataID = r.Properties.DashboardURI[strings.LastIndexByte(r.Properties.DashboardURI, '/')+1:]
				} else {
					r.DataID = r.Properties.WorkspaceID
				}
				d.Resources = append(d.Resources, r)
			}
		}
	}
	return nil
}

// dataIDPattern is both data planes' parent id: letters and digits in
// '_' and '-' separated groups.
var dataIDPattern = regexp.MustCompile(`^[A-Za-z0-9]+([_-][A-Za-z0-9]+)+$`)

// tokenPlane is one parent's access tokens on its data plane.
type tokenPlane struct {
	Kind, ID, Name string
}

func planeOf(get func(string) string) (*tokenPlane, bool) {
	p := &tokenPlane{Kind: get("kind"), ID: get("id"), Name: get("name")}
	if (p.Kind != "account" && p.Kind != "workspace") || len(p.ID) > 64 || !dataIDPattern.MatchString(p.ID) {
		return nil, false
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	return p, true
}

// path is the plane's access-tokens collection (and its api-version).
func (p *tokenPlane) path(tokenID string) string {
	base, version := "/playwright/accounts/"+p.ID+"/access-tokens", playwrightDataVersion
	if p.Kind == "workspace" {
		base, version = "/playwrightworkspaces/"+p.ID+"/access-tokens", workspacesDataVersion
	}
	if tokenID != "" {
		base += "/" + url.PathEscape(tokenID)
	}
	return base + "?api-version=" + version
}

func (p *tokenPlane) page() string {
	return "/console/playwright/tokens?kind=" + p.Kind + "&id=" + url.QueryEscape(p.ID) + "&name=" + url.QueryEscape(p.Name)
}

// token is the session's token for the plane: the account data plane
// takes only the Playwright audience, the workspaces' also management's.
func (c *Console) planeToken(ctx context.Context, v *view, p *tokenPlane) (string, error) {
	if p.Kind == "account" {
		return c.playwrightToken(ctx, v)
	}
	return c.managementToken(ctx, v)
}

type accessToken struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	JWTToken  string `json:"jwtToken"`
	CreatedAt string `json:"createdAt"`
	ExpiryAt  string `json:"expiryAt"`
	State     string `json:"state"`
}

type tokensData struct {
	Plane       *tokenPlane
	Search      string
	Tokens      []accessToken
	Next        string
	Paged       bool
	Created     *accessToken
	DefaultDays int
	MaxDays     int
}

// odataString quotes s as an OData string literal.
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (c *Console) playwrightTokens(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Access tokens", "playwright", "tokens.html"
	p, ok := planeOf(v.r.URL.Query().Get)
	if !ok {
		v.Template, v.Error = "message.html", "Choose an account or workspace on the Playwright page."
		return nil
	}
	if v.r.URL.Query().Get("done") == "revoked" {
		v.Notice = "The token was revoked: the data plane refuses it from now on."
	}
	return c.listTokens(ctx, v, p, nil)
}

func (c *Console) listTokens(ctx context.Context, v *view, p *tokenPlane, created *accessToken) error {
	q := v.r.URL.Query()
	d := &tokensData{Plane: p, Search: strings.TrimSpace(q.Get("search")), Created: created,
		DefaultDays: defaultTokenLifetimeDays, MaxDays: maxTokenLifetimeDaysOffered}
	v.Data = d
	tok, err := c.planeToken(ctx, v, p)
	if err != nil {
		return err
	}
	// Pages are the data plane's own (10 tokens), continued by its
	// $skipToken: a keyset position, so page 50 costs what page 1 does
	// however many tokens the parent holds. ($top would bound the whole
	// list, not a page, and $skip walks past every token it skips.)
	//
	// A search is a prefix of the name, in name order: one range of the
	// (account_id, name, id) index on both engines, stopping after a page.
	// contains() walked the creation index and read every token's row to
	// test its name: 11.5 s for a name no token has among 1,000,000
	// (docs/performance.md, "Console pages (issue 18)").
	opts := url.Values{"$orderby": {"createdAt desc"}}
	if d.Search != "" {
		opts.Set("$filter", "startswith(name,"+odataString(d.Search)+")")
		opts.Set("$orderby", "name")
	}
	if skip := q.Get("skip"); skip != "" {
		opts.Set("$skipToken", skip)
		d.Paged = true
	}
	var list struct {
		Value    []accessToken `json:"value"`
		NextLink string        `json:"nextLink"`
	}
	if err := c.callWith(ctx, v, tok, http.MethodGet, p.path("")+"&"+opts.Encode(), nil, &list); err != nil {
		return err
	}
	d.Tokens = list.Value
	if list.NextLink != "" {
		if u, err := url.Parse(list.NextLink); err == nil && wire.SkipToken(u.Query()) != "" {
			d.Next = p.page() + "&search=" + url.QueryEscape(d.Search) + "&skip=" + url.QueryEscape(wire.SkipToken(u.Query()))
		}
	}
	return nil
}

// createPlaywrightToken mints a token and shows its JWT this once: the
// data plane keeps only its hash.
func (c *Console) createPlaywrightToken(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Access tokens", "playwright", "tokens.html"
	p, ok := planeOf(v.r.PostFormValue)
	if !ok {
		v.Template, v.Error = "message.html", "Choose an account or workspace on the Playwright page."
		return nil
	}
	days, err := strconv.Atoi(field(v.r, "days"))
	if err != nil || days < 1 || days > maxTokenLifetimeDaysOffered {
		v.Error = fmt.Sprintf("Expires in: a whole number of days from 1 to %d.", maxTokenLifetimeDaysOffered)
		return c.listTokens(ctx, v, p, nil)
	}
	tok, err := c.planeToken(ctx, v, p)
	if err != nil {
		return err
	}
	body := map[string]string{"name": field(v.r, "tokenName"),
		"expiryAt": c.cfg.Now().Add(time.Duration(days) * 24 * time.Hour).UTC().Format(time.RFC3339)}
	var created accessToken
	if err := c.callWith(ctx, v, tok, http.MethodPut, p.path(uuid.NewString()), body, &created); err != nil {
		if forbidden(err) {
			return err
		}
		v.Error = apiMessage(err)
		return c.listTokens(ctx, v, p, nil)
	}
	v.Notice = "Copy the token now: it is shown only this once."
	return c.listTokens(ctx, v, p, &created)
}

func (c *Console) revokePlaywrightToken(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Access tokens", "playwright", "tokens.html"
	p, ok := planeOf(v.r.PostFormValue)
	if !ok {
		v.Template, v.Error = "message.html", "Choose an account or workspace on the Playwright page."
		return nil
	}
	tok, err := c.planeToken(ctx, v, p)
	if err != nil {
		return err
	}
	if err := c.callWith(ctx, v, tok, http.MethodDelete, p.path(field(v.r, "tokenId")), nil, nil); err != nil {
		return err
	}
	return v.redirect(p.page() + "&done=revoked")
}
