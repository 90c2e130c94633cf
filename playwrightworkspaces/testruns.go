package playwrightworkspaces

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/wire"
)

// Test runs: @azure/playwright sends TestRuns_CreateOrUpdate, a JSON
// merge-patch, when a run starts (displayName, config, ciConfig); tokend
// stores it below the workspace's resource (a child type, which generic
// resource lists leave out, removed with the workspace or its group) and
// lists a workspace's runs in id order.
//
// A create and an update both answer 200: the contract allows 201 for a
// create, but the package treats every status other than 200 as a failed
// run creation, and Azure's service evidently answers 200.

const testRunType = workspaceType + "/testruns"

// testRunPageSize is TestRuns_List's page size.
const testRunPageSize = 50

// testRun is the TestRun model as stored and answered.
type testRun struct {
	ID          string     `json:"id"`
	DisplayName string     `json:"displayName"`
	CreatorID   string     `json:"creatorId"`
	CreatorName string     `json:"creatorName,omitempty"`
	Config      *runConfig `json:"config,omitempty"`
	CIConfig    *ciConfig  `json:"ciConfig,omitempty"`
	Summary     runSummary `json:"summary"`
}

type runConfig struct {
	Framework   *runFramework `json:"framework,omitempty"`
	SDKLanguage *string       `json:"sdkLanguage,omitempty"`
	MaxWorkers  *int64        `json:"maxWorkers,omitempty"`
}

type runFramework struct {
	Name       *string `json:"name,omitempty"`
	Version    *string `json:"version,omitempty"`
	RunnerName *string `json:"runnerName,omitempty"`
}

type ciConfig struct {
	ProviderName *string `json:"providerName,omitempty"`
	Branch       *string `json:"branch,omitempty"`
	Author       *string `json:"author,omitempty"`
	CommitID     *string `json:"commitId,omitempty"`
	RevisionURL  *string `json:"revisionUrl,omitempty"`
}

type runSummary struct {
	Status                       string `json:"status"`
	StartTime                    string `json:"startTime"`
	NumBrowserSessions           int64  `json:"numBrowserSessions"`
	MaxConcurrentBrowserSessions int64  `json:"maxConcurrentBrowserSessions"`
}

// testRunPatch is TestRunCreateOrUpdate as a merge-patch sends it.
type testRunPatch struct {
	DisplayName *string    `json:"displayName"`
	Config      *runConfig `json:"config"`
	CIConfig    *ciConfig  `json:"ciConfig"`
}

var sdkLanguages = []string{"JAVASCRIPT", "TYPESCRIPT", "CSHARP"}

