package resources

import (
	"context"
	"fmt"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
)

// AccessFunc lists the scopes at which a principal holds any role
// (canonical keys: "/", "/subscriptions/x", …).
type AccessFunc func(ctx context.Context, p *tokend.Principal) ([]string, error)

// visibility answers which subscriptions a request's caller may see: as
// ARM does, those at which it holds any role — at the subscription, below
// it (a resource group, a resource) or above it ("/").
type visibility struct {
	all    bool
	scopes []string
}

func (p *Provider) visibility(ctx context.Context, r *pipeline.Request) (*visibility, error) {
	if p.cfg.Access == nil || r.Principal == nil {
		return &visibility{all: true}, nil // no authorization configured
	}
	scopes, err := p.cfg.Access(ctx, r.Principal)
	if err != nil {
		return nil, fmt.Errorf("list the scopes of %s: %w", r.Principal.ObjectID, err)
	}
	v := &visibility{scopes: scopes}
	for _, s := range scopes {
		if s == "/" {
			v.all = true
		}
	}
	return v, nil
}

// sees reports whether the caller holds a role at, below or above the
// subscription.
func (v *visibility) sees(subscriptionID string) bool {
	if v.all {
		return true
	}
	key := "/subscriptions/" + strings.ToLower(subscriptionID)
	for _, s := range v.scopes {
		if s == key || strings.HasPrefix(s, key+"/") { // at or below (above is "/", see all)
			return true
		}
	}
	return false
}
