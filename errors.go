package tokend

import "errors"

// Sentinel errors that storage engines return (wrapped with context) and the
// HTTP edge maps to status codes. Compare with errors.Is.
var (
	// ErrNotFound: the entity does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a create collided with an existing entity.
	ErrAlreadyExists = errors.New("already exists")
	// ErrPreconditionFailed: an optimistic-concurrency check (ETag) failed.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrUnavailable: the database cannot be reached or cannot write (a
	// stopped server, a full disk); the request may succeed if retried
	// later (503 with Retry-After).
	ErrUnavailable = errors.New("storage is unavailable")
)
