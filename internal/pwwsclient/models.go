// Package pwwsclient is a Playwright Workspaces client written the way the
// Azure SDK for Go's generated clients are, for tests: WorkspacesClient
// for Microsoft.LoadTestService/playwrightWorkspaces on Resource Manager
// (an arm.Client pipeline, LRO pollers for CreateOrUpdate and Delete,
// runtime.Pager lists) and Client for the workspace data plane
// (api-version 2025-09-01: access tokens, GetBrowsers, test runs).
// *azcore.ResponseError reports any status an operation does not declare.
// No official Go module exists for either; tokend's tests drive both with
// this one.
package pwwsclient

import (
	"encoding/json"
	"time"
)

// EnablementStatus is Enabled or Disabled.
type EnablementStatus string

// Enablement values.
const (
	EnablementStatusEnabled  EnablementStatus = "Enabled"
	EnablementStatusDisabled EnablementStatus = "Disabled"
)

// SystemData is the common-types systemData.
type SystemData struct {
	CreatedBy      *string    `json:"createdBy,omitempty"`
	CreatedAt      *time.Time `json:"createdAt,omitempty"`
	LastModifiedBy *string    `json:"lastModifiedBy,omitempty"`
	LastModifiedAt *time.Time `json:"lastModifiedAt,omitempty"`
}

// WorkspaceProperties are PlaywrightWorkspaceProperties.
type WorkspaceProperties struct {
	ProvisioningState *string           `json:"provisioningState,omitempty"`
	DataplaneURI      *string           `json:"dataplaneUri,omitempty"`
	RegionalAffinity  *EnablementStatus `json:"regionalAffinity,omitempty"`
	LocalAuth         *EnablementStatus `json:"localAuth,omitempty"`
	WorkspaceID       *string           `json:"workspaceId,omitempty"`
}

// Workspace is PlaywrightWorkspace.
type Workspace struct {
	Location   *string              `json:"location,omitempty"`
	Tags       map[string]*string   `json:"tags,omitempty"`
	Properties *WorkspaceProperties `json:"properties,omitempty"`
	ID         *string              `json:"id,omitempty"`
	Name       *string              `json:"name,omitempty"`
	Type       *string              `json:"type,omitempty"`
	SystemData *SystemData          `json:"systemData,omitempty"`
}

// MarshalJSON sends only what a PUT may: location, tags and the writable
// properties, as the generated serializers leave read-only members out.
func (w Workspace) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if w.Location != nil {
		m["location"] = *w.Location
	}
	if w.Tags != nil {
		m["tags"] = w.Tags
	}
	if p := w.Properties; p != nil {
		props := map[string]any{}
		if p.RegionalAffinity != nil {
			props["regionalAffinity"] = *p.RegionalAffinity
		}
		if p.LocalAuth != nil {
			props["localAuth"] = *p.LocalAuth
		}
		m["properties"] = props
	}
	return json.Marshal(m)
}

// WorkspaceUpdateProperties are PlaywrightWorkspaceUpdateProperties.
type WorkspaceUpdateProperties struct {
	RegionalAffinity *EnablementStatus `json:"regionalAffinity,omitempty"`
	LocalAuth        *EnablementStatus `json:"localAuth,omitempty"`
}

// WorkspaceUpdate is PlaywrightWorkspaceUpdate.
type WorkspaceUpdate struct {
	Tags       map[string]*string         `json:"tags,omitempty"`
	Properties *WorkspaceUpdateProperties `json:"properties,omitempty"`
}

// WorkspaceListResult is PlaywrightWorkspaceListResult.
type WorkspaceListResult struct {
	Value    []*Workspace `json:"value"`
	NextLink *string      `json:"nextLink,omitempty"`
}

// CheckNameAvailabilityRequest and CheckNameAvailabilityResponse are the
// common-types models.
type CheckNameAvailabilityRequest struct {
	Name *string `json:"name,omitempty"`
	Type *string `json:"type,omitempty"`
}

// CheckNameAvailabilityResponse is the common-types model.
type CheckNameAvailabilityResponse struct {
	NameAvailable *bool   `json:"nameAvailable,omitempty"`
	Reason        *string `json:"reason,omitempty"`
	Message       *string `json:"message,omitempty"`
}

