package playwright_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/internal/testkit"
)

// FuzzListQuery sends arbitrary query options to List: whatever a client
// writes, the answer is a 200 or a 4xx in the Azure.Core envelope with
// x-ms-error-code, never a 500 (the PostgreSQL engine refuses invalid UTF-8
// and NUL in text, so a value that reaches it unchecked would be one).
// TOKEND_PW_FUZZ_POSTGRES=1 fuzzes against PostgreSQL instead of SQLite.
func FuzzListQuery(f *testing.F) {
	for _, s := range [][3]string{
		{"state eq 'Active' and startswith(name,'ci')", "expiryAt desc", "10"},
		{"name eq 'x''y'", "name,id desc", ""},
		{"not (contains(name,'%_!')) or createdAt lt 2026-01-01T00:00:00.5Z", "state desc, createdAt", "3"},
		{"(((", "nmae", "-1"},
		{"name eq '\x00'", "", "99999999999"},
		{"endswith(id,'\xff')", "id asc asc", "0"},
	} {
		f.Add(s[0], s[1], s[2], "")
	}
	engine := testkit.Engines()[0]
	if os.Getenv("TOKEND_PW_FUZZ_POSTGRES") == "1" {
		engine = testkit.Engines()[1]
	}
	e := newEnv(f, engine.Open(f))
	acct := e.createAccount(f, "rg", "fuzz")
	exp := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
	for _, id := range []string{"00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"} {
		resp, b := e.do(f, http.MethodPut, dataPath(acct, "access-tokens", id)+"?api-version=2024-12-01", `{"name":"ciToken","expiryAt":"`+exp+`"}`, "good-"+owner)
		if resp.StatusCode != 201 {
			f.Fatalf("seed: %d %s", resp.StatusCode, b)
		}
	}
	// In process, through the whole handler tree (the server's trace
	// middleware included), without a connection per input.
	h := e.handler
	f.Fuzz(func(t *testing.T, filter, orderby, top, skipToken string) {
		q := url.Values{"api-version": {"2024-12-01"}, "$filter": {filter}, "$orderby": {orderby}}
		if top != "" {
			q.Set("$top", top)
		}
		if skipToken != "" {
			q.Set("$skipToken", skipToken)
		}
		req := httptest.NewRequest(http.MethodGet, "https://tokend.test"+dataPath(acct, "access-tokens")+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer good-"+owner)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK:
		case rec.Code >= 400 && rec.Code < 500:
			var env struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.Code == "" || env.Error.Message == "" ||
				rec.Header().Get("x-ms-error-code") != env.Error.Code {
				t.Fatalf("%d without an Azure.Core error: %s", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("$filter=%q $orderby=%q $top=%q $skipToken=%q: %d %s", filter, orderby, top, skipToken, rec.Code, rec.Body)
		}
	})
}
