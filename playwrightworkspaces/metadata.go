package playwrightworkspaces

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/wire"
)

// The @azure/playwright package reads the workspace's metadata before a
// run (PlaywrightServiceClient.getWorkspaceMetadata: GET
// {api host}/playwrightworkspaces/{workspaceId}?api-version=2025-09-01) to
// learn whether reporting has a storage account. The operation is not in
// the published data-plane spec; its shape is the package's
// WorkspaceMetaData type. tokend links no storage account, so storageUri
// is absent, which the package reports as reporting not being set up.

// workspaceMetadata is the package's WorkspaceMetaData.
type workspaceMetadata struct {
	ID                string `json:"id"`
	ResourceID        string `json:"resourceId"`
	Name              string `json:"name"`
	State             string `json:"state"`
	SubscriptionID    string `json:"subscriptionId"`
	SubscriptionState string `json:"subscriptionState"`
	TenantID          string `json:"tenantId"`
	Location          string `json:"location"`
	RegionalAffinity  string `json:"regionalAffinity"`
	LocalAuth         string `json:"localAuth"`
}

func (s *Service) getMetadata(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	ws := playwright.ParentOf(r)
	doc, err := s.workspaceDoc(ctx, ws)
	if err != nil {
		return nil, err
	}
	id, err := arm.ParseID(doc.ID)
	if err != nil {
		return nil, fmt.Errorf("stored workspace id %q: %w", doc.ID, err)
	}
	sub, err := s.store.GetSubscription(ctx, strings.ToLower(id.SubscriptionID))
	if err != nil {
		return nil, fmt.Errorf("load subscription of workspace %s: %w", doc.ID, err)
	}
	return wire.JSON(http.StatusOK, workspaceMetadata{
		ID: doc.WorkspaceID, ResourceID: doc.ID, Name: doc.Name, State: "Active",
		SubscriptionID: strings.ToLower(id.SubscriptionID), SubscriptionState: playwright.SubscriptionState(sub.State),
		TenantID: sub.TenantID, Location: doc.Location,
		RegionalAffinity: doc.Properties.RegionalAffinity, LocalAuth: doc.Properties.LocalAuth,
	}), nil
}
