package identity

import (
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// The server-rendered pages of interactive sign-in: HTML without script,
// so a browser without JavaScript (or a test playing the browser) can use
// them.
//
//go:embed pages/*.html
var pageFiles embed.FS

var pageTemplates = template.Must(template.ParseFS(pageFiles, "pages/*.html"))

// pageCSP is the policy of tokend's HTML pages: inline style only, no
// script, never framed (clickjacking), forms posting only to tokend itself
// and to formTargets (the origins a sign-in may be sent on to: Chrome
// applies form-action to the redirect that answers a form).
func pageCSP(formTargets ...string) string {
	actions := "'self'"
	for _, t := range formTargets {
		if t != "" && !strings.ContainsAny(t, " ;,'\"") {
			actions += " " + t
		}
	}
	return "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action " + actions + "; frame-ancestors 'none'"
}

// writePage renders one of the pages.
func writePage(w http.ResponseWriter, status int, name, csp string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = pageTemplates.ExecuteTemplate(w, name, data)
}

// messagePage is the data of message.html.
type messagePage struct {
	Title, Message, Code, RequestID string
	IsError                         bool
}

// showMessage answers with a message page: an error that must not be sent
// to a redirect URI (an unknown client, a redirect URI not registered), or
// the end of a flow that returns nowhere (a device approved).
func (s *Service) showMessage(w http.ResponseWriter, r *http.Request, status int, title, message, code string) {
	writePage(w, status, "message.html", pageCSP(), messagePage{
		Title: title, Message: message, Code: code, IsError: status >= 400,
		RequestID: wire.TraceFrom(r.Context()).RequestID,
	})
}
