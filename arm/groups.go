package arm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// GroupTypeKey is the canonical type of a resource group.
const GroupTypeKey = "microsoft.resources/resourcegroups"

var groupNamePattern = regexp.MustCompile(`^[-\w._()]+$`)

// ResourceGroup is a resource group's document.
type ResourceGroup struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	ManagedBy  string            `json:"managedBy,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Properties struct {
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
}

// ValidateGroupName answers InvalidResourceGroup for a name Azure refuses.
func ValidateGroupName(name string) error {
	if len(name) > 90 || !groupNamePattern.MatchString(name) || strings.HasSuffix(name, ".") {
		return wire.BadRequest("InvalidResourceGroup", "resourceGroupName",
			"The resource group name '"+wire.Clip(name)+"' is invalid: it must be 1 to 90 letters, digits, '-', '_', '.', '(' or ')', and must not end with '.'.")
	}
	return nil
}

// NewGroupResource is a new resource group as storage keeps it.
func NewGroupResource(id ID, location string, tags map[string]string, managedBy, caller string, now time.Time) *tokend.Resource {
	g := ResourceGroup{ID: id.String(), Name: id.ResourceGroup, Type: "Microsoft.Resources/resourceGroups",
		Location: NormalizeLocation(location), Tags: tags, ManagedBy: managedBy}
	g.Properties.ProvisioningState = "Succeeded"
	body, _ := json.Marshal(g)
	now = now.UTC()
	return &tokend.Resource{
		Key: id.Key(), ID: id.String(), Type: GroupTypeKey, Name: id.ResourceGroup, UID: uuid.NewString(),
		ETag: NewETag(), Body: body, CreatedAt: now, UpdatedAt: now, CreatedBy: caller, UpdatedBy: caller,
	}
}

// EnsureGroup creates resource group gid when it is missing: a documented
// convenience (Azure answers ResourceGroupNotFound; --strict-resource-groups
// restores that), with the location of the PUT body that needs it. It
// writes through q under the group's lock, which the group's delete takes
// too, so a resource created with it cannot outlive its group.
func EnsureGroup(ctx context.Context, q tokend.Queries, gid ID, body []byte, caller string, now time.Time) error {
	if err := ValidateGroupName(gid.ResourceGroup); err != nil {
		return err
	}
	if err := q.Lock(ctx, GroupLockName(gid.Key())); err != nil {
		return fmt.Errorf("lock resource group %s: %w", gid, err)
	}
	if _, err := q.GetResource(ctx, gid.Key()); err == nil {
		return nil
	} else if !errors.Is(err, tokend.ErrNotFound) {
		return fmt.Errorf("check resource group %s: %w", gid, err)
	}
	var loc struct {
		Location string `json:"location"`
	}
	_ = json.Unmarshal(body, &loc)
	if loc.Location == "" {
		loc.Location = "eastus"
	}
	err := q.CreateResource(ctx, NewGroupResource(gid, loc.Location, nil, "", caller, now))
	if err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
		return fmt.Errorf("create resource group %s: %w", gid, err)
	}
	return nil
}

// GroupLockName names the lock that orders the creation of resources in a
// group (EnsureGroup) with the group's deletion.
func GroupLockName(groupKey string) string { return "arm-group:" + groupKey }

// NormalizeLocation writes a location as ARM's short name: "East US" → "eastus".
func NormalizeLocation(loc string) string {
	return strings.ToLower(strings.ReplaceAll(loc, " ", ""))
}
