package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := execCLI(dir, args...)
		if err != nil {
			t.Fatalf("tokend %v: %v", args, err)
		}
		// A test binary's build information has the module's version
		// "(devel)" or a pseudo-version; either way the line names the Go
		// version and platform.
		if !strings.HasPrefix(out, "tokend ") || !strings.Contains(out, runtime.Version()) || !strings.Contains(out, runtime.GOOS+"/"+runtime.GOARCH) {
			t.Errorf("tokend %v printed %q", args, out)
		}
	}
	out, err := execCLI(dir, "version", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var v buildVersion
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version == "" || v.GoVersion != runtime.Version() {
		t.Fatalf("version --output json: %q (%v)", out, err)
	}
}

func TestBuildVersionString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v    buildVersion
		want string
	}{
		{buildVersion{Version: "v1.2.3", GoVersion: "go1.26", Platform: "linux/amd64"}, "v1.2.3 go1.26 linux/amd64"},
		{buildVersion{Version: "(devel)", Revision: "0123456789abcdef", Modified: true, GoVersion: "go1.26", Platform: "linux/arm64"},
			"(devel) (0123456789ab, modified) go1.26 linux/arm64"},
	}
	for _, c := range cases {
		if got := c.v.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.v, got, c.want)
		}
	}
}
