package tokendtest

import (
	"log/slog"
	"time"
)

// Option configures Start and New.
type Option func(*config)

type config struct {
	postgres      string
	anyAPIVersion bool
	signingAlg    string
	now           func() time.Time
	logger        *slog.Logger
}

// WithPostgres keeps the state in PostgreSQL instead of memory: a fresh
// schema in the database url names, dropped when the server stops.
func WithPostgres(url string) Option { return func(c *config) { c.postgres = url } }

// WithAPIVersionCheck(false) serves unknown api-versions with the newest
// behaviour instead of refusing them (`tokend serve --any-api-version`).
func WithAPIVersionCheck(check bool) Option { return func(c *config) { c.anyAPIVersion = !check } }

// WithSigningAlg sets the algorithm of the signing key: ES256 (the
// default), RS256 or EdDSA.
func WithSigningAlg(alg string) Option { return func(c *config) { c.signingAlg = alg } }

// WithClock gives the issuer a clock of the test's: tokens are stamped
// (iat, nbf, exp) and checked against it, so a test can move it past a
// token's expiry instead of waiting.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithLogger receives what tokend logs (default: nothing).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }
