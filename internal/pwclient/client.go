// Package pwclient is a Playwright Testing data-plane client (AuthManager,
// api-version 2024-12-01) written the way the Azure SDK for Go's generated
// clients are: an azcore pipeline with the bearer-token policy for
// https://playwright.microsoft.com/.default, one request builder and one
// response handler per operation, *azcore.ResponseError for any status the
// operation does not declare, and a runtime.Pager that follows nextLink
// verbatim. No official Go client exists for this data plane; tokend's tests
// and benchmarks drive it with this one.
package pwclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

const (
	moduleName    = "azsdkharness-playwright"
	moduleVersion = "v1.0.0"
	apiVersion    = "2024-12-01"
	// Scope is the data plane's OAuth scope.
	Scope = "https://playwright.microsoft.com/.default"
)

// ClientOptions are the client's options.
type ClientOptions struct {
	azcore.ClientOptions
}

// Client talks to one data-plane endpoint.
type Client struct {
	endpoint string
	pl       runtime.Pipeline
}

// NewClient returns a client for endpoint (for tokend, {base}/playwright).
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

// AccessTokenState is Active or Expired.
type AccessTokenState string

// Access-token states.
const (
	AccessTokenStateActive  AccessTokenState = "Active"
	AccessTokenStateExpired AccessTokenState = "Expired"
)

// AccessToken is the AccessToken model.
type AccessToken struct {
	ID        *string           `json:"id,omitempty"`
	Name      *string           `json:"name,omitempty"`
	JWTToken  *string           `json:"jwtToken,omitempty"`
	CreatedAt *time.Time        `json:"createdAt,omitempty"`
	ExpiryAt  *time.Time        `json:"expiryAt,omitempty"`
	State     *AccessTokenState `json:"state,omitempty"`
}

// MarshalJSON sends only the writable properties (name, expiryAt), as the
// generated serializers leave read-only members out.
func (a AccessToken) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if a.Name != nil {
		m["name"] = *a.Name
	}
	if a.ExpiryAt != nil {
		m["expiryAt"] = a.ExpiryAt.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(m)
}

// PagedAccessToken is one page of a list.
type PagedAccessToken struct {
	Value    []*AccessToken `json:"value"`
	NextLink *string        `json:"nextLink,omitempty"`
}

// Account is the data plane's Account model.
type Account struct {
	ID                *string `json:"id,omitempty"`
	ResourceID        *string `json:"resourceId,omitempty"`
	Name              *string `json:"name,omitempty"`
	State             *string `json:"state,omitempty"`
	SubscriptionID    *string `json:"subscriptionId,omitempty"`
	SubscriptionState *string `json:"subscriptionState,omitempty"`
	TenantID          *string `json:"tenantId,omitempty"`
	Location          *string `json:"location,omitempty"`
	RegionalAffinity  *string `json:"regionalAffinity,omitempty"`
	ScalableExecution *string `json:"scalableExecution,omitempty"`
	Reporting         *string `json:"reporting,omitempty"`
	LocalAuth         *string `json:"localAuth,omitempty"`
}

// GetAccountResponse is Accounts_Get's response.
type GetAccountResponse struct{ Account }

// CreateOrReplaceResponse is AccessTokens_CreateOrReplace's response;
// Created tells 201 from 200 (replaced).
type CreateOrReplaceResponse struct {
	AccessToken
	Created bool
}

// GetAccessTokenResponse is AccessTokens_Get's response.
type GetAccessTokenResponse struct{ AccessToken }

// DeleteAccessTokenResponse is AccessTokens_Delete's response.
type DeleteAccessTokenResponse struct{}

// ListResponse is one page of AccessTokens_List.
type ListResponse struct{ PagedAccessToken }

// ListOptions are the OData query options the List operation advertises.
type ListOptions struct {
	Filter  *string
	Orderby *string
	Select  []string
	Top     *int32
	Skip    *int32
}

func (c *Client) path(accountID string, rest ...string) (string, error) {
	if accountID == "" {
		return "", errors.New("parameter accountID cannot be empty")
	}
	p := "/accounts/" + url.PathEscape(accountID)
	for _, r := range rest {
		p += "/" + r
	}
	return runtime.JoinPaths(c.endpoint, p), nil
}

func (c *Client) newRequest(ctx context.Context, method, u string) (*policy.Request, error) {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return nil, err
	}
	qp := req.Raw().URL.Query()
	qp.Set("api-version", apiVersion)
	req.Raw().URL.RawQuery = qp.Encode()
	req.Raw().Header["Accept"] = []string{"application/json"}
	return req, nil
}

// GetAccount reads an account.
func (c *Client) GetAccount(ctx context.Context, accountID string) (GetAccountResponse, error) {
	u, err := c.path(accountID)
	if err != nil {
		return GetAccountResponse{}, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return GetAccountResponse{}, err
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return GetAccountResponse{}, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return GetAccountResponse{}, runtime.NewResponseError(resp)
	}
	var out GetAccountResponse
	if err := runtime.UnmarshalAsJSON(resp, &out.Account); err != nil {
		return GetAccountResponse{}, err
	}
	return out, nil
}

