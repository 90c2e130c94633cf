package resources

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Resource providers (Providers_List, _Get, _Register, _Unregister) as
// tools check them at startup. What a provider offers — its resource
// types and their api-versions — is read from the descriptors tokend
// serves, so it is always true; a namespace tokend does not serve is not
// listed, and its GET answers InvalidResourceNamespace.

// registrationMeta names the meta row holding a subscription's
// registration state of a namespace; absent means registered (tokend
// serves every namespace it lists in every subscription).
func registrationMeta(sub, namespace string) string {
	return "provider-registration:" + strings.ToLower(sub) + ":" + strings.ToLower(namespace)
}

const (
	stateRegistered   = "Registered"
	stateUnregistered = "Unregistered"
)

type providerBody struct {
	ID                 string             `json:"id"`
	Namespace          string             `json:"namespace"`
	RegistrationState  string             `json:"registrationState"`
	RegistrationPolicy string             `json:"registrationPolicy"`
	ResourceTypes      []resourceTypeBody `json:"resourceTypes"`
}

type resourceTypeBody struct {
	ResourceType string   `json:"resourceType"`
	Locations    []string `json:"locations"`
	APIVersions  []string `json:"apiVersions"`
}

// resourceTypes derives a provider's resource types from its routes: the
// type segments after "providers/{namespace}" that name a resource (a
// segment followed by a name) or a collection or action of the provider
// itself, not actions on a resource (listSecrets).
func resourceTypes(p *pipeline.Provider) []string {
	seen := map[string]bool{}
	for _, r := range p.Routes {
		segs := strings.Split(strings.Trim(r.Pattern, "/"), "/")
		i := slices.IndexFunc(segs, func(s string) bool { return strings.EqualFold(s, "providers") })
		if i < 0 || i+1 >= len(segs) || !strings.EqualFold(segs[i+1], p.Namespace) {
			continue
		}
		rest := segs[i+2:]
		var types []string
		for j, s := range rest {
			if strings.HasPrefix(s, "{") {
				continue
			}
			action := r.Method == http.MethodPost && j == len(rest)-1 && j > 0 && strings.HasPrefix(rest[j-1], "{")
			if !action {
				types = append(types, s)
			}
		}
		if len(types) > 0 {
			seen[strings.Join(types, "/")] = true
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func (p *Provider) describe(d *pipeline.Provider, id, state string) providerBody {
	versions := d.Versions.List()
	slices.Reverse(versions) // newest first, as ARM lists them
	locations := make([]string, 0, len(p.cfg.Locations))
	for _, l := range p.cfg.Locations {
		locations = append(locations, l.DisplayName)
	}
	body := providerBody{ID: id, Namespace: d.Namespace, RegistrationState: state, RegistrationPolicy: "RegistrationRequired"}
	for _, t := range resourceTypes(d) {
		body.ResourceTypes = append(body.ResourceTypes, resourceTypeBody{ResourceType: t, Locations: locations, APIVersions: versions})
	}
	if body.ResourceTypes == nil {
		body.ResourceTypes = []resourceTypeBody{}
	}
	return body
}

// provider finds a served namespace (without regard to case).
func (p *Provider) provider(namespace string) (*pipeline.Provider, error) {
	for _, d := range p.cfg.Providers {
		if strings.EqualFold(d.Namespace, namespace) {
			return d, nil
		}
	}
	return nil, wire.Errorf(http.StatusNotFound, "InvalidResourceNamespace", "The resource namespace '"+wire.Clip(namespace)+"' is invalid.")
}

func (p *Provider) registration(ctx context.Context, sub, namespace string) (string, error) {
	v, err := p.cfg.Store.GetMeta(ctx, registrationMeta(sub, namespace))
	if errors.Is(err, tokend.ErrNotFound) {
		return stateRegistered, nil
	}
	if err != nil {
		return "", fmt.Errorf("read the registration of %s in %s: %w", namespace, sub, err)
	}
	return string(v), nil
}

func (p *Provider) listProviders(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	sub := r.Param("subscriptionId")
	out := make([]providerBody, 0, len(p.cfg.Providers))
	for _, d := range p.cfg.Providers {
		if sub == "" {
			out = append(out, p.describe(d, "/providers/"+d.Namespace, stateRegistered))
			continue
		}
		state, err := p.registration(ctx, sub, d.Namespace)
		if err != nil {
			return nil, err
		}
		out = append(out, p.describe(d, "/subscriptions/"+sub+"/providers/"+d.Namespace, state))
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": out}), nil
}

func (p *Provider) getProvider(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	d, err := p.provider(r.Param("resourceProviderNamespace"))
	if err != nil {
		return nil, err
	}
	sub := r.Param("subscriptionId")
	if sub == "" {
		return wire.JSON(http.StatusOK, p.describe(d, "/providers/"+d.Namespace, stateRegistered)), nil
	}
	state, err := p.registration(ctx, sub, d.Namespace)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, p.describe(d, "/subscriptions/"+sub+"/providers/"+d.Namespace, state)), nil
}

// setRegistration is Providers_Register and _Unregister: immediate and
// idempotent, since tokend has nothing to provision.
func (p *Provider) setRegistration(state string) pipeline.Handler {
	return func(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
		d, err := p.provider(r.Param("resourceProviderNamespace"))
		if err != nil {
			return nil, err
		}
		sub := r.Param("subscriptionId")
		if err := p.cfg.Store.PutMeta(ctx, registrationMeta(sub, d.Namespace), []byte(state)); err != nil {
			return nil, fmt.Errorf("set the registration of %s in %s: %w", d.Namespace, sub, err)
		}
		return wire.JSON(http.StatusOK, p.describe(d, "/subscriptions/"+sub+"/providers/"+d.Namespace, state)), nil
	}
}
