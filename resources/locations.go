package resources

import (
	"context"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Location is a region a subscription lists (Subscriptions_ListLocations).
type Location struct {
	Name           string
	DisplayName    string
	GeographyGroup string
}

// DefaultLocations are Azure's public regions, the list `az account
// list-locations` shows; tokend's resources accept any of them (and any
// other location string, since it places nothing).
var DefaultLocations = []Location{
	{"eastus", "East US", "US"}, {"eastus2", "East US 2", "US"}, {"southcentralus", "South Central US", "US"},
	{"westus2", "West US 2", "US"}, {"westus3", "West US 3", "US"}, {"australiaeast", "Australia East", "Asia Pacific"},
	{"southeastasia", "Southeast Asia", "Asia Pacific"}, {"northeurope", "North Europe", "Europe"},
	{"swedencentral", "Sweden Central", "Europe"}, {"uksouth", "UK South", "Europe"}, {"westeurope", "West Europe", "Europe"},
	{"centralus", "Central US", "US"}, {"southafricanorth", "South Africa North", "Africa"},
	{"centralindia", "Central India", "Asia Pacific"}, {"eastasia", "East Asia", "Asia Pacific"},
	{"japaneast", "Japan East", "Asia Pacific"}, {"koreacentral", "Korea Central", "Asia Pacific"},
	{"canadacentral", "Canada Central", "Canada"}, {"francecentral", "France Central", "Europe"},
	{"germanywestcentral", "Germany West Central", "Europe"}, {"italynorth", "Italy North", "Europe"},
	{"norwayeast", "Norway East", "Europe"}, {"polandcentral", "Poland Central", "Europe"},
	{"spaincentral", "Spain Central", "Europe"}, {"switzerlandnorth", "Switzerland North", "Europe"},
	{"mexicocentral", "Mexico Central", "Mexico"}, {"uaenorth", "UAE North", "Middle East"},
	{"brazilsouth", "Brazil South", "South America"}, {"israelcentral", "Israel Central", "Middle East"},
	{"qatarcentral", "Qatar Central", "Middle East"}, {"northcentralus", "North Central US", "US"},
	{"westus", "West US", "US"}, {"japanwest", "Japan West", "Asia Pacific"}, {"westcentralus", "West Central US", "US"},
	{"southafricawest", "South Africa West", "Africa"}, {"australiacentral", "Australia Central", "Asia Pacific"},
	{"australiasoutheast", "Australia Southeast", "Asia Pacific"}, {"southindia", "South India", "Asia Pacific"},
	{"westindia", "West India", "Asia Pacific"}, {"canadaeast", "Canada East", "Canada"},
	{"francesouth", "France South", "Europe"}, {"germanynorth", "Germany North", "Europe"},
	{"norwaywest", "Norway West", "Europe"}, {"switzerlandwest", "Switzerland West", "Europe"},
	{"ukwest", "UK West", "Europe"}, {"uaecentral", "UAE Central", "Middle East"},
	{"brazilsoutheast", "Brazil Southeast", "South America"}, {"koreasouth", "Korea South", "Asia Pacific"},
}

// ParseLocations reads a --locations value: region names, or
// name=Display Name pairs.
func ParseLocations(list []string) []Location {
	out := make([]Location, 0, len(list))
	for _, item := range list {
		name, display, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			display = name
		}
		if name = arm.NormalizeLocation(name); name != "" {
			out = append(out, Location{Name: name, DisplayName: display})
		}
	}
	return out
}

type locationBody struct {
	ID                  string           `json:"id"`
	SubscriptionID      string           `json:"subscriptionId"`
	Name                string           `json:"name"`
	Type                string           `json:"type"`
	DisplayName         string           `json:"displayName"`
	RegionalDisplayName string           `json:"regionalDisplayName"`
	Metadata            locationMetadata `json:"metadata"`
}

type locationMetadata struct {
	RegionType     string `json:"regionType"`
	RegionCategory string `json:"regionCategory"`
	GeographyGroup string `json:"geographyGroup,omitempty"`
}

func (p *Provider) listLocations(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	sub := r.Param("subscriptionId")
	if err := p.requireVisible(ctx, r, sub); err != nil {
		return nil, err
	}
	out := make([]locationBody, 0, len(p.cfg.Locations))
	for _, l := range p.cfg.Locations {
		regional := l.DisplayName
		if l.GeographyGroup != "" {
			regional = "(" + l.GeographyGroup + ") " + l.DisplayName
		}
		out = append(out, locationBody{
			ID: "/subscriptions/" + sub + "/locations/" + l.Name, SubscriptionID: sub, Name: l.Name, Type: "Region",
			DisplayName: l.DisplayName, RegionalDisplayName: regional,
			Metadata: locationMetadata{RegionType: "Physical", RegionCategory: "Recommended", GeographyGroup: l.GeographyGroup},
		})
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": out}), nil
}