func tokenPath(accessTokenID string) (string, error) {
	if accessTokenID == "" {
		return "", errors.New("parameter accessTokenID cannot be empty")
	}
	return "access-tokens/" + url.PathEscape(accessTokenID), nil
}

// CreateOrReplace creates (201) or replaces (200) an access token; the
// response carries jwtToken, the only time it is shown.
func (c *Client) CreateOrReplace(ctx context.Context, accountID, accessTokenID string, resource AccessToken) (CreateOrReplaceResponse, error) {
	tp, err := tokenPath(accessTokenID)
	if err != nil {
		return CreateOrReplaceResponse{}, err
	}
	u, err := c.path(accountID, tp)
	if err != nil {
		return CreateOrReplaceResponse{}, err
	}
	req, err := c.newRequest(ctx, http.MethodPut, u)
	if err != nil {
		return CreateOrReplaceResponse{}, err
	}
	if err := runtime.MarshalAsJSON(req, resource); err != nil {
		return CreateOrReplaceResponse{}, err
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return CreateOrReplaceResponse{}, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK, http.StatusCreated) {
		return CreateOrReplaceResponse{}, runtime.NewResponseError(resp)
	}
	out := CreateOrReplaceResponse{Created: resp.StatusCode == http.StatusCreated}
	if err := runtime.UnmarshalAsJSON(resp, &out.AccessToken); err != nil {
		return CreateOrReplaceResponse{}, err
	}
	return out, nil
}

// Get reads an access token (never its jwtToken).
func (c *Client) Get(ctx context.Context, accountID, accessTokenID string) (GetAccessTokenResponse, error) {
	tp, err := tokenPath(accessTokenID)
	if err != nil {
		return GetAccessTokenResponse{}, err
	}
	u, err := c.path(accountID, tp)
	if err != nil {
		return GetAccessTokenResponse{}, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return GetAccessTokenResponse{}, err
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return GetAccessTokenResponse{}, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return GetAccessTokenResponse{}, runtime.NewResponseError(resp)
	}
	var out GetAccessTokenResponse
	if err := runtime.UnmarshalAsJSON(resp, &out.AccessToken); err != nil {
		return GetAccessTokenResponse{}, err
	}
	return out, nil
}

// Delete deletes an access token (204).
func (c *Client) Delete(ctx context.Context, accountID, accessTokenID string) (DeleteAccessTokenResponse, error) {
	tp, err := tokenPath(accessTokenID)
	if err != nil {
		return DeleteAccessTokenResponse{}, err
	}
	u, err := c.path(accountID, tp)
	if err != nil {
		return DeleteAccessTokenResponse{}, err
	}
	req, err := c.newRequest(ctx, http.MethodDelete, u)
	if err != nil {
		return DeleteAccessTokenResponse{}, err
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return DeleteAccessTokenResponse{}, err
	}
	if !runtime.HasStatusCode(resp, http.StatusNoContent) {
		return DeleteAccessTokenResponse{}, runtime.NewResponseError(resp)
	}
	return DeleteAccessTokenResponse{}, nil
}

// NewListPager lists an account's access tokens page by page.
func (c *Client) NewListPager(accountID string, options *ListOptions) *runtime.Pager[ListResponse] {
	return runtime.NewPager(runtime.PagingHandler[ListResponse]{
		More: func(page ListResponse) bool {
			return page.NextLink != nil && len(*page.NextLink) > 0
		},
		Fetcher: func(ctx context.Context, page *ListResponse) (ListResponse, error) {
			nextLink := ""
			if page != nil {
				nextLink = *page.NextLink
			}
			resp, err := runtime.FetcherForNextLink(ctx, c.pl, nextLink, func(ctx context.Context) (*policy.Request, error) {
				return c.listCreateRequest(ctx, accountID, options)
			}, nil)
			if err != nil {
				return ListResponse{}, err
			}
			var out ListResponse
			if err := runtime.UnmarshalAsJSON(resp, &out.PagedAccessToken); err != nil {
				return ListResponse{}, err
			}
			return out, nil
		},
	})
}

func (c *Client) listCreateRequest(ctx context.Context, accountID string, o *ListOptions) (*policy.Request, error) {
	u, err := c.path(accountID, "access-tokens")
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	if o != nil {
		qp := req.Raw().URL.Query()
		if o.Filter != nil {
			qp.Set("$filter", *o.Filter)
		}
		if o.Orderby != nil {
			qp.Set("$orderby", *o.Orderby)
		}
		if len(o.Select) > 0 {
			qp.Set("$select", strings.Join(o.Select, ","))
		}
		if o.Top != nil {
			qp.Set("$top", strconv.FormatInt(int64(*o.Top), 10))
		}
		if o.Skip != nil {
			qp.Set("$skip", strconv.FormatInt(int64(*o.Skip), 10))
		}
		req.Raw().URL.RawQuery = qp.Encode()
	}
	return req, nil
}
