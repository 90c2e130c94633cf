package pwwsclient

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

const (
	moduleName    = "azsdkharness-playwrightworkspaces"
	moduleVersion = "v1.0.0"
	// ARMAPIVersion is the api-version WorkspacesClient sends unless told
	// otherwise.
	ARMAPIVersion = "2025-10-01"
)

// WorkspacesClient is PlaywrightWorkspaces_* and the quota operations.
type WorkspacesClient struct {
	internal       *arm.Client
	subscriptionID string
	apiVersion     string
}

// NewWorkspacesClient returns a client for one subscription; apiVersion
// "" is ARMAPIVersion.
func NewWorkspacesClient(subscriptionID, apiVersion string, credential azcore.TokenCredential, options *arm.ClientOptions) (*WorkspacesClient, error) {
	cl, err := arm.NewClient(moduleName+".WorkspacesClient", moduleVersion, credential, options)
	if err != nil {
		return nil, err
	}
	if apiVersion == "" {
		apiVersion = ARMAPIVersion
	}
	return &WorkspacesClient{internal: cl, subscriptionID: subscriptionID, apiVersion: apiVersion}, nil
}

func (c *WorkspacesClient) request(ctx context.Context, method string, segments ...string) (*policy.Request, error) {
	p := "/subscriptions/" + url.PathEscape(c.subscriptionID)
	for _, s := range segments {
		if s == "" {
			return nil, errors.New("a path parameter cannot be empty")
		}
		p += "/" + s
	}
	req, err := runtime.NewRequest(ctx, method, runtime.JoinPaths(c.internal.Endpoint(), p))
	if err != nil {
		return nil, err
	}
	qp := req.Raw().URL.Query()
	qp.Set("api-version", c.apiVersion)
	req.Raw().URL.RawQuery = qp.Encode()
	req.Raw().Header["Accept"] = []string{"application/json"}
	return req, nil
}

func (c *WorkspacesClient) workspaceSegments(group, name string, rest ...string) []string {
	return append([]string{"resourceGroups", url.PathEscape(group), "providers", "Microsoft.LoadTestService",
		"playwrightWorkspaces", url.PathEscape(name)}, rest...)
}

