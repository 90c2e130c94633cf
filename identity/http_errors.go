package identity

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// oauthErrorBody is Entra's error response: RFC 6749 §5.2 plus the AADSTS
// code, trace and correlation ids MSAL reports.
type oauthErrorBody struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	ErrorCodes    []int  `json:"error_codes,omitempty"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
}

// oauthError writes an OAuth error. aadsts is Entra's code for the case
// (0 for none); the description carries it the way Entra does.
func (s *Service) oauthError(w http.ResponseWriter, r *http.Request, status int, code string, aadsts int, description string) {
	trace := wire.TraceFrom(r.Context())
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = trace.RequestID
	}
	now := s.cfg.Now().UTC()
	body := oauthErrorBody{
		Error: code, Timestamp: now.Format("2006-01-02 15:04:05Z"),
		TraceID: trace.RequestID, CorrelationID: corr,
	}
	desc := description
	trace.ErrorCode = code
	if aadsts != 0 {
		body.ErrorCodes = []int{aadsts}
		desc = "AADSTS" + strconv.Itoa(aadsts) + ": " + description
		trace.ErrorCode += " AADSTS" + strconv.Itoa(aadsts)
	}
	body.Description = desc + " Trace ID: " + trace.RequestID + " Correlation ID: " + corr +
		" Timestamp: " + now.Format(time.DateTime) + "Z"
	writeJSON(w, status, body)
}

// writeJSON writes an uncacheable JSON answer (tokens, introspection)
// with its length: a token answer (two signed tokens and a refresh token)
// is over net/http's 2 KB buffer, and without a Content-Length it went
// out chunked, which costs both ends more writes and parsing.
func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		panic("identity: answer does not marshal: " + err.Error())
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	wire.WriteJSONBytes(w, status, b)
}

func jsonEncode(w http.ResponseWriter, body any) error { return json.NewEncoder(w).Encode(body) }

// troubleStatus is the status of a failure that is not the client's: 503
// with Retry-After when storage is unavailable (retrying later helps), else
// 500. The cause is logged with the request id, never shown.
func (s *Service) troubleStatus(w http.ResponseWriter, r *http.Request, what string, err error) int {
	s.log.ErrorContext(r.Context(), what, "request_id", wire.TraceFrom(r.Context()).RequestID, "err", err.Error())
	if errors.Is(err, tokend.ErrUnavailable) {
		w.Header().Set("Retry-After", wire.RetryAfterSeconds)
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
