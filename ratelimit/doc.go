// Package ratelimit is tokend's throttling: token buckets
// (golang.org/x/time/rate) per client id and per source address on the
// token endpoint, per source and per client id on failed authentications,
// and per principal on ARM (reads and writes apart, with ARM's
// x-ms-ratelimit-remaining-subscription-* headers). It plugs into every
// surface through pipeline.Hooks and into the issuer through
// identity.Throttle; answers over a limit are 429 with Retry-After in the
// surface's envelope.
//
// Limiters are kept per key in bounded tables (least recently used keys
// are dropped first: a dropped key starts again with a full bucket, which
// for an idle key is what it had anyway), so hostile key churn costs a
// fixed amount of memory.
package ratelimit
