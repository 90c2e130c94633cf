package app

import (
	"context"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// auditDone is the pipeline's Done hook when the audit log is on: it
// records every write on ARM and the data planes (changes to roles,
// assignments, custom roles, access tokens, resources; secret reads,
// which are POST actions such as listSecrets and getAuthtoken), and every
// refused bearer token or action on any route. Reads that succeed are not
// recorded, which keeps the hot path (token checks, GETs) free of it.
// Routes that answer for themselves (Route.Serve: the identity and
// managed-identity endpoints) record their own events. next is a Done hook
// configured besides, run first.
func auditDone(log *audit.Log, next func(context.Context, *pipeline.Request, int) error) func(context.Context, *pipeline.Request, int) error {
	return func(ctx context.Context, r *pipeline.Request, status int) error {
		if next != nil {
			if err := next(ctx, r, status); err != nil {
				return err
			}
		}
		ev := requestEvent(log, r, status)
		if ev == nil {
			return nil
		}
		return log.Record(ctx, ev)
	}
}

// requestEvent is the event a request is recorded as, nil for none.
func requestEvent(log *audit.Log, r *pipeline.Request, status int) *audit.Event {
	if r.Route.Serve != nil {
		return nil
	}
	m := r.HTTP.Method
	write := m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
	action := r.Route.Action
	switch {
	case status == http.StatusUnauthorized:
		action = audit.ActionAuthnFailure
	case status == http.StatusForbidden && r.Principal != nil:
		action = audit.ActionAuthzDenied + ":" + r.Route.Action
	case !write:
		return nil
	}
	if action == "" {
		action = m + " " + r.Route.Pattern
	}
	ev := &audit.Event{
		RequestID: wire.TraceFrom(r.HTTP.Context()).RequestID,
		Source:    wire.SourceAddress(r.HTTP),
		Action:    action,
		Target:    auditTarget(log, r),
		Result:    audit.Success,
		Status:    status,
	}
	ev.Principal = "anonymous"
	if r.Principal != nil {
		ev.Principal = r.Principal.ObjectID
	}
	if status >= 400 {
		ev.Result, ev.Reason = audit.Failure, r.Failure
	}
	return ev
}

// auditTarget is the request's path with every path parameter that names
// a token or a secret (a Playwright access token's id) HMAC'd.
func auditTarget(log *audit.Log, r *pipeline.Request) string {
	path := r.HTTP.URL.Path
	for name, v := range r.Params {
		n := strings.ToLower(name)
		if v != "" && (strings.Contains(n, "token") || strings.Contains(n, "secret")) {
			path = strings.ReplaceAll(path, "/"+v, "/"+log.HashID(v))
		}
	}
	return path
}