// do sends req and decodes a declared status's body into out (nil: none).
func (c *WorkspacesClient) do(req *policy.Request, out any, statuses ...int) (*http.Response, error) {
	resp, err := c.internal.Pipeline().Do(req)
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

// CreateOrUpdateResponse is the final result of BeginCreateOrUpdate.
type CreateOrUpdateResponse struct{ Workspace }

// BeginCreateOrUpdate creates or replaces a workspace (a long-running
// operation, final state via Azure-AsyncOperation).
func (c *WorkspacesClient) BeginCreateOrUpdate(ctx context.Context, group, name string, resource Workspace) (*runtime.Poller[CreateOrUpdateResponse], error) {
	req, err := c.request(ctx, http.MethodPut, c.workspaceSegments(group, name)...)
	if err != nil {
		return nil, err
	}
	if err := runtime.MarshalAsJSON(req, resource); err != nil {
		return nil, err
	}
	resp, err := c.do(req, nil, http.StatusOK, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	return runtime.NewPoller(resp, c.internal.Pipeline(), &runtime.NewPollerOptions[CreateOrUpdateResponse]{
		FinalStateVia: runtime.FinalStateViaAzureAsyncOp,
	})
}

// GetResponse is PlaywrightWorkspaces_Get's response.
type GetResponse struct{ Workspace }

// Get reads a workspace.
func (c *WorkspacesClient) Get(ctx context.Context, group, name string) (GetResponse, error) {
	req, err := c.request(ctx, http.MethodGet, c.workspaceSegments(group, name)...)
	if err != nil {
		return GetResponse{}, err
	}
	var out GetResponse
	_, err = c.do(req, &out.Workspace, http.StatusOK)
	return out, err
}

// UpdateResponse is PlaywrightWorkspaces_Update's response.
type UpdateResponse struct{ Workspace }

// Update patches a workspace (synchronous).
func (c *WorkspacesClient) Update(ctx context.Context, group, name string, properties WorkspaceUpdate) (UpdateResponse, error) {
	req, err := c.request(ctx, http.MethodPatch, c.workspaceSegments(group, name)...)
	if err != nil {
		return UpdateResponse{}, err
	}
	if err := runtime.MarshalAsJSON(req, properties); err != nil {
		return UpdateResponse{}, err
	}
	var out UpdateResponse
	_, err = c.do(req, &out.Workspace, http.StatusOK)
	return out, err
}

// DeleteResponse is the final result of BeginDelete.
type DeleteResponse struct{}

// BeginDelete deletes a workspace (202 or 204; final state via Location).
func (c *WorkspacesClient) BeginDelete(ctx context.Context, group, name string) (*runtime.Poller[DeleteResponse], error) {
	req, err := c.request(ctx, http.MethodDelete, c.workspaceSegments(group, name)...)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, nil, http.StatusAccepted, http.StatusNoContent)
	if err != nil {
		return nil, err
	}
	return runtime.NewPoller(resp, c.internal.Pipeline(), &runtime.NewPollerOptions[DeleteResponse]{
		FinalStateVia: runtime.FinalStateViaLocation,
	})
}

// ListResponse is one page of a workspace list.
type ListResponse struct{ WorkspaceListResult }

func (c *WorkspacesClient) pager(segments ...string) *runtime.Pager[ListResponse] {
	return runtime.NewPager(runtime.PagingHandler[ListResponse]{
		More: func(page ListResponse) bool { return page.NextLink != nil && len(*page.NextLink) > 0 },
		Fetcher: func(ctx context.Context, page *ListResponse) (ListResponse, error) {
			nextLink := ""
			if page != nil {
				nextLink = *page.NextLink
			}
			resp, err := runtime.FetcherForNextLink(ctx, c.internal.Pipeline(), nextLink, func(ctx context.Context) (*policy.Request, error) {
				return c.request(ctx, http.MethodGet, segments...)
			}, nil)
			if err != nil {
				return ListResponse{}, err
			}
			var out ListResponse
			if err := runtime.UnmarshalAsJSON(resp, &out.WorkspaceListResult); err != nil {
				return ListResponse{}, err
			}
			return out, nil
		},
	})
}

// NewListBySubscriptionPager lists the subscription's workspaces.
func (c *WorkspacesClient) NewListBySubscriptionPager() *runtime.Pager[ListResponse] {
	return c.pager("providers", "Microsoft.LoadTestService", "playwrightWorkspaces")
}

// NewListByResourceGroupPager lists a group's workspaces.
func (c *WorkspacesClient) NewListByResourceGroupPager(group string) *runtime.Pager[ListResponse] {
	return c.pager("resourceGroups", url.PathEscape(group), "providers", "Microsoft.LoadTestService", "playwrightWorkspaces")
}

// CheckNameAvailability asks whether a workspace name is free.
func (c *WorkspacesClient) CheckNameAvailability(ctx context.Context, body CheckNameAvailabilityRequest) (CheckNameAvailabilityResponse, error) {
	req, err := c.request(ctx, http.MethodPost, "providers", "Microsoft.LoadTestService", "checkNameAvailability")
	if err != nil {
		return CheckNameAvailabilityResponse{}, err
	}
	if err := runtime.MarshalAsJSON(req, body); err != nil {
		return CheckNameAvailabilityResponse{}, err
	}
	var out CheckNameAvailabilityResponse
	_, err = c.do(req, &out, http.StatusOK)
	return out, err
}

// GetWorkspaceQuota is PlaywrightWorkspaceQuotas_Get.
func (c *WorkspacesClient) GetWorkspaceQuota(ctx context.Context, group, name, quotaName string) (WorkspaceQuota, error) {
	req, err := c.request(ctx, http.MethodGet, c.workspaceSegments(group, name, "quotas", url.PathEscape(quotaName))...)
	if err != nil {
		return WorkspaceQuota{}, err
	}
	var out WorkspaceQuota
	_, err = c.do(req, &out, http.StatusOK)
	return out, err
}

// ListWorkspaceQuotas is PlaywrightWorkspaceQuotas_ListByPlaywrightWorkspace
// (one page: the contract has one quota).
func (c *WorkspacesClient) ListWorkspaceQuotas(ctx context.Context, group, name string) ([]*WorkspaceQuota, error) {
	req, err := c.request(ctx, http.MethodGet, c.workspaceSegments(group, name, "quotas")...)
	if err != nil {
		return nil, err
	}
	var out struct {
		Value []*WorkspaceQuota `json:"value"`
	}
	_, err = c.do(req, &out, http.StatusOK)
	return out.Value, err
}

// GetQuota is PlaywrightQuotas_Get (subscription, location).
func (c *WorkspacesClient) GetQuota(ctx context.Context, location, quotaName string) (Quota, error) {
	req, err := c.request(ctx, http.MethodGet, "providers", "Microsoft.LoadTestService", "locations",
		url.PathEscape(strings.ToLower(location)), "playwrightQuotas", url.PathEscape(quotaName))
	if err != nil {
		return Quota{}, err
	}
	var out Quota
	_, err = c.do(req, &out, http.StatusOK)
	return out, err
}
