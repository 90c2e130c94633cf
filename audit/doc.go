// Package audit is tokend's audit log: who did what, to what, with what
// result, as JSON lines. Each line names the SHA-256 of the line before it
// (prev), so an edited, deleted or reordered line, and a missing or
// truncated rotated file, break the chain where `tokend audit verify`
// finds it without any other input. Identifiers of secrets and tokens are
// HMAC-SHA256'd with a per-deployment salt and never written in clear.
//
// A Log writes every event durably (the file fsynced, the database row
// committed) before Record returns, so a caller that answers only after
// Record has succeeded never sends a response whose event could be lost;
// a failed write is the caller's cue to fail the request (Vault's rule).
// Concurrent events are group-committed: one write and one fsync per batch.
//
// The package is domain, not an edge: it knows no HTTP. The pipeline hook
// (app) and the identity endpoints turn requests into Events.
package audit
