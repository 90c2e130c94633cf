package apim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const (
	serviceType    = "Microsoft.ApiManagement/service"
	serviceTypeKey = "microsoft.apimanagement/service"
)

// skuValues are the SKU names of armapimanagement/v3 (v2 lacks the V2 ones).
var skuValues = []string{"Developer", "Standard", "Premium", "Basic", "Consumption", "Isolated", "BasicV2", "StandardV2"}

// serviceResource is ApiManagementServiceResource as stored and returned.
// properties is kept as a map so that whatever a client configured
// (customProperties, hostnameConfigurations, ...) comes back as sent; the
// read-only properties are overwritten on every write.
type serviceResource struct {
	ID         string                     `json:"id"`
	Name       string                     `json:"name"`
	Type       string                     `json:"type"`
	Location   string                     `json:"location"`
	Tags       map[string]string          `json:"tags,omitempty"`
	Etag       string                     `json:"etag"`
	SKU        *serviceSKU                `json:"sku"`
	Identity   json.RawMessage            `json:"identity,omitempty"`
	Zones      []string                   `json:"zones,omitempty"`
	SystemData *arm.SystemData            `json:"systemData,omitempty"`
	Properties map[string]json.RawMessage `json:"properties"`
}

type serviceSKU struct {
	Name     string `json:"name"`
	Capacity *int32 `json:"capacity"`
}