// WorkspaceFreeTrialProperties is PlaywrightWorkspaceFreeTrialProperties.
type WorkspaceFreeTrialProperties struct {
	CreatedAt      *time.Time `json:"createdAt,omitempty"`
	ExpiryAt       *time.Time `json:"expiryAt,omitempty"`
	AllocatedValue *int32     `json:"allocatedValue,omitempty"`
	UsedValue      *float32   `json:"usedValue,omitempty"`
	PercentageUsed *float32   `json:"percentageUsed,omitempty"`
}

// WorkspaceQuota is PlaywrightWorkspaceQuota.
type WorkspaceQuota struct {
	ID         *string `json:"id,omitempty"`
	Name       *string `json:"name,omitempty"`
	Type       *string `json:"type,omitempty"`
	Properties *struct {
		FreeTrial         *WorkspaceFreeTrialProperties `json:"freeTrial,omitempty"`
		ProvisioningState *string                       `json:"provisioningState,omitempty"`
	} `json:"properties,omitempty"`
}

// Quota is PlaywrightQuota (subscription, location).
type Quota struct {
	ID         *string `json:"id,omitempty"`
	Name       *string `json:"name,omitempty"`
	Type       *string `json:"type,omitempty"`
	Properties *struct {
		FreeTrial *struct {
			WorkspaceID *string `json:"workspaceId,omitempty"`
			State       *string `json:"state,omitempty"`
		} `json:"freeTrial,omitempty"`
		ProvisioningState *string `json:"provisioningState,omitempty"`
	} `json:"properties,omitempty"`
}

// AccessToken is the data plane's AccessToken.
type AccessToken struct {
	ID        *string    `json:"id,omitempty"`
	Name      *string    `json:"name,omitempty"`
	JWTToken  *string    `json:"jwtToken,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
	ExpiryAt  *time.Time `json:"expiryAt,omitempty"`
	State     *string    `json:"state,omitempty"`
}

// MarshalJSON sends the create-time members only (name, expiryAt).
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

// PagedAccessToken is one page of access tokens.
type PagedAccessToken struct {
	Value    []*AccessToken `json:"value"`
	NextLink *string        `json:"nextLink,omitempty"`
}

// RunFramework, RunConfig, CIConfig, RunSummary and TestRun are the test
// run models; TestRunCreateOrUpdate is the merge-patch body.
type RunFramework struct {
	Name       *string `json:"name,omitempty"`
	Version    *string `json:"version,omitempty"`
	RunnerName *string `json:"runnerName,omitempty"`
}

// RunConfig is the run's configuration.
type RunConfig struct {
	Framework   *RunFramework `json:"framework,omitempty"`
	SDKLanguage *string       `json:"sdkLanguage,omitempty"`
	MaxWorkers  *int64        `json:"maxWorkers,omitempty"`
}

// CIConfig is the run's CI information.
type CIConfig struct {
	ProviderName *string `json:"providerName,omitempty"`
	Branch       *string `json:"branch,omitempty"`
	Author       *string `json:"author,omitempty"`
	CommitID     *string `json:"commitId,omitempty"`
	RevisionURL  *string `json:"revisionUrl,omitempty"`
}

// RunSummary is the run's summary.
type RunSummary struct {
	Status                       *string    `json:"status,omitempty"`
	StartTime                    *time.Time `json:"startTime,omitempty"`
	NumBrowserSessions           *int64     `json:"numBrowserSessions,omitempty"`
	MaxConcurrentBrowserSessions *int64     `json:"maxConcurrentBrowserSessions,omitempty"`
}

// TestRun is the TestRun model.
type TestRun struct {
	ID          *string     `json:"id,omitempty"`
	DisplayName *string     `json:"displayName,omitempty"`
	CreatorID   *string     `json:"creatorId,omitempty"`
	CreatorName *string     `json:"creatorName,omitempty"`
	Config      *RunConfig  `json:"config,omitempty"`
	CIConfig    *CIConfig   `json:"ciConfig,omitempty"`
	Summary     *RunSummary `json:"summary,omitempty"`
}

// TestRunCreateOrUpdate is the merge-patch body.
type TestRunCreateOrUpdate struct {
	DisplayName *string    `json:"displayName,omitempty"`
	Config      *RunConfig `json:"config,omitempty"`
	CIConfig    *CIConfig  `json:"ciConfig,omitempty"`
}

// PagedTestRun is one page of test runs.
type PagedTestRun struct {
	Value    []*TestRun `json:"value"`
	NextLink *string    `json:"nextLink,omitempty"`
}
