package playwrightworkspaces

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const (
	// workspaceType is the canonical type of a workspace resource.
	workspaceType    = "microsoft.loadtestservice/playwrightworkspaces"
	workspaceARMType = Namespace + "/playwrightWorkspaces"
)

// workspaceNamePattern is the spec's playwrightWorkspaceName.
var workspaceNamePattern = regexp.MustCompile(`^[a-zA-Z0-9-]{3,24}$`)

// Enablement values.
const (
	enabled  = "Enabled"
	disabled = "Disabled"
)

// workspaceFlags are the writable properties.
type workspaceFlags struct {
	RegionalAffinity string `json:"regionalAffinity"`
	LocalAuth        string `json:"localAuth"`
}

// defaultFlags are the spec's defaults: regional affinity on, local
// (access-token) authentication off, as Azure ships a new workspace.
func defaultFlags() workspaceFlags {
	return workspaceFlags{RegionalAffinity: enabled, LocalAuth: disabled}
}

// flagsInput is the flags as a request sends them: each optional.
type flagsInput struct {
	RegionalAffinity *string `json:"regionalAffinity"`
	LocalAuth        *string `json:"localAuth"`
}

// apply validates the given flags and sets them on f; values match without
// regard to case, as ARM's enums do, and are stored canonically.
func (in *flagsInput) apply(f *workspaceFlags) error {
	for _, p := range []struct {
		name    string
		in, out *string
	}{
		{"regionalAffinity", in.RegionalAffinity, &f.RegionalAffinity},
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
				"The value '%s' of 'properties.%s' is invalid: it must be 'Enabled' or 'Disabled'.", wire.Clip(*p.in), p.name))
		}
	}
	return nil
}

// freeTrial is the subscription's free trial, held by the first workspace
// created in it while no other workspace held one.
type freeTrial struct {
	CreatedAt time.Time `json:"createdAt"`
	ExpiryAt  time.Time `json:"expiryAt"`
}

// Free-trial terms: Azure's, 100 test minutes for 30 days.
const (
	freeTrialMinutes  = 100
	freeTrialDuration = 30 * 24 * time.Hour
)

// workspaceDocument is a workspace as stored in Resource.Body: what ARM
// returns minus what is rendered per request (systemData, dataplaneUri,
// provisioningState).
type workspaceDocument struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Location    string            `json:"location"`
	Tags        map[string]string `json:"tags,omitempty"`
	Properties  workspaceFlags    `json:"properties"`
	WorkspaceID string            `json:"workspaceId"`
	FreeTrial   *freeTrial        `json:"freeTrial,omitempty"`
}

func decodeWorkspace(res *tokend.Resource) (*workspaceDocument, error) {
	var doc workspaceDocument
	if err := json.Unmarshal(res.Body, &doc); err != nil {
		return nil, fmt.Errorf("decode stored workspace %s: %w", res.ID, err)
	}
	return &doc, nil
}

// armWorkspace is the PlaywrightWorkspace model (a TrackedResource).
type armWorkspace struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	SystemData *arm.SystemData   `json:"systemData,omitempty"`
	Properties armWorkspaceProps `json:"properties"`
}

type armWorkspaceProps struct {
	ProvisioningState string `json:"provisioningState"`
	DataplaneURI      string `json:"dataplaneUri"`
	workspaceFlags
	WorkspaceID string `json:"workspaceId"`
}

// DataplaneURI is a workspace's dataplaneUri on a tokend reached at base:
// tokend's base URL itself, as Azure's is the regional data-plane host;
// the data plane lives under {dataplaneUri}/playwrightworkspaces.
func DataplaneURI(base string) string { return strings.TrimSuffix(base, "/") }

func renderARM(res *tokend.Resource, doc *workspaceDocument, base string) armWorkspace {
	return armWorkspace{
		ID: doc.ID, Name: doc.Name, Type: workspaceARMType, Location: doc.Location, Tags: doc.Tags,
		SystemData: arm.NewSystemData(res.CreatedBy, res.CreatedAt, res.UpdatedBy, res.UpdatedAt),
		Properties: armWorkspaceProps{ProvisioningState: "Succeeded", DataplaneURI: DataplaneURI(base),
			workspaceFlags: doc.Properties, WorkspaceID: doc.WorkspaceID},
	}
}

func workspaceResourceID(r *pipeline.Request) arm.ID {
	return arm.ID{
		SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName"),
		Namespace: Namespace, Types: []string{"playwrightWorkspaces"}, Names: []string{r.Param("playwrightWorkspaceName")},
	}
}

func validateWorkspaceName(name string) error {
	if !workspaceNamePattern.MatchString(name) {
		return wire.BadRequest("InvalidResourceName", "playwrightWorkspaceName", "The workspace name '"+wire.Clip(name)+
			"' is invalid: it must be 3 to 24 letters, digits and hyphens (^[a-zA-Z0-9-]{3,24}$).")
	}
	return nil
}

func workspaceNotFound(id arm.ID) *wire.Error {
	return wire.Errorf(http.StatusNotFound, "ResourceNotFound", "The Resource '"+workspaceARMType+"/"+id.Name()+
		"' under resource group '"+id.ResourceGroup+"' was not found.")
}
