package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tokend-dev/tokend/wire"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// HTMXVersion is the vendored htmx (npm htmx.org, licence 0BSD): pages
// load it from the binary, never from a CDN.
const HTMXVersion = "2.0.11"

// csp is the console's policy: scripts and styles only from tokend's own
// files (no inline script, no eval), requests and forms only to tokend,
// never framed.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

var funcs = template.FuncMap{
	"time": func(s string) string {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"unix": func(n int64) string { return time.Unix(n, 0).UTC().Format("2006-01-02 15:04:05 UTC") },
	"q":    url.QueryEscape,
}

// pages are the templates, each page parsed with the layout.
var pages = func() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html"))
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.html" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFiles, n))
	}
	return out
}()

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The file names carry the version where it matters (htmx); the
		// rest change only with the binary.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// view is one page's data: who is signed in, the form token, what the
// page shows, and what went wrong.
type view struct {
	w http.ResponseWriter
	r *http.Request
	s *session

	Title, Active string
	// Template names the page's file.
	Template string
	User     string
	Tenant   string
	CSRF     string
	// NoAccess: the API answered 403 — the person's roles do not allow
	// this.
	NoAccess bool
	Error    string
	Notice   string
	Data     any
}

// page wraps a GET page: a session is required (else the sign-in, coming
// back here), then f fills the view and the template renders it.
func (c *Console) page(f func(context.Context, *view) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := c.begin(w, r)
		if !ok {
			return
		}
		c.finish(v, f(r.Context(), v))
	}
}

// maxForm bounds a console form's body.
const maxForm = 64 << 10

// action wraps a POST: a live session, a same-site request and the
// session's CSRF token, or nothing happens.
func (c *Console) action(f func(context.Context, *view) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			c.renderMessage(w, r, http.StatusBadRequest, "Bad form", "The form could not be read.")
			return
		}
		v, ok := c.begin(w, r)
		if !ok {
			return
		}
		if crossSite(r) || !checkCSRF(v.s, r) {
			c.renderMessage(w, r, http.StatusForbidden, "Refused",
				"This form did not come from your console session (its CSRF token is missing or from another session). Nothing was changed; reload the page and try again.")
			return
		}
		c.finish(v, f(r.Context(), v))
	}
}

// begin reads the session; without one (or once it has expired) the
// browser is sent to sign in and back.
func (c *Console) begin(w http.ResponseWriter, r *http.Request) (*view, bool) {
	s, ok := c.readSession(r)
	if !ok {
		c.clearCookie(w, r, sessionCookie, http.SameSiteStrictMode)
		c.toSignIn(w, r)
		return nil, false
	}
	return &view{w: w, r: r, s: s, User: s.Name, Tenant: s.Tenant, CSRF: s.CSRF}, true
}

func (c *Console) toSignIn(w http.ResponseWriter, r *http.Request) {
	ret := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		ret = r.Referer()
		if u, err := url.Parse(ret); err == nil {
			ret = u.RequestURI()
		}
	}
	target := "/console/signin?return=" + url.QueryEscape(safeReturn(ret))
	if r.Header.Get("HX-Request") == "true" {
		// htmx follows redirects inside the page; a sign-in must be a
		// whole-page navigation.
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// finish renders the view, or the error: a 403 from an API is "you do not
// have access", another API refusal its message, anything else a 500
// quoting the request id.
func (c *Console) finish(v *view, err error) {
	status := http.StatusOK
	var ae *apiError
	switch {
	case err == nil:
	case errors.Is(err, errRedirected):
		return
	case errors.Is(err, errSignedOut):
		c.clearCookie(v.w, v.r, sessionCookie, http.SameSiteStrictMode)
		c.toSignIn(v.w, v.r)
		return
	case forbidden(err):
		status, v.NoAccess = http.StatusForbidden, true
	case errors.As(err, &ae) && ae.Status < 500:
		status, v.Error = ae.Status, ae.Code+": "+ae.Message
	default:
		c.fail(v.w, v.r, v.Title, err)
		return
	}
	if v.Template == "" {
		v.Template = "message.html"
	}
	c.render(v.w, v.r, status, v.Template, v)
}

// errRedirected: the handler answered with a redirect already.
var errRedirected = errors.New("redirected")

// redirect answers a POST with a 303 to a console page (Post/Redirect/Get).
func (v *view) redirect(to string) error {
	http.Redirect(v.w, v.r, to, http.StatusSeeOther)
	return errRedirected
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t := pages[name]
	if t == nil {
		c.fail(w, r, "render", errors.New("no template "+name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		c.fail(w, r, "render "+name, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) renderMessage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	v := &view{Title: title, Error: msg}
	if status < 400 {
		v.Error, v.Notice = "", msg
	}
	if s, ok := c.readSession(r); ok {
		v.User, v.Tenant, v.CSRF = s.Name, s.Tenant, s.CSRF
	}
	c.render(w, r, status, "message.html", v)
}

// fail logs what went wrong and shows a page quoting the request id,
// never the error itself.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	id := wire.TraceFrom(r.Context()).RequestID
	c.log.ErrorContext(r.Context(), "console: "+what, "err", err.Error(), "requestId", id)
	msg := "Something went wrong on tokend's side."
	if id != "" {
		msg += " Request id: " + id + "."
	}
	v := &view{Title: "Error", Error: msg}
	t := pages["message.html"]
	var buf bytes.Buffer
	if t == nil || t.ExecuteTemplate(&buf, "message.html", v) != nil {
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(buf.Bytes())
}

// field is a trimmed form value.
func field(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
