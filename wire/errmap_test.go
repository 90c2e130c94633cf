package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
)

func TestFromError(t *testing.T) {
	t.Parallel()
	ctx := WithTrace(context.Background(), &Trace{RequestID: "req-42"})
	for _, c := range []struct {
		name      string
		err       error
		status    int
		code      string
		challenge bool
	}{
		{"api error as it is", BadRequest("InvalidThing", "thing", "no"), 400, "InvalidThing", false},
		{"wrapped api error", fmt.Errorf("ctx: %w", Errorf(409, "Conflict", "x")), 409, "Conflict", false},
		{"authentication", &tokend.AuthenticationError{Code: "InvalidAuthenticationToken", Message: "m", Challenge: "Bearer x"}, 401, "InvalidAuthenticationToken", true},
		{"authorization", &tokend.AuthorizationError{PrincipalID: "p", Action: "a", Scope: "/"}, 403, "AuthorizationFailed", false},
		{"not found", fmt.Errorf("load: %w", tokend.ErrNotFound), 404, "ResourceNotFound", false},
		{"exists", tokend.ErrAlreadyExists, 409, "Conflict", false},
		{"precondition", tokend.ErrPreconditionFailed, 412, "PreconditionFailed", false},
		{"canceled", context.Canceled, 499, "RequestCanceled", false},
		{"anything else", errors.New("disk on fire: password=hunter2"), 500, "InternalServerError", false},
		{"storage unavailable", fmt.Errorf("put: %w: disk full, password=hunter2", tokend.ErrUnavailable), 503, "ServiceUnavailable", false},
	} {
		var log bytes.Buffer
		w := httptest.NewRecorder()
		e := FromError(ctx, c.err, w, slog.New(slog.NewTextHandler(&log, nil)))
		if e.Status != c.status || e.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, e.Status, e.Code, c.status, c.code)
		}
		if got := w.Header().Get("WWW-Authenticate") != ""; got != c.challenge {
			t.Errorf("%s: challenge header set %v", c.name, got)
		}
		if got := w.Header().Get("Retry-After") != ""; got != (c.status == 503) {
			t.Errorf("%s: Retry-After set %v", c.name, got)
		}
		if c.status >= 500 {
			if strings.Contains(e.Message, "hunter2") || !strings.Contains(e.Message, "req-42") {
				t.Errorf("%d message %q leaks or lacks the request id", c.status, e.Message)
			}
			if !strings.Contains(log.String(), "req-42") {
				t.Errorf("the failure was not logged with its request id: %s", log.String())
			}
		}
	}
}

func TestWriteResponseAndErrorCarryLength(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"json", func(w http.ResponseWriter) { WriteResponse(w, http.MethodGet, JSON(200, map[string]int{"a": 1})) }},
		{"stored document, written as it is", func(w http.ResponseWriter) { WriteResponse(w, http.MethodGet, JSON(200, json.RawMessage(`{"a":1}`))) }},
		{"error", func(w http.ResponseWriter) { WriteError(w, FamilyAzureCore, Errorf(404, "NotFound", "<x>")) }},
	} {
		w := httptest.NewRecorder()
		c.write(w)
		if n, err := strconv.Atoi(w.Header().Get("Content-Length")); err != nil || n != w.Body.Len() {
			t.Errorf("%s: Content-Length %q for %d bytes", c.name, w.Header().Get("Content-Length"), w.Body.Len())
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
	}
	w := httptest.NewRecorder()
	WriteResponse(w, http.MethodGet, JSON(200, json.RawMessage(`{"a":1}`)))
	if w.Body.String() != `{"a":1}` {
		t.Errorf("a stored document was re-encoded: %s", w.Body)
	}
	w = httptest.NewRecorder()
	WriteResponse(w, http.MethodHead, JSON(200, map[string]int{"a": 1}))
	if w.Body.Len() != 0 || w.Code != 200 {
		t.Errorf("HEAD wrote %d bytes, status %d", w.Body.Len(), w.Code)
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 100)
	got := Clip(long)
	if len(got) > 84 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("Clip(long) = %q", got)
	}
	if Clip("short") != "short" {
		t.Error("Clip changed a short string")
	}
}
