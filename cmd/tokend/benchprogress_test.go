package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/schollz/progressbar/v3"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/bench"
)

type countingSeeder struct{ tokens, resources int }

func (c *countingSeeder) CreateAccessTokens(_ context.Context, l []*tokend.AccessToken) error {
	c.tokens += len(l)
	return nil
}

func (c *countingSeeder) CreateResources(_ context.Context, l []*tokend.Resource) error {
	c.resources += len(l)
	return nil
}

// Off a terminal (a buffer, a pipe) the seeder is left as it is and
// nothing is drawn; the wrapped seeder passes every row through.
func TestSeedProgressQuietOffATerminal(t *testing.T) {
	t.Parallel()
	inner := &countingSeeder{}
	var out bytes.Buffer
	s, done := withSeedProgress(inner, &out)
	if s != bench.Seeder(inner) {
		t.Error("wrapped off a terminal")
	}
	done()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if s, _ := withSeedProgress(inner, w); s != bench.Seeder(inner) {
		t.Error("wrapped for a pipe")
	}
	if out.Len() != 0 {
		t.Errorf("drew %q", out.String())
	}
	// The wrapper forwards every row and counts it on the bar.
	var drawn bytes.Buffer
	p := progressSeeder{Seeder: inner, bar: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(&drawn))}
	if err := p.CreateAccessTokens(t.Context(), make([]*tokend.AccessToken, 3)); err != nil {
		t.Fatal(err)
	}
	if err := p.CreateResources(t.Context(), make([]*tokend.Resource, 2)); err != nil {
		t.Fatal(err)
	}
	if inner.tokens != 3 || inner.resources != 2 || p.bar.State().CurrentNum != 5 {
		t.Errorf("forwarded %d tokens, %d resources; bar at %d", inner.tokens, inner.resources, p.bar.State().CurrentNum)
	}
}
