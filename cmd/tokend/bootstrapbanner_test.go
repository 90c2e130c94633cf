package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
)

// The bootstrap secret is not printed when stdout is not a terminal (a
// pipe, a buffer, a file): the banner names the file that holds it.
func TestBootstrapSecretNotPrintedOffATerminal(t *testing.T) {
	t.Parallel()
	boot := &identity.Bootstrap{Client: &tokend.Client{ID: "client-1"}, Secret: "the-secret-value", Created: true}
	pipeOut := func(t *testing.T) (io.Writer, func() string) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		return w, func() string {
			_ = w.Close()
			b, _ := io.ReadAll(r)
			_ = r.Close()
			return string(b)
		}
	}
	bufOut := func(*testing.T) (io.Writer, func() string) {
		var b bytes.Buffer
		return &b, b.String
	}
	for _, tc := range []struct {
		name string
		out  func(*testing.T) (io.Writer, func() string)
	}{{"pipe", pipeOut}, {"buffer", bufOut}} {
		t.Run(tc.name, func(t *testing.T) {
			w, read := tc.out(t)
			printBootstrap(w, boot, "/data/bootstrap.json", false)
			got := read()
			if strings.Contains(got, boot.Secret) {
				t.Errorf("the secret is printed:\n%s", got)
			}
			if !strings.Contains(got, "client-1") || !strings.Contains(got, "/data/bootstrap.json") {
				t.Errorf("the banner does not say where the secret is:\n%s", got)
			}
		})
	}
}

// In memory without --bootstrap-out there is no file: the banner says how
// to get the secret; a fixed secret is never echoed.
func TestBootstrapBannerWithoutFile(t *testing.T) {
	t.Parallel()
	boot := &identity.Bootstrap{Client: &tokend.Client{ID: "client-1"}, Secret: "the-secret-value", Created: true}
	for _, tc := range []struct {
		name  string
		fixed bool
		want  string
	}{{"generated", false, "--bootstrap-out"}, {"fixed", true, "the one given"}} {
		var b bytes.Buffer
		printBootstrap(&b, boot, "", tc.fixed)
		if strings.Contains(b.String(), boot.Secret) || !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s: banner\n%s", tc.name, b.String())
		}
	}
}
