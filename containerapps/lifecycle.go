package containerapps

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Running states kept in properties.runningStatus (ContainerAppRunningStatus).
const (
	statusRunning = "Running"
	statusStopped = "Stopped"
)

// start: POST .../start → 200 with the app, now Running.
func (s *Service) start(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return s.setRunning(ctx, r, statusRunning)
}

// stop: POST .../stop → 200 with the app, now Stopped. Its tokens stay
// valid: stopping scales the app to zero, it does not delete it.
func (s *Service) stop(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	return s.setRunning(ctx, r, statusStopped)
}

func (s *Service) setRunning(ctx context.Context, r *pipeline.Request, status string) (*wire.Response, error) {
	id := appID(r)
	if err := validateActionName(id.Name()); err != nil {
		return nil, err
	}
	return lastWriterWins(ctx, id, func() (*wire.Response, error) { return s.setRunningOnce(ctx, r, id, status) })
}

func (s *Service) setRunningOnce(ctx context.Context, r *pipeline.Request, id arm.ID, status string) (*wire.Response, error) {
	prev, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	prevDoc, err := s.storedDocument(prev)
	if err != nil {
		return nil, err
	}
	doc, err := s.storedDocument(prev)
	if err != nil {
		return nil, err
	}
	values, err := s.openSecrets(prev)
	if err != nil {
		return nil, err
	}
	ensureObject(doc, "properties")["runningStatus"] = status
	res, err := s.save(ctx, r, id, prev, prevDoc, doc, values)
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, json.RawMessage(res.Body)), nil
}
