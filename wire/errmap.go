package wire

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"unicode/utf8"

	tokend "github.com/tokend-dev/tokend"
)

// FromError maps any error a handler returns to the API error to answer:
// an *Error as it is, authentication and authorization failures to 401
// (with the challenge header set on w) and 403, the domain sentinels to
// their statuses. Anything unexpected is logged with the request id and
// becomes a 500 that quotes the id and nothing of the internals.
func FromError(ctx context.Context, err error, w http.ResponseWriter, log *slog.Logger) *Error {
	var apiErr *Error
	var authn *tokend.AuthenticationError
	var authz *tokend.AuthorizationError
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &authn):
		if authn.Challenge != "" {
			w.Header().Set("WWW-Authenticate", authn.Challenge)
		}
		return Errorf(http.StatusUnauthorized, authn.Code, authn.Message)
	case errors.As(err, &authz):
		return Errorf(http.StatusForbidden, "AuthorizationFailed", authz.Error())
	case errors.Is(err, tokend.ErrNotFound):
		return Errorf(http.StatusNotFound, "ResourceNotFound", "The resource was not found.")
	case errors.Is(err, tokend.ErrAlreadyExists):
		return Errorf(http.StatusConflict, "Conflict", "The resource already exists.")
	case errors.Is(err, tokend.ErrPreconditionFailed):
		return Errorf(http.StatusPreconditionFailed, "PreconditionFailed", "The resource has changed since the ETag given in If-Match.")
	case errors.Is(err, context.Canceled):
		return Errorf(499, "RequestCanceled", "The client canceled the request.")
	case errors.Is(err, tokend.ErrUnavailable):
		return Unavailable(ctx, err, w, log)
	}
	reqID := TraceFrom(ctx).RequestID
	if log == nil {
		log = slog.Default()
	}
	log.ErrorContext(ctx, "request failed", "request_id", reqID, "err", err.Error())
	return InternalError(reqID)
}

// RetryAfterSeconds is what a 503 asks clients to wait: long enough for a
// database failover or a freed disk to matter, short enough that the
// Azure SDKs' retry policies (which honour Retry-After) try again soon.
const RetryAfterSeconds = "5"

// Unavailable is the answer when storage cannot serve (tokend.ErrUnavailable):
// 503 with Retry-After, in the route's family, the cause logged with the
// request id and not shown.
func Unavailable(ctx context.Context, err error, w http.ResponseWriter, log *slog.Logger) *Error {
	reqID := TraceFrom(ctx).RequestID
	if log == nil {
		log = slog.Default()
	}
	log.WarnContext(ctx, "storage unavailable", "request_id", reqID, "err", err.Error())
	w.Header().Set("Retry-After", RetryAfterSeconds)
	return Errorf(http.StatusServiceUnavailable, "ServiceUnavailable",
		"The service is temporarily unable to reach its storage; retry after "+RetryAfterSeconds+" seconds. Request id '"+reqID+"'.")
}

// InternalError is the answer to an unexpected failure: the request id to
// quote, and nothing about the internals.
func InternalError(requestID string) *Error {
	return Errorf(http.StatusInternalServerError, "InternalServerError",
		"The server encountered an internal error. Quote request id '"+requestID+"' when reporting it.")
}

// Clip shortens client text echoed in an error message: a hostile
// 60 KiB path segment need not come back in full.
func Clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
