package main

import (
	"testing"

	"github.com/spf13/pflag"
)

// The hardening flags: defaults on, off turns rate limiting off, and
// shapes the limiter cannot honour are refused at start.
func TestHardeningFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		off     bool
		wantErr bool
	}{
		{"defaults", nil, false, false},
		{"off", []string{"--rate-limits=off"}, true, false},
		{"neither on nor off", []string{"--rate-limits=maybe"}, false, true},
		{"retry-after beyond a minute", []string{"--failed-auth-rate=0.001"}, false, true},
		{"bad proxy", []string{"--trusted-proxies=10.0.0.0/8,nonsense"}, false, true},
		{"proxies", []string{"--trusted-proxies=10.0.0.0/8,192.0.2.1"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			var f hardeningFlags
			addHardeningFlags(fl, &f)
			if err := fl.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			c, err := f.limits()
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if err == nil && (c == nil) != tc.off {
				t.Fatalf("limits %+v, want off: %v", c, tc.off)
			}
			if c != nil && (c.FailuresPerSource.Burst != 100 || c.TokenPerClient.Burst != 50000) {
				t.Errorf("defaults: %+v", c)
			}
		})
	}
}
