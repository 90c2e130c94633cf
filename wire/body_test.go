package wire

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecodeJSONNamesWhereItBroke(t *testing.T) {
	t.Parallel()
	type props struct {
		Count int `json:"count"`
	}
	type doc struct {
		Location   string `json:"location"`
		Properties props  `json:"properties"`
	}
	cases := []struct {
		body, target, contains string
	}{
		{body: "{\n  \"location\": \"x\",\n  oops\n}", target: "body", contains: "line 3, column 3"},
		{body: `{"location": 5}`, target: "location", contains: "must be of type string"},
		{body: `{"properties": {"count": "many"}}`, target: "properties.count", contains: "must be of type integer"},
		{body: `{"location": "x"`, target: "body", contains: "unexpected end"},
		{body: ``, target: "body", contains: "empty"},
	}
	for _, c := range cases {
		var d doc
		err := DecodeJSON([]byte(c.body), &d)
		if err == nil {
			t.Errorf("%q decoded", c.body)
			continue
		}
		if err.Status != 400 || err.Code != "InvalidRequestContent" || err.Target != c.target || !strings.Contains(err.Message, c.contains) {
			t.Errorf("%q → %+v; want target %q containing %q", c.body, err, c.target, c.contains)
		}
	}
}

func TestReadBodyLimitsAndMediaType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ct, body string
		status         int
	}{
		{"json ok", "application/json; charset=utf-8", `{}`, 0},
		{"merge patch ok", "application/merge-patch+json", `{}`, 0},
		{"no content type is read as JSON", "", `{}`, 0},
		{"form refused", "application/x-www-form-urlencoded", `a=b`, http.StatusUnsupportedMediaType},
		{"too large", "application/json", `"` + strings.Repeat("a", 2000) + `"`, http.StatusRequestEntityTooLarge},
		{"empty body with any type", "text/plain", ``, 0},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodPut, "/x", strings.NewReader(c.body))
		if c.ct != "" {
			r.Header.Set("Content-Type", c.ct)
		}
		_, err := ReadBody(r, httptest.NewRecorder(), 1024)
		switch {
		case c.status == 0 && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.status != 0 && (err == nil || err.Status != c.status):
			t.Errorf("%s: got %v, want status %d", c.name, err, c.status)
		}
	}
}
