package playwrightworkspaces

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Quotas: the contract's one quota, ExecutionMinutes, per workspace and
// per subscription and location. What they report is the free trial: the
// first workspace created in a subscription (while no other holds one)
// holds the subscription's trial of 100 minutes for 30 days. tokend runs
// no billed browsers (the browsers are the user's own server, behind the
// gateway), so the minutes used are 0.

// quotaName is the only QuotaName.
const quotaName = "ExecutionMinutes"

// workspaceQuota is PlaywrightWorkspaceQuota.
type workspaceQuota struct {
	ID         string              `json:"id"`
	Name       string              `json:"name"`
	Type       string              `json:"type"`
	Properties workspaceQuotaProps `json:"properties"`
}

type workspaceQuotaProps struct {
	FreeTrial         *workspaceFreeTrial `json:"freeTrial,omitempty"`
	ProvisioningState string              `json:"provisioningState"`
}

// workspaceFreeTrial is PlaywrightWorkspaceFreeTrialProperties.
type workspaceFreeTrial struct {
	CreatedAt      string  `json:"createdAt"`
	ExpiryAt       string  `json:"expiryAt"`
	AllocatedValue int     `json:"allocatedValue"`
	UsedValue      float64 `json:"usedValue"`
	PercentageUsed float64 `json:"percentageUsed"`
}

// subscriptionQuota is PlaywrightQuota.
type subscriptionQuota struct {
	ID         string                 `json:"id"`
	Name       string                 `json:"name"`
	Type       string                 `json:"type"`
	Properties subscriptionQuotaProps `json:"properties"`
}

type subscriptionQuotaProps struct {
	FreeTrial         *subscriptionFreeTrial `json:"freeTrial,omitempty"`
	ProvisioningState string                 `json:"provisioningState"`
}

// subscriptionFreeTrial is FreeTrialProperties.
type subscriptionFreeTrial struct {
	WorkspaceID string `json:"workspaceId"`
	State       string `json:"state"`
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// checkQuotaName refuses a name outside the QuotaName enum (matched
// without regard to case, as ARM does) naming the parameter.
func checkQuotaName(param, name string) error {
	if !strings.EqualFold(name, quotaName) {
		return wire.Errorf(http.StatusNotFound, "QuotaNotFound", "The quota '"+wire.Clip(name)+
			"' ("+param+") was not found: the only quota is '"+quotaName+"'.")
	}
	return nil
}

func renderWorkspaceQuota(id arm.ID, doc *workspaceDocument) workspaceQuota {
	q := workspaceQuota{
		ID: id.String() + "/quotas/" + quotaName, Name: quotaName, Type: workspaceARMType + "/quotas",
		Properties: workspaceQuotaProps{ProvisioningState: "Succeeded"},
	}
	if t := doc.FreeTrial; t != nil {
		q.Properties.FreeTrial = &workspaceFreeTrial{CreatedAt: formatTime(t.CreatedAt), ExpiryAt: formatTime(t.ExpiryAt),
			AllocatedValue: freeTrialMinutes}
	}
	return q
}

func (s *Service) listWorkspaceQuotas(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := workspaceResourceID(r)
	if err := validateWorkspaceName(id.Name()); err != nil {
		return nil, err
	}
	_, doc, err := s.loadWorkspace(ctx, id)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": []workspaceQuota{renderWorkspaceQuota(id, doc)}}), nil
}

func (s *Service) getWorkspaceQuota(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := workspaceResourceID(r)
	if err := validateWorkspaceName(id.Name()); err != nil {
		return nil, err
	}
	if err := checkQuotaName("quotaName", r.Param("quotaName")); err != nil {
		return nil, err
	}
	_, doc, err := s.loadWorkspace(ctx, id)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, renderWorkspaceQuota(id, doc)), nil
}

// subscriptionQuotaOf is the subscription's quota in a location: the
// free trial of the workspace holding it, when that workspace is there.
func (s *Service) subscriptionQuotaOf(ctx context.Context, r *pipeline.Request) (subscriptionQuota, error) {
	sub, loc := r.Param("subscriptionId"), arm.NormalizeLocation(r.Param("location"))
	q := subscriptionQuota{
		ID:   "/subscriptions/" + sub + "/providers/" + Namespace + "/locations/" + loc + "/playwrightQuotas/" + quotaName,
		Name: quotaName, Type: Namespace + "/locations/playwrightQuotas",
		Properties: subscriptionQuotaProps{ProvisioningState: "Succeeded"},
	}
	held, err := trialHolder(ctx, s.store, arm.SubscriptionKey(sub))
	if err != nil || held == nil || held.Location != loc {
		return q, err
	}
	state := "Active"
	if !s.now().Before(held.FreeTrial.ExpiryAt) {
		state = "Expired"
	}
	q.Properties.FreeTrial = &subscriptionFreeTrial{WorkspaceID: held.WorkspaceID, State: state}
	return q, nil
}

func (s *Service) listSubscriptionQuotas(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	q, err := s.subscriptionQuotaOf(ctx, r)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": []subscriptionQuota{q}}), nil
}

func (s *Service) getSubscriptionQuota(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if err := checkQuotaName("playwrightQuotaName", r.Param("playwrightQuotaName")); err != nil {
		return nil, err
	}
	q, err := s.subscriptionQuotaOf(ctx, r)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, q), nil
}
