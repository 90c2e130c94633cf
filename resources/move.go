package resources

import (
	"context"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// refuseMove answers Resources_MoveResources and
// Resources_ValidateMoveResources: tokend keeps a resource under the id it
// was created with (tokens and role assignments are bound to it), so it
// refuses every move in ARM's envelope rather than answer 404 for a route
// it lacks. A missing source group is still told as ARM tells it.
func (p *Provider) refuseMove(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if _, err := p.loadGroup(ctx, groupID(r)); err != nil {
		return nil, err
	}
	return nil, wire.BadRequest("MoveResourcesNotSupported", "resources",
		"tokend does not move resources between resource groups or subscriptions: create the resource in the target group instead.")
}
