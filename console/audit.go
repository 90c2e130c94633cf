package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

type auditEvent struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"`
	Node      string `json:"node"`
	RequestID string `json:"requestId"`
	Principal string `json:"principal"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	Result    string `json:"result"`
	Status    int    `json:"status"`
	Reason    string `json:"reason"`
}

type auditChain struct {
	Node    string `json:"node"`
	Lines   int64  `json:"lines"`
	LastSeq int64  `json:"lastSeq"`
	Break   *struct {
		Line   int64  `json:"line"`
		Reason string `json:"reason"`
	} `json:"break"`
}

type auditData struct {
	Principal, Action, From, To string
	Events                      []auditEvent
	Next                        string
	Verify                      *struct {
		Intact bool         `json:"intact"`
		Chains []auditChain `json:"chains"`
	}
}

// audit lists the database's audit events, newest first, with the
// filters the management API takes, and the chains' verification.
func (c *Console) audit(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Audit log", "audit", "audit.html"
	q := v.r.URL.Query()
	d := &auditData{Principal: strings.TrimSpace(q.Get("principal")), Action: strings.TrimSpace(q.Get("action")),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	v.Data = d
	filter := url.Values{}
	for k, val := range map[string]string{"principal": d.Principal, "action": d.Action, "from": d.From, "to": d.To} {
		if val != "" {
			filter.Set(k, val)
		}
	}
	list, next, err := adminList[auditEvent](ctx, c, v, "/admin/v1/audit/events", filter, q.Get("skip"))
	if err != nil {
		return userError(v, err)
	}
	d.Events = list
	if next != "" {
		filter.Set("skip", next)
		d.Next = "/console/audit?" + filter.Encode()
	}
	return c.call(ctx, v, http.MethodGet, "/admin/v1/audit/verify", nil, &d.Verify)
}
