package playwright

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// An account DELETE answers 202 with a Location the SDK's poller follows.
// The operation is recorded as a resource at subscription scope,
// .../providers/Microsoft.AzurePlaywrightService/locations/{location}/operationStatuses/{id},
// holding the common-types OperationStatusResult the poller reads; a GET
// there answers 200 (done) with the stored status.

const operationType = "microsoft.azureplaywrightservice/locations/operationstatuses"

// operationStatus is OperationStatusResult (common-types v5).
type operationStatus struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Status          string         `json:"status"`
	PercentComplete float64        `json:"percentComplete"`
	StartTime       arm.Timestamp  `json:"startTime"`
	EndTime         *arm.Timestamp `json:"endTime,omitempty"`
	ResourceID      string         `json:"resourceId,omitempty"`
}

type operation struct {
	ID     arm.ID
	status operationStatus
}

func newOperation(target arm.ID, location string, start time.Time) *operation {
	opID := uuid.NewString()
	id := arm.ID{SubscriptionID: target.SubscriptionID, Namespace: Namespace,
		Types: []string{"locations", "operationStatuses"}, Names: []string{location, opID}}
	return &operation{ID: id, status: operationStatus{
		ID: id.String(), Name: opID, Status: "InProgress", StartTime: arm.Timestamp(start), ResourceID: target.String(),
	}}
}

func (o *operation) finish(end time.Time, status string) {
	t := arm.Timestamp(end)
	o.status.Status, o.status.EndTime, o.status.PercentComplete = status, &t, 100
}

func (o *operation) resource(caller string) *tokend.Resource {
	body, _ := json.Marshal(o.status)
	start := time.Time(o.status.StartTime)
	return &tokend.Resource{
		Key: o.ID.Key(), ID: o.ID.String(), Type: operationType, Name: o.status.Name, UID: o.status.Name,
		ETag: arm.NewETag(), Body: body, CreatedAt: start, UpdatedAt: start, CreatedBy: caller, UpdatedBy: caller,
	}
}

func (s *Service) getOperationStatus(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	id := arm.ID{SubscriptionID: r.Param("subscriptionId"), Namespace: Namespace,
		Types: []string{"locations", "operationStatuses"}, Names: []string{r.Param("location"), r.Param("operationId")}}
	res, err := s.store.GetResource(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, wire.Errorf(http.StatusNotFound, "OperationNotFound", "The operation '"+r.Param("operationId")+"' was not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("load operation %s: %w", id, err)
	}
	return &wire.Response{Status: http.StatusOK, Body: json.RawMessage(res.Body)}, nil
}

// checkNameRequest is the common-types CheckNameAvailabilityRequest.
type checkNameRequest struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// checkNameResponse is the common-types CheckNameAvailabilityResponse.
type checkNameResponse struct {
	NameAvailable bool   `json:"nameAvailable"`
	Reason        string `json:"reason,omitempty"`
	Message       string `json:"message,omitempty"`
}

// checkNameAvailability answers whether an account name is valid and free
// in the subscription (Azure reserves dashboard host names per name; tokend's
// dashboards are keyed by account id, so the subscription is the scope that
// can collide for a caller).
func (s *Service) checkNameAvailability(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	var in checkNameRequest
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Type != "" && !strings.EqualFold(in.Type, accountARMType) {
		return nil, wire.BadRequest("InvalidResourceType", "type", "The resource type '"+in.Type+
			"' is not supported; the only type is '"+accountARMType+"'.")
	}
	if !accountNamePattern.MatchString(in.Name) {
		return wire.JSON(http.StatusOK, checkNameResponse{Reason: "Invalid", Message: "The name '" + in.Name +
			"' is invalid: an account name is 3 to 64 letters and digits, starting with a letter."}), nil
	}
	q := tokend.ResourceQuery{Scope: arm.SubscriptionKey(r.Param("subscriptionId")), Type: accountType, Limit: 1000}
	for {
		page, err := s.store.ListResources(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		for _, res := range page {
			if strings.EqualFold(res.Name, in.Name) {
				return wire.JSON(http.StatusOK, checkNameResponse{Reason: "AlreadyExists",
					Message: "An account named '" + res.Name + "' already exists in this subscription."}), nil
			}
		}
		if len(page) < q.Limit {
			return wire.JSON(http.StatusOK, checkNameResponse{NameAvailable: true}), nil
		}
		q.After = page[len(page)-1].Key
	}
}
