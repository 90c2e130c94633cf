package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/server"
	"github.com/tokend-dev/tokend/storage/storagetest"
	"github.com/tokend-dev/tokend/wire"
)

// GET / says what tokend is and where its endpoints are: JSON by default,
// a page for a browser; the tenant fallback never sees it.
func TestHome(t *testing.T) {
	t.Parallel()
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Errorf("fallback got %s", r.URL.Path) })
	s := server.New(server.Options{Store: storagetest.SQLite(t), Fallback: fallback, DefaultTenant: "tid"})
	for _, tc := range []struct {
		method, path, accept string
		status               int
		ctype, want          string
	}{
		{"GET", "/", "", 200, "application/json", `"openidConfiguration":"http://example.com/tid/v2.0/.well-known/openid-configuration"`},
		{"GET", "//", "application/json", 200, "application/json", `"docs":"` + server.DocsURL},
		{"GET", "/", "text/html,application/xhtml+xml", 200, "text/html", "<h1>tokend</h1>"},
		{"GET", "/", "", 200, "application/json", `"console":"http://example.com/console/"`},
		{"GET", "/", "text/html", 200, "text/html", `<a href="http://example.com/console/">`},
		{"HEAD", "/", "", 200, "application/json", ""},
		{"POST", "/", "", 405, "application/json", "MethodNotAllowed"},
	} {
		req := httptest.NewRequest(tc.method, "http://example.com"+tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.ctype) || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s %s (Accept %q): %d %s\n%s", tc.method, tc.path, tc.accept, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
		if tc.status == 200 && tc.method == "GET" && tc.ctype == "application/json" {
			var doc map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["service"] != "tokend" {
				t.Errorf("body %s: %v", rec.Body.String(), err)
			}
		}
	}
}

// The access log names the error code answered, so a 401 says why.
func TestAccessLogErrorCode(t *testing.T) {
	t.Parallel()
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.TraceFrom(r.Context()).ErrorCode = "invalid_client AADSTS7000215"
		w.WriteHeader(http.StatusUnauthorized)
	})
	s, logs := newServer(t, storagetest.SQLite(t), fallback)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "http://example.com/tenant/oauth2/v2.0/token", nil))
	if rec.Code != 401 || !strings.Contains(logs.String(), `"error_code":"invalid_client AADSTS7000215"`) {
		t.Fatalf("%d; log:\n%s", rec.Code, logs.String())
	}
}

// The local CA's certificate is served at /ca.pem when given, and not
// at all otherwise (the path is no tenant either way).
func TestCAPEM(t *testing.T) {
	t.Parallel()
	pemBytes := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Errorf("fallback got %s", r.URL.Path) })
	for _, ca := range [][]byte{pemBytes, nil} {
		s := server.New(server.Options{Store: storagetest.SQLite(t), Fallback: fallback, CAPEM: ca})
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://example.com/ca.pem", nil))
		if ca != nil && (rec.Code != 200 || rec.Body.String() != string(pemBytes)) {
			t.Errorf("with a CA: %d %q", rec.Code, rec.Body.String())
		}
		if ca == nil && rec.Code != 404 {
			t.Errorf("without a CA: %d", rec.Code)
		}
	}
}
