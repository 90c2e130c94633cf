package wire

import (
	"strings"
	"testing"
)

func TestAPIVersionsResolve(t *testing.T) {
	t.Parallel()
	v := NewAPIVersions("2024-03-01", "2023-08-01-preview", "2025-01-01")
	cases := []struct {
		requested string
		any       bool
		want      string
		code      string
	}{
		{requested: "2024-03-01", want: "2024-03-01"},
		{requested: "2023-08-01-PREVIEW", want: "2023-08-01-preview"},
		{requested: "", code: "MissingApiVersionParameter"},
		{requested: "2099-01-01", code: "InvalidApiVersionParameter"},
		{requested: "2099-01-01", any: true, want: "2025-01-01"},
		{requested: "", any: true, code: "MissingApiVersionParameter"},
	}
	for _, c := range cases {
		got, err := v.Resolve(c.requested, c.any)
		if c.code != "" {
			if err == nil || err.Code != c.code || err.Status != 400 || err.Target != "api-version" {
				t.Errorf("Resolve(%q,%v) = %q, %v; want %s", c.requested, c.any, got, err, c.code)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Resolve(%q,%v) = %q, %v; want %q", c.requested, c.any, got, err, c.want)
		}
	}
	_, err := v.Resolve("1999-01-01", false)
	for _, s := range v.List() {
		if !strings.Contains(err.Message, s) {
			t.Errorf("InvalidApiVersionParameter message does not list %s: %s", s, err.Message)
		}
	}
}
