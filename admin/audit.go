package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

func (s *Service) auditRoutes() []pipeline.Route {
	return []pipeline.Route{
		route(http.MethodGet, "/audit/events", ActionAuditRead, s.listAuditEvents),
		route(http.MethodGet, "/audit/verify", ActionAuditRead, s.verifyAudit),
	}
}

// auditPosition is a page's end in a continuation token.
type auditPosition struct {
	Time int64  `json:"t"` // Unix microseconds, as stored
	Node string `json:"n"`
	Seq  int64  `json:"s"`
}

// listAuditEvents lists the database's audit events newest first (every
// node's chain merged by time, as `tokend audit list`), each the JSON
// line as it was recorded, filtered by principal, action (a trailing *
// matches a prefix) and time (from inclusive, to exclusive, RFC 3339).
func (s *Service) listAuditEvents(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	q := tokend.AuditQuery{Principal: queryParam(r, "principal"), Action: queryParam(r, "action")}
	for name, v := range map[string]string{"principal": q.Principal, "action": q.Action} {
		if !wire.SQLText(v) || len(v) > 256 {
			return nil, wire.BadRequest("InvalidQueryParameterValue", name, name+" must be text of at most 256 bytes.")
		}
	}
	var err error
	if q.Since, err = timeParam(r, "from"); err != nil {
		return nil, err
	}
	if q.Until, err = timeParam(r, "to"); err != nil {
		return nil, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return nil, wire.BadRequest("InvalidQueryParameterValue", "to", "to must be later than from.")
	}
	if q.Limit, err = top(r); err != nil {
		return nil, err
	}
	cont := wire.Continuation{Family: wire.FamilyARM, Scope: "audit/events",
		Query: strings.Join([]string{q.Principal, q.Action, queryParam(r, "from"), queryParam(r, "to")}, "\x00")}
	if tok := wire.SkipToken(r.HTTP.URL.Query()); tok != "" {
		var p auditPosition
		if werr := cont.Decode(tok, &p); werr != nil {
			return nil, werr
		}
		if !wire.SQLText(p.Node) {
			return nil, cont.Invalid()
		}
		q.After = &tokend.AuditCursor{Time: time.UnixMicro(p.Time), Node: p.Node, Seq: p.Seq}
	}
	recs, err := s.cfg.Store.ListAuditRecords(ctx, q)
	if err != nil {
		return nil, err
	}
	items := make([]json.RawMessage, 0, len(recs))
	for _, rec := range recs {
		items = append(items, json.RawMessage(rec.Line))
	}
	var next *string
	if len(recs) == q.Limit {
		last := recs[len(recs)-1]
		link := wire.NextLink(r.BaseURL, r.HTTP, cont.Encode(auditPosition{Time: last.Time.UnixMicro(), Node: last.Node, Seq: last.Seq}))
		next = &link
	}
	return wire.JSON(http.StatusOK, wire.EncodeList(items, "nextLink", next)), nil
}

// timeParam reads an RFC 3339 time parameter (zero when absent).
func timeParam(r *pipeline.Request, name string) (time.Time, error) {
	v := queryParam(r, name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, wire.BadRequest("InvalidQueryParameterValue", name, name+" must be an RFC 3339 time such as 2026-01-02T15:04:05Z.")
	}
	return t, nil
}

// verification is the answer of /audit/verify.
type verification struct {
	// Intact is true when every chain is unbroken.
	Intact bool                  `json:"intact"`
	Chains []audit.ChainVerified `json:"chains"`
}

// verifyAudit checks every node's chain in the database, as `tokend
// audit verify` checks files.
func (s *Service) verifyAudit(ctx context.Context, _ *pipeline.Request) (*wire.Response, error) {
	chains, err := audit.VerifyStore(ctx, s.cfg.Store)
	if err != nil {
		return nil, err
	}
	res := verification{Intact: true, Chains: chains}
	for _, c := range chains {
		if c.Break != nil {
			res.Intact = false
		}
	}
	return wire.JSON(http.StatusOK, res), nil
}
