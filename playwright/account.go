package playwright

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Namespace is the ARM resource provider.
const Namespace = "Microsoft.AzurePlaywrightService"

// APIVersions are the registered Microsoft.AzurePlaywrightService versions;
// 2024-12-01 is the only stable one and the newest.
var APIVersions = wire.NewAPIVersions("2023-10-01-preview", "2024-02-01-preview", "2024-08-01-preview", "2024-12-01")

const (
	accountType    = "microsoft.azureplaywrightservice/accounts"
	accountARMType = Namespace + "/accounts"
)

// accountNamePattern is the spec's accountName: 3–64 letters and digits,
// starting with a letter.
var accountNamePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]{2,63}$`)

// locationPattern is what a location may be once normalized: it becomes the
// prefix of the data-plane account id, which allows letters and digits only.
// 27 characters leave room for "_" and a UUID within the id's 64.
var locationPattern = regexp.MustCompile(`^[a-z0-9]{1,27}$`)

// Enablement values of the four account flags.
const (
	enabled  = "Enabled"
	disabled = "Disabled"
)

// accountFlags are the writable properties, each Enabled or Disabled.
type accountFlags struct {
	RegionalAffinity  string `json:"regionalAffinity"`
	ScalableExecution string `json:"scalableExecution"`
	Reporting         string `json:"reporting"`
	LocalAuth         string `json:"localAuth"`
}

// defaultFlags are the spec's defaults.
func defaultFlags() accountFlags {
	return accountFlags{RegionalAffinity: enabled, ScalableExecution: enabled, Reporting: enabled, LocalAuth: disabled}
}

// flagsInput is the flags as a request sends them: each optional.
type flagsInput struct {
	RegionalAffinity  *string `json:"regionalAffinity"`
	ScalableExecution *string `json:"scalableExecution"`
	Reporting         *string `json:"reporting"`
	LocalAuth         *string `json:"localAuth"`
}

// apply validates the given flags and sets them on f. Values are matched
// without regard to case, as ARM does for enums, and stored canonically.
func (in *flagsInput) apply(f *accountFlags) error {
	for _, p := range []struct {
		name string
		in   *string
		out  *string
	}{
		{"regionalAffinity", in.RegionalAffinity, &f.RegionalAffinity},
		{"scalableExecution", in.ScalableExecution, &f.ScalableExecution},
		{"reporting", in.Reporting, &f.Reporting},
		{"localAuth", in.LocalAuth, &f.LocalAuth},
	} {
		if p.in == nil {
			continue
		}
		switch {
		case strings.EqualFold(*p.in, enabled):
			*p.out = enabled
		case strings.EqualFold(*p.in, disabled):
			*p.out = disabled
		default:
			return wire.BadRequest("InvalidRequestContent", "properties."+p.name, fmt.Sprintf(
				"The value '%s' of 'properties.%s' is invalid: it must be 'Enabled' or 'Disabled'.", *p.in, p.name))
		}
	}
	return nil
}

// accountDocument is an account as stored in Resource.Body: what ARM
// returns minus what is rendered per request (systemData, dashboardUri,
// provisioningState), plus the data-plane account id, which the ARM model
// has no field for.
type accountDocument struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	Properties accountFlags      `json:"properties"`
	AccountID  string            `json:"accountId"`
}

func decodeAccount(res *tokend.Resource) (*accountDocument, error) {
	var doc accountDocument
	if err := json.Unmarshal(res.Body, &doc); err != nil {
		return nil, fmt.Errorf("decode stored account %s: %w", res.ID, err)
	}
	return &doc, nil
}

// armAccount is the ARM Account model (a TrackedResource).
type armAccount struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	SystemData *arm.SystemData   `json:"systemData,omitempty"`
	Properties armAccountProps   `json:"properties"`
}

type armAccountProps struct {
	DashboardURI string `json:"dashboardUri"`
	accountFlags
	ProvisioningState string `json:"provisioningState"`
}

// dashboardURI is where the account's data plane and dashboard live:
// {base}/playwright/accounts/{accountId}. Its last segment is the
// data-plane account id, which makes the id discoverable from ARM.
func dashboardURI(base, accountID string) string {
	return strings.TrimSuffix(base, "/") + "/" + MountPath + "/accounts/" + accountID
}

func renderARM(res *tokend.Resource, doc *accountDocument, base string) armAccount {
	return armAccount{
		ID: doc.ID, Name: doc.Name, Type: accountARMType, Location: doc.Location, Tags: doc.Tags,
		SystemData: arm.NewSystemData(res.CreatedBy, res.CreatedAt, res.UpdatedBy, res.UpdatedAt),
		Properties: armAccountProps{
			DashboardURI: dashboardURI(base, doc.AccountID), accountFlags: doc.Properties,
			ProvisioningState: "Succeeded",
		},
	}
}

// dataPlaneAccount is the data plane's Account model.
type dataPlaneAccount struct {
	ID                string `json:"id"`
	ResourceID        string `json:"resourceId"`
	Name              string `json:"name"`
	State             string `json:"state"`
	SubscriptionID    string `json:"subscriptionId"`
	SubscriptionState string `json:"subscriptionState"`
	TenantID          string `json:"tenantId"`
	Location          string `json:"location"`
	accountFlags
}

// SubscriptionState maps an ARM subscription state to the data plane's
// vocabulary (Registered|Warned|Suspended|Deleted|Unregistered).
func SubscriptionState(s string) string {
	switch strings.ToLower(s) {
	case "enabled":
		return "Registered"
	case "warned", "pastdue":
		return "Warned"
	case "disabled", "suspended":
		return "Suspended"
	case "deleted":
		return "Deleted"
	}
	return "Unregistered"
}

func renderDataPlane(doc *accountDocument, sub *tokend.Subscription) dataPlaneAccount {
	id, _ := arm.ParseID(doc.ID)
	return dataPlaneAccount{
		ID: doc.AccountID, ResourceID: doc.ID, Name: doc.Name, State: "Active",
		SubscriptionID: strings.ToLower(id.SubscriptionID), SubscriptionState: SubscriptionState(sub.State),
		TenantID: sub.TenantID, Location: doc.Location, accountFlags: doc.Properties,
	}
}

func accountResourceID(r *pipeline.Request) arm.ID {
	return arm.ID{
		SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName"),
		Namespace: Namespace, Types: []string{"accounts"}, Names: []string{r.Param("accountName")},
	}
}

func validateAccountName(name string) error {
	if !accountNamePattern.MatchString(name) {
		return wire.BadRequest("InvalidResourceName", "accountName", "The account name '"+name+
			"' is invalid: it must be 3 to 64 letters and digits, starting with a letter (^[a-zA-Z]{1}[a-zA-Z0-9]{2,63}$).")
	}
	return nil
}

func accountNotFound(id arm.ID) *wire.Error {
	return wire.Errorf(http.StatusNotFound, "ResourceNotFound", "The Resource '"+accountARMType+"/"+id.Name()+
		"' under resource group '"+id.ResourceGroup+"' was not found.")
}

// DashboardURI is the dashboardUri of the account with data-plane id
// accountID on a tokend reached at base.
func DashboardURI(base, accountID string) string { return dashboardURI(base, accountID) }

// AccountSummary is what the CLI lists of an account.
type AccountSummary struct {
	ResourceID string // the ARM id
	Name       string
	Location   string
	AccountID  string // the data-plane id
}

// Accounts lists every Playwright Testing account in store, in key order.
func Accounts(ctx context.Context, store tokend.ResourceStore) ([]AccountSummary, error) {
	var out []AccountSummary
	q := tokend.ResourceQuery{Type: accountType, Limit: 1000}
	for {
		page, err := store.ListResources(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		for _, res := range page {
			doc, err := decodeAccount(res)
			if err != nil {
				return nil, err
			}
			out = append(out, AccountSummary{ResourceID: doc.ID, Name: doc.Name, Location: doc.Location, AccountID: doc.AccountID})
		}
		if len(page) < q.Limit {
			return out, nil
		}
		q.After = page[len(page)-1].Key
	}
}
