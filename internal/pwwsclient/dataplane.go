package pwwsclient

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

const (
	// DataPlaneAPIVersion is the data plane's api-version.
	DataPlaneAPIVersion = "2025-09-01"
	// Scope is the data plane's OAuth scope (the spec's OAuth2Auth).
	Scope = "https://playwright.microsoft.com/.default"
)

// ClientOptions are the data-plane client's options.
type ClientOptions struct {
	azcore.ClientOptions
}

// Client talks to one workspace data plane ({dataplaneUri}).
type Client struct {
	endpoint string
	pl       runtime.Pipeline
}

// NewClient returns a data-plane client for endpoint (a workspace's
// dataplaneUri).
func NewClient(endpoint string, cred azcore.TokenCredential, options *ClientOptions) (*Client, error) {
	if options == nil {
		options = &ClientOptions{}
	}
	authPolicy := runtime.NewBearerTokenPolicy(cred, []string{Scope}, nil)
	pl := runtime.NewPipeline(moduleName, moduleVersion, runtime.PipelineOptions{
		PerRetry: []policy.Policy{authPolicy},
	}, &options.ClientOptions)
	return &Client{endpoint: endpoint, pl: pl}, nil
}

func (c *Client) request(ctx context.Context, method, workspaceID string, rest ...string) (*policy.Request, error) {
	if workspaceID == "" {
		return nil, errors.New("parameter workspaceID cannot be empty")
	}
	p := "/playwrightworkspaces/" + url.PathEscape(workspaceID)
	for _, r := range rest {
		if r == "" {
			return nil, errors.New("a path parameter cannot be empty")
		}
		p += "/" + url.PathEscape(r)
	}
	req, err := runtime.NewRequest(ctx, method, runtime.JoinPaths(c.endpoint, p))
	if err != nil {
		return nil, err
	}
	qp := req.Raw().URL.Query()
	qp.Set("api-version", DataPlaneAPIVersion)
	req.Raw().URL.RawQuery = qp.Encode()
	req.Raw().Header["Accept"] = []string{"application/json"}
	return req, nil
}

func (c *Client) do(req *policy.Request, out any, statuses ...int) (*http.Response, error) {
	resp, err := c.pl.Do(req)
	if err != nil {
		return nil, err
	}
	if !runtime.HasStatusCode(resp, statuses...) {
		return nil, runtime.NewResponseError(resp)
	}
	if out != nil {
		if err := runtime.UnmarshalAsJSON(resp, out); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// CreateOrReplaceResponse is AccessTokens_CreateOrReplace's; Created
// tells 201 from 200.
type CreateOrReplaceResponse struct {
	AccessToken
	Created bool
}

// CreateOrReplaceAccessToken mints a token (its jwtToken shown only here).
func (c *Client) CreateOrReplaceAccessToken(ctx context.Context, workspaceID, accessTokenID string, resource AccessToken) (CreateOrReplaceResponse, error) {
	req, err := c.request(ctx, http.MethodPut, workspaceID, "access-tokens", accessTokenID)
	if err != nil {
		return CreateOrReplaceResponse{}, err
	}
	if err := runtime.MarshalAsJSON(req, resource); err != nil {
		return CreateOrReplaceResponse{}, err
	}
	var out CreateOrReplaceResponse
	resp, err := c.do(req, &out.AccessToken, http.StatusOK, http.StatusCreated)
	if err != nil {
		return CreateOrReplaceResponse{}, err
	}
	out.Created = resp.StatusCode == http.StatusCreated
	return out, nil
}

// GetAccessToken reads a token (never its jwtToken).
func (c *Client) GetAccessToken(ctx context.Context, workspaceID, accessTokenID string) (AccessToken, error) {
	req, err := c.request(ctx, http.MethodGet, workspaceID, "access-tokens", accessTokenID)
	if err != nil {
		return AccessToken{}, err
	}
	var out AccessToken
	_, err = c.do(req, &out, http.StatusOK)
	return out, err
}

// DeleteAccessToken deletes a token (204).
func (c *Client) DeleteAccessToken(ctx context.Context, workspaceID, accessTokenID string) error {
	req, err := c.request(ctx, http.MethodDelete, workspaceID, "access-tokens", accessTokenID)
	if err != nil {
		return err
	}
	_, err = c.do(req, nil, http.StatusNoContent)
	return err
}

func pager[T any](c *Client, first func(ctx context.Context) (*policy.Request, error), next func(T) *string) *runtime.Pager[T] {
	return runtime.NewPager(runtime.PagingHandler[T]{
		More: func(page T) bool { n := next(page); return n != nil && *n != "" },
		Fetcher: func(ctx context.Context, page *T) (T, error) {
			var out T
			nextLink := ""
			if page != nil {
				nextLink = *next(*page)
			}
			resp, err := runtime.FetcherForNextLink(ctx, c.pl, nextLink, first, nil)
			if err != nil {
				return out, err
			}
			err = runtime.UnmarshalAsJSON(resp, &out)
			return out, err
		},
	})
}

// NewListAccessTokensPager lists a workspace's tokens.
func (c *Client) NewListAccessTokensPager(workspaceID string) *runtime.Pager[PagedAccessToken] {
	return pager(c, func(ctx context.Context) (*policy.Request, error) {
		return c.request(ctx, http.MethodGet, workspaceID, "access-tokens")
	}, func(p PagedAccessToken) *string { return p.NextLink })
}

// GetBrowsersResponse is Workspaces_GetBrowsers' 302.
type GetBrowsersResponse struct{ Location string }

// GetBrowsers asks for the browsers endpoint (302 with Location; the
// pipeline must not follow redirects).
func (c *Client) GetBrowsers(ctx context.Context, workspaceID, os string, runID *string) (GetBrowsersResponse, error) {
	req, err := c.request(ctx, http.MethodGet, workspaceID, "browsers")
	if err != nil {
		return GetBrowsersResponse{}, err
	}
	qp := req.Raw().URL.Query()
	qp.Set("os", os)
	if runID != nil {
		qp.Set("runId", *runID)
	}
	req.Raw().URL.RawQuery = qp.Encode()
	resp, err := c.do(req, nil, http.StatusFound)
	if err != nil {
		return GetBrowsersResponse{}, err
	}
	return GetBrowsersResponse{Location: resp.Header.Get("Location")}, nil
}

// CreateOrUpdateTestRun sends the run's merge-patch.
func (c *Client) CreateOrUpdateTestRun(ctx context.Context, workspaceID, runID string, resource TestRunCreateOrUpdate) (TestRun, error) {
	req, err := c.request(ctx, http.MethodPatch, workspaceID, "test-runs", runID)
	if err != nil {
		return TestRun{}, err
	}
	if err := runtime.MarshalAsJSON(req, resource); err != nil {
		return TestRun{}, err
	}
	req.Raw().Header.Set("Content-Type", "application/merge-patch+json")
	var out TestRun
	_, err = c.do(req, &out, http.StatusOK, http.StatusCreated)
	return out, err
}

// NewListTestRunsPager lists a workspace's test runs.
func (c *Client) NewListTestRunsPager(workspaceID string) *runtime.Pager[PagedTestRun] {
	return pager(c, func(ctx context.Context) (*policy.Request, error) {
		return c.request(ctx, http.MethodGet, workspaceID, "test-runs")
	}, func(p PagedTestRun) *string { return p.NextLink })
}
