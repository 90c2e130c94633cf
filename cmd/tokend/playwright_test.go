package main

import (
	"context"
	"strings"
	"testing"
)

// TestPlaywrightBrowsersFlags: the browsers flags that do not go together
// are refused before anything starts.
func TestPlaywrightBrowsersFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		flags playwrightFlags
		want  string
	}{
		{"none", playwrightFlags{}, ""},
		{"a server of one's own", playwrightFlags{browserServer: "ws://127.0.0.1:3000/"}, ""},
		{"an unknown mode", playwrightFlags{browsers: "docker"}, "the one value is managed"},
		{"both", playwrightFlags{browsers: "managed", browserServer: "ws://127.0.0.1:3000/"}, "choose one"},
		{"a CLI without managed", playwrightFlags{cli: "node_modules/.bin/playwright"}, "go with --playwright-browsers managed"},
		{"server args without managed", playwrightFlags{serverArgs: []string{"--unsafe"}}, "go with --playwright-browsers managed"},
		{"managed without a CLI", playwrightFlags{browsers: "managed", cli: "/nonexistent/playwright"}, "/nonexistent/playwright"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gwc, stop, err := tc.flags.gateway(context.Background(), nil, nil)
			defer stop()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			case tc.want == "" && gwc.Upstream != tc.flags.browserServer:
				t.Errorf("upstream %q", gwc.Upstream)
			}
		})
	}
}
