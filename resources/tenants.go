package resources

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

type tenantBody struct {
	ID             string   `json:"id"`
	TenantID       string   `json:"tenantId"`
	TenantCategory string   `json:"tenantCategory"`
	DisplayName    string   `json:"displayName"`
	Domains        []string `json:"domains"`
}

// listTenants is Tenants_List: the caller's own tenant and the tenants of
// the subscriptions it may see.
func (p *Provider) listTenants(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	v, err := p.visibility(ctx, r)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	if r.Principal != nil && r.Principal.TenantID != "" {
		ids[strings.ToLower(r.Principal.TenantID)] = true
	}
	subs, err := p.cfg.Store.ListSubscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	for _, s := range subs {
		if v.sees(s.ID) {
			ids[strings.ToLower(s.TenantID)] = true
		}
	}
	tenants, err := p.cfg.Store.ListTenants(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	out := make([]tenantBody, 0, len(ids))
	for _, t := range tenants {
		if ids[strings.ToLower(t.ID)] {
			out = append(out, tenantBody{ID: "/tenants/" + t.ID, TenantID: t.ID, TenantCategory: "Home",
				DisplayName: t.DisplayName, Domains: []string{}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TenantID < out[j].TenantID })
	return wire.JSON(http.StatusOK, map[string]any{"value": out}), nil
}