func (p *testRunPatch) validate() error {
	if p.DisplayName != nil && (len(*p.DisplayName) < 1 || len(*p.DisplayName) > 200) {
		return wire.BadRequest("InvalidRequestContent", "displayName", "The displayName must be 1 to 200 characters.")
	}
	if c := p.Config; c != nil {
		if c.MaxWorkers != nil && (*c.MaxWorkers < 1 || *c.MaxWorkers > 500) {
			return wire.BadRequest("InvalidRequestContent", "config.maxWorkers", fmt.Sprintf("The maxWorkers %d is out of range: it must be 1 to 500.", *c.MaxWorkers))
		}
		if c.SDKLanguage != nil && !containsFold(sdkLanguages, *c.SDKLanguage) {
			return wire.BadRequest("InvalidRequestContent", "config.sdkLanguage", "The sdkLanguage '"+wire.Clip(*c.SDKLanguage)+
				"' is invalid: it must be one of "+strings.Join(sdkLanguages, ", ")+".")
		}
	}
	return nil
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// sameJSON reports whether two values encode alike (create-only members
// sent again unchanged are no change).
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (s *Service) testRunID(ws *tokend.PlaywrightAccount, runID string) arm.ID {
	id, _ := arm.ParseID(ws.ResourceKey)
	return id.Child(Namespace, "testRuns", strings.ToLower(runID))
}

func (s *Service) patchTestRun(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	runID := r.Param("runId")
	if !validID(runID) {
		return nil, wire.BadRequest("InvalidParameter", "runId", "The runId '"+wire.Clip(runID)+
			"' is invalid: it must be a GUID, such as '00000000-0000-0000-0000-000000000000'.")
	}
	var patch testRunPatch
	if err := wire.DecodeJSON(r.Body, &patch); err != nil {
		return nil, err
	}
	if err := patch.validate(); err != nil {
		return nil, err
	}
	ws := playwright.ParentOf(r)
	id := s.testRunID(ws, runID)
	return arm.LastWriterWins(ctx, wire.Errorf(http.StatusConflict, "Conflict", "The test run '"+runID+"' is being changed by many requests at once; retry."),
		func() (*wire.Response, error) {
			res, err := s.store.GetResource(ctx, id.Key())
			if errors.Is(err, tokend.ErrNotFound) {
				return s.createTestRun(ctx, r, id, strings.ToLower(runID), patch)
			}
			if err != nil {
				return nil, fmt.Errorf("load test run %s: %w", id, err)
			}
			var run testRun
			if err := json.Unmarshal(res.Body, &run); err != nil {
				return nil, fmt.Errorf("decode test run %s: %w", id, err)
			}
			if patch.Config != nil && !sameJSON(patch.Config, run.Config) {
				return nil, wire.BadRequest("InvalidRequestContent", "config", "The config of a test run is set when it is created and cannot change.")
			}
			if patch.CIConfig != nil && !sameJSON(patch.CIConfig, run.CIConfig) {
				return nil, wire.BadRequest("InvalidRequestContent", "ciConfig", "The ciConfig of a test run is set when it is created and cannot change.")
			}
			if patch.DisplayName != nil {
				run.DisplayName = *patch.DisplayName
			}
			if err := arm.SaveBody(ctx, s.store, res, run, r.Caller(), s.now().UTC()); err != nil {
				return nil, err
			}
			return wire.JSON(http.StatusOK, run), nil
		})
}

func (s *Service) createTestRun(ctx context.Context, r *pipeline.Request, id arm.ID, runID string, patch testRunPatch) (*wire.Response, error) {
	now := s.now().UTC()
	run := testRun{ID: runID, DisplayName: runID, CreatorID: r.Caller(), Config: patch.Config, CIConfig: patch.CIConfig,
		Summary: runSummary{Status: "RUNNING", StartTime: now.Format(time.RFC3339Nano)}}
	if p := r.Principal; p != nil && p.ClientID != "" {
		run.CreatorName = p.ClientID
	}
	if patch.DisplayName != nil {
		run.DisplayName = *patch.DisplayName
	}
	if run.Config != nil && run.Config.SDKLanguage != nil {
		lang := strings.ToUpper(*run.Config.SDKLanguage)
		run.Config.SDKLanguage = &lang
	}
	body, err := json.Marshal(run)
	if err != nil {
		return nil, fmt.Errorf("encode test run: %w", err)
	}
	res := &tokend.Resource{
		Key: id.Key(), ID: id.String(), Type: testRunType, Name: runID, UID: uuid.NewString(), ETag: arm.NewETag(),
		Body: body, CreatedAt: now, UpdatedAt: now, CreatedBy: r.Caller(), UpdatedBy: r.Caller(),
	}
	if err := s.store.CreateResource(ctx, res); err != nil {
		if errors.Is(err, tokend.ErrAlreadyExists) {
			return nil, arm.ErrRaced
		}
		return nil, fmt.Errorf("create test run %s: %w", id, err)
	}
	return wire.JSON(http.StatusOK, run), nil
}

// listTestRuns is TestRuns_List: the stored runs as they are, a page of
// them (PagedTestRun).
func (s *Service) listTestRuns(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	ws := playwright.ParentOf(r)
	page, err := arm.ListPage(ctx, s.store, r, tokend.ResourceQuery{Scope: ws.ResourceKey, Type: testRunType}, testRunPageSize)
	if err != nil {
		return nil, err
	}
	return &wire.Response{Status: http.StatusOK, Body: page}, nil
}

// A test run's summary counts the browser sessions opened with its runId
// (numBrowserSessions) and the most open at once (maxConcurrentBrowserSessions),
// as this node sees them: concurrency is counted per node.

// runSessions counts each run's open sessions on this node.
type runSessions struct {
	mu   sync.Mutex
	open map[string]int // test run key → open sessions
}

func (s *Service) runSessionOpened(ws *tokend.PlaywrightAccount, runID string) {
	if runID == "" {
		return
	}
	key := s.testRunID(ws, runID).Key()
	s.runs.mu.Lock()
	if s.runs.open == nil {
		s.runs.open = map[string]int{}
	}
	s.runs.open[key]++
	concurrent := int64(s.runs.open[key])
	s.runs.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := arm.LastWriterWins(ctx, wire.Errorf(http.StatusConflict, "Conflict", "busy"), func() (*wire.Response, error) {
		res, err := s.store.GetResource(ctx, key)
		if err != nil {
			return nil, err // no such run (sessions need not belong to one): nothing to count
		}
		var run testRun
		if err := json.Unmarshal(res.Body, &run); err != nil {
			return nil, fmt.Errorf("decode test run %s: %w", key, err)
		}
		run.Summary.NumBrowserSessions++
		run.Summary.MaxConcurrentBrowserSessions = max(run.Summary.MaxConcurrentBrowserSessions, concurrent)
		return nil, arm.SaveBody(ctx, s.store, res, run, res.UpdatedBy, s.now().UTC())
	})
	if err != nil && !errors.Is(err, tokend.ErrNotFound) {
		s.log.Warn("count a test run's browser session", "run", runID, "err", err.Error())
	}
}

func (s *Service) runSessionClosed(ws *tokend.PlaywrightAccount, runID string) {
	if runID == "" {
		return
	}
	key := s.testRunID(ws, runID).Key()
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	if s.runs.open[key]--; s.runs.open[key] <= 0 {
		delete(s.runs.open, key)
	}
}