// serviceRequest is the body of PUT (ApiManagementServiceResource) and
// PATCH (ApiManagementServiceUpdateParameters).
type serviceRequest struct {
	Location   *string                    `json:"location"`
	Tags       map[string]string          `json:"tags"`
	SKU        *serviceSKU                `json:"sku"`
	Identity   json.RawMessage            `json:"identity"`
	Zones      []string                   `json:"zones"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// readOnlyServiceProperties are computed by the service; a client's values
// are ignored.
var readOnlyServiceProperties = []string{
	"provisioningState", "targetProvisioningState", "createdAtUtc", "gatewayUrl", "gatewayRegionalUrl",
	"portalUrl", "managementApiUrl", "scmUrl", "developerPortalUrl", "publicIPAddresses",
	"privateIPAddresses", "platformVersion", "outboundPublicIPAddresses",
}

func checkSKU(p *problems, sku *serviceSKU) {
	if sku == nil {
		p.add("sku", "'sku' is required: {\"name\": one of %s, \"capacity\": units}.", strings.Join(skuValues, ", "))
		return
	}
	sku.Name = canonicalEnum(p, "sku.name", []string{sku.Name}, skuValues)[0]
	switch {
	case sku.Capacity == nil:
		p.add("sku.capacity", "'sku.capacity' is required.")
	case sku.Name == "Consumption" && *sku.Capacity != 0:
		p.add("sku.capacity", "'sku.capacity' must be 0 for the Consumption SKU.")
	case sku.Name != "Consumption" && (*sku.Capacity < 1 || *sku.Capacity > 50):
		p.add("sku.capacity", "'sku.capacity' must be between 1 and 50 for the %s SKU.", sku.Name)
	}
}

// checkServiceProperties validates the properties a client may set.
func checkServiceProperties(p *problems, props map[string]json.RawMessage, required bool) {
	for _, name := range []string{"publisherEmail", "publisherName"} {
		raw, ok := props[name]
		if !ok || string(raw) == "null" {
			if required {
				p.add(name, "'%s' is required.", name)
			}
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			p.add(name, "'%s' must be a string.", name)
			continue
		}
		n := utf8.RuneCountInString(s)
		switch {
		case n == 0 || n > 100:
			p.add(name, "'%s' must be between 1 and 100 characters long.", name)
		case name == "publisherEmail" && !strings.Contains(s, "@"):
			p.add(name, "'publisherEmail' must be an email address.")
		}
	}
}

// completeServiceProperties sets the read-only and defaulted properties.
func completeServiceProperties(props map[string]json.RawMessage, name, location, createdAt string) {
	for _, k := range readOnlyServiceProperties {
		delete(props, k)
	}
	set := func(k string, v any) {
		b, _ := json.Marshal(v)
		props[k] = b
	}
	setDefault := func(k string, v any) {
		if raw, ok := props[k]; !ok || string(raw) == "null" {
			set(k, v)
		}
	}
	host := strings.ToLower(name)
	set("provisioningState", "Succeeded")
	set("targetProvisioningState", "")
	set("createdAtUtc", createdAt)
	set("gatewayUrl", "https://"+host+".azure-api.net")
	set("gatewayRegionalUrl", "https://"+host+"-"+arm.NormalizeLocation(location)+"-01.regional.azure-api.net")
	set("portalUrl", "https://"+host+".portal.azure-api.net")
	set("developerPortalUrl", "https://"+host+".developer.azure-api.net")
	set("managementApiUrl", "https://"+host+".management.azure-api.net")
	set("scmUrl", "https://"+host+".scm.azure-api.net")
	set("platformVersion", "stv2")
	setDefault("virtualNetworkType", "None")
	setDefault("publicNetworkAccess", "Enabled")
	setDefault("natGatewayState", "Disabled")
	setDefault("disableGateway", false)
	setDefault("developerPortalStatus", "Enabled")
	setDefault("legacyPortalStatus", "Disabled")
}

func (p *Provider) loadService(ctx context.Context, r *pipeline.Request) (*tokend.Resource, error) {
	var v problems
	checkServiceName(&v, r.Param("serviceName"))
	if err := v.err(); err != nil {
		return nil, err
	}
	sid := serviceIDOf(r)
	res, err := p.store.GetResource(ctx, sid.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, errServiceNotFound(sid)
	}
	if err != nil {
		return nil, fmt.Errorf("load service %s: %w", sid, err)
	}
	return res, nil
}

func (p *Provider) getService(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	res, err := p.loadService(ctx, r)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, json.RawMessage(res.Body)).WithHeader("ETag", res.ETag), nil
}

// putService is CreateOrUpdate. It completes at once: 201 (created) or 200
// (updated) with provisioningState Succeeded, which the SDK's poller takes
// as a finished long-running operation.
func (p *Provider) putService(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	var v problems
	checkServiceName(&v, r.Param("serviceName"))
	if err := v.err(); err != nil {
		return nil, err
	}
	var in serviceRequest
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Location == nil || strings.TrimSpace(*in.Location) == "" {
		v.add("location", "'location' is required.")
	}
	checkSKU(&v, in.SKU)
	if in.Properties == nil {
		v.add("properties", "'properties' is required: publisherEmail and publisherName at least.")
	} else {
		checkServiceProperties(&v, in.Properties, true)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	sid := serviceIDOf(r)
	return arm.LastWriterWins(ctx, errServiceBusy(), func() (*wire.Response, error) {
		existing, err := p.store.GetResource(ctx, sid.Key())
		switch {
		case errors.Is(err, tokend.ErrNotFound):
			res, err := p.newService(sid, &in, r.Caller())
			if err != nil {
				return nil, err
			}
			err = p.store.InTx(ctx, func(q tokend.Queries) error {
				if err := r.EnsureParent(ctx, q); err != nil {
					return err
				}
				return q.CreateResource(ctx, res)
			})
			if errors.Is(err, tokend.ErrAlreadyExists) {
				return nil, arm.ErrRaced // lost a race with another creator: now it is an update
			}
			if err != nil {
				return nil, fmt.Errorf("create service %s: %w", sid, err)
			}
			return wire.JSON(http.StatusCreated, json.RawMessage(res.Body)).WithHeader("ETag", res.ETag), nil
		case err != nil:
			return nil, fmt.Errorf("load service %s: %w", sid, err)
		}
		var cur serviceResource
		if err := json.Unmarshal(existing.Body, &cur); err != nil {
			return nil, fmt.Errorf("decode stored service %s: %w", sid, err)
		}
		if !strings.EqualFold(arm.NormalizeLocation(cur.Location), arm.NormalizeLocation(*in.Location)) {
			return nil, &wire.Error{Status: http.StatusBadRequest, Code: "InvalidResourceLocation", Target: "location",
				Message: "The service '" + sid.Name() + "' already exists in location '" + cur.Location + "'; a service cannot move."}
		}
		cur.Tags, cur.SKU, cur.Identity, cur.Zones, cur.Properties = in.Tags, in.SKU, in.Identity, in.Zones, in.Properties
		resp, err := p.saveService(ctx, existing, &cur, r.Caller())
		if errors.Is(err, tokend.ErrPreconditionFailed) {
			return nil, arm.ErrRaced
		}
		return resp, err
	})
}

func errServiceBusy() *wire.Error {
	return wire.Errorf(http.StatusConflict, "Conflict", "The service is being changed by many requests at once; retry.")
}

func (p *Provider) newService(sid arm.ID, in *serviceRequest, caller string) (*tokend.Resource, error) {
	// Storage keeps microseconds; createdAtUtc must read the same later.
	now := p.now().UTC().Truncate(time.Microsecond)
	s := serviceResource{
		ID: sid.String(), Name: sid.Name(), Type: serviceType, Location: *in.Location, Tags: in.Tags,
		SKU: in.SKU, Identity: in.Identity, Zones: in.Zones, Properties: in.Properties,
		SystemData: arm.NewSystemData(caller, now, caller, now), Etag: arm.NewETag(),
	}
	completeServiceProperties(s.Properties, s.Name, s.Location, arm.FormatTime(now))
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode service %s: %w", sid, err)
	}
	return &tokend.Resource{
		Key: sid.Key(), ID: sid.String(), Type: serviceTypeKey, Name: sid.Name(), UID: uuid.NewString(),
		ETag: s.Etag, Body: body, CreatedAt: now, UpdatedAt: now, CreatedBy: caller, UpdatedBy: caller,
	}, nil
}

// saveService writes cur over res with a new ETag, compare-and-set against
// the version read (ErrPreconditionFailed when another write came first).
func (p *Provider) saveService(ctx context.Context, res *tokend.Resource, cur *serviceResource, caller string) (*wire.Response, error) {
	now := p.now().UTC()
	createdAt := arm.FormatTime(res.CreatedAt)
	completeServiceProperties(cur.Properties, cur.Name, cur.Location, createdAt)
	cur.Etag = arm.NewETag()
	cur.SystemData = arm.NewSystemData(res.CreatedBy, res.CreatedAt, caller, now)
	body, err := json.Marshal(cur)
	if err != nil {
		return nil, fmt.Errorf("encode service %s: %w", res.ID, err)
	}
	prev := *res
	res.Body, res.ETag, res.UpdatedAt, res.UpdatedBy = body, cur.Etag, now, caller
	if err := p.store.UpdateResource(ctx, res, prev.ETag); err != nil {
		return nil, fmt.Errorf("update service %s: %w", res.ID, err)
	}
	return wire.JSON(http.StatusOK, json.RawMessage(body)).WithHeader("ETag", res.ETag), nil
}

// patchService is Update: tags, sku, identity, zones and properties merge
// into the stored service.
func (p *Provider) patchService(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	var in serviceRequest
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	var v problems
	if in.SKU != nil {
		checkSKU(&v, in.SKU)
	}
	checkServiceProperties(&v, in.Properties, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	return arm.LastWriterWins(ctx, errServiceBusy(), func() (*wire.Response, error) {
		res, err := p.loadService(ctx, r)
		if err != nil {
			return nil, err
		}
		var cur serviceResource
		if err := json.Unmarshal(res.Body, &cur); err != nil {
			return nil, fmt.Errorf("decode stored service %s: %w", res.ID, err)
		}
		if in.Tags != nil {
			cur.Tags = in.Tags
		}
		setIf(&cur.SKU, in.SKU)
		setSliceIf(&cur.Identity, in.Identity)
		setSliceIf(&cur.Zones, in.Zones)
		for k, val := range in.Properties {
			cur.Properties[k] = val
		}
		resp, err := p.saveService(ctx, res, &cur, r.Caller())
		if errors.Is(err, tokend.ErrPreconditionFailed) {
			return nil, arm.ErrRaced
		}
		return resp, err
	})
}

// deleteService deletes the service with its authorization servers (and any
// other child resource) in one transaction: 200, or 204 when there was no
// such service. Like PUT it completes at once.
func (p *Provider) deleteService(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	var v problems
	checkServiceName(&v, r.Param("serviceName"))
	if err := v.err(); err != nil {
		return nil, err
	}
	sid := serviceIDOf(r)
	existed := true
	err := p.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, lockName(sid.Key())); err != nil {
			return err
		}
		if _, err := q.DeleteAuthorizationServersUnder(ctx, sid.Key()); err != nil {
			return fmt.Errorf("delete authorization servers of %s: %w", sid, err)
		}
		if _, err := q.DeleteResourcesUnder(ctx, sid.Key()); err != nil {
			return fmt.Errorf("delete children of %s: %w", sid, err)
		}
		err := q.DeleteResource(ctx, sid.Key(), "")
		if errors.Is(err, tokend.ErrNotFound) {
			existed = false
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("delete service %s: %w", sid, err)
	}
	if !existed {
		return wire.Empty(http.StatusNoContent), nil
	}
	return wire.Empty(http.StatusOK), nil
}

func (p *Provider) listServicesByGroup(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	gid := arm.ID{SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName")}
	page, err := arm.ListPage(ctx, p.store, r, tokend.ResourceQuery{Scope: gid.Key(), Type: serviceTypeKey}, 100)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, page), nil
}

func (p *Provider) listServicesBySubscription(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	page, err := arm.ListPage(ctx, p.store, r, tokend.ResourceQuery{Scope: arm.SubscriptionKey(r.Param("subscriptionId")), Type: serviceTypeKey}, 100)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, page), nil
}
