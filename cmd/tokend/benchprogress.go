package main

import (
	"context"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/bench"
)

// progressSeeder counts what a bulk seed writes on a progress bar: seeding
// a million access tokens takes minutes, and a silent terminal looks hung.
type progressSeeder struct {
	bench.Seeder
	bar *progressbar.ProgressBar
}

func (p progressSeeder) CreateAccessTokens(ctx context.Context, list []*tokend.AccessToken) error {
	err := p.Seeder.CreateAccessTokens(ctx, list)
	if err == nil {
		_ = p.bar.Add(len(list))
	}
	return err
}

func (p progressSeeder) CreateResources(ctx context.Context, list []*tokend.Resource) error {
	err := p.Seeder.CreateResources(ctx, list)
	if err == nil {
		_ = p.bar.Add(len(list))
	}
	return err
}

// withSeedProgress shows the seeding on w when w is a terminal; elsewhere
// (a pipe, a CI log, a file) it adds nothing, so logs stay line-oriented.
// The total is not known per call, so the bar counts rows and their rate.
func withSeedProgress(s bench.Seeder, w io.Writer) (bench.Seeder, func()) {
	if !isTerminal(w) {
		return s, func() {}
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("seeding"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return progressSeeder{Seeder: s, bar: bar}, func() { _ = bar.Finish() }
}
