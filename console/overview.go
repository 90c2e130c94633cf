package console

import (
	"context"
	"net/http"
)

// armVersion is the Microsoft.Resources api-version the console lists
// subscriptions with.
const armVersion = "2022-12-01"

type subscription struct {
	SubscriptionID string `json:"subscriptionId"`
	DisplayName    string `json:"displayName"`
	State          string `json:"state"`
	ID             string `json:"id"`
}

// subscriptions are the subscriptions the person holds any role at,
// below or above (ARM's own rule).
func (c *Console) subscriptions(ctx context.Context, v *view) ([]subscription, error) {
	var out struct{ Value []subscription }
	if err := c.call(ctx, v, http.MethodGet, "/subscriptions?api-version="+armVersion, nil, &out); err != nil {
		return nil, err
	}
	return out.Value, nil
}

type overviewData struct {
	Base, Tenant, Authority, TokenEndpoint, JWKS, Discovery string
	Subscriptions                                           []subscription
	SubscriptionsNoAccess                                   bool
	FirstSubscription                                       string
}

func (c *Console) overview(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Overview", "overview", "overview.html"
	base := c.baseURL(v.r)
	d := &overviewData{Base: base, Tenant: v.s.Tenant, Authority: base + "/" + v.s.Tenant,
		TokenEndpoint: base + "/" + v.s.Tenant + "/oauth2/v2.0/token",
		JWKS:          base + "/" + v.s.Tenant + "/discovery/v2.0/keys",
		Discovery:     base + "/" + v.s.Tenant + "/v2.0/.well-known/openid-configuration"}
	v.Data = d
	subs, err := c.subscriptions(ctx, v)
	switch {
	case forbidden(err):
		d.SubscriptionsNoAccess = true
	case err != nil:
		return err
	}
	d.Subscriptions = subs
	d.FirstSubscription = "<subscription-id>"
	if len(subs) > 0 {
		d.FirstSubscription = subs[0].SubscriptionID
	}
	return nil
}
