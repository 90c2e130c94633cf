package wire

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Family is an API family with its own error envelope. Azure has several, and
// a client's SDK only decodes its own (see OPERATIONS.md §4 of the specs).
type Family int

const (
	// FamilyARM is the generic ARM ErrorResponse (common-types), used by
	// Microsoft.Resources and Microsoft.AzurePlaywrightService.
	FamilyARM Family = iota
	// FamilyContainerApps is Microsoft.App's DefaultErrorResponse: like ARM's,
	// but innererror is a string and there is no additionalInfo.
	FamilyContainerApps
	// FamilyAPIM is API Management's ErrorResponse: code, message and field
	// details; no top-level target.
	FamilyAPIM
	// FamilyAzureCore is the data-plane Azure.Core ErrorResponse: code and
	// message required, plus the x-ms-error-code header.
	FamilyAzureCore
)

// Error is an API error, rendered in the envelope of the route's family.
type Error struct {
	Status  int
	Code    string
	Message string
	Target  string
	Details []ErrorDetail
	// RetryAfter, when positive, is sent as Retry-After (whole seconds,
	// rounded up): throttling and temporary unavailability.
	RetryAfter time.Duration
}

// ErrorDetail is one field-level problem.
type ErrorDetail struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Target  string `json:"target,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf is a shorthand for an Error without target or details.
func Errorf(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// BadRequest names the field or parameter at fault.
func BadRequest(code, target, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: message, Target: target}
}

type armBody struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Target  string        `json:"target,omitempty"`
	Details []ErrorDetail `json:"details,omitempty"`
}

type apimBody struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Details []ErrorDetail `json:"details,omitempty"`
}

// TooManyRequests is ARM's throttling answer: 429 TooManyRequests with
// Retry-After.
func TooManyRequests(retryAfter time.Duration, message string) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "TooManyRequests", Message: message, RetryAfter: retryAfter}
}

// RetryAfterValue renders d as Retry-After's delta-seconds: rounded up,
// at least 1, so a client never retries before the limit lets it in.
func RetryAfterValue(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}

// WriteError writes e in the envelope of family f.
func WriteError(w http.ResponseWriter, f Family, e *Error) {
	w.Header().Set("x-ms-error-code", e.Code)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", RetryAfterValue(e.RetryAfter))
	}
	var inner any
	switch f {
	case FamilyAPIM:
		details := e.Details
		if e.Target != "" && len(details) == 0 {
			details = []ErrorDetail{{Code: e.Code, Message: e.Message, Target: e.Target}}
		}
		inner = apimBody{Code: e.Code, Message: e.Message, Details: details}
	default:
		inner = armBody{Code: e.Code, Message: e.Message, Target: e.Target, Details: e.Details}
	}
	b, _ := json.Marshal(struct {
		Error any `json:"error"`
	}{inner})
	WriteJSONBytes(w, e.Status, append(b, '\n'))
}
