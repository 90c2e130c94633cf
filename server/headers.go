package server

import "net/http"

// contentSecurityPolicy is sent on every answer. tokend's answers are JSON
// and a few script-free HTML pages: nothing may load, run, submit or frame
// them, and a strict policy costs none of them anything.
const contentSecurityPolicy = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// hstsMaxAge is a year, without includeSubDomains: tokend often runs on a
// name (localhost) whose other services it does not speak for.
const hstsMaxAge = "max-age=31536000"

// setSecurityHeaders sets the headers every answer carries, before any
// handler runs (a handler may still override one deliberately).
func setSecurityHeaders(h http.Header, overTLS bool) {
	if overTLS {
		h.Set("Strict-Transport-Security", hstsMaxAge)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
}
