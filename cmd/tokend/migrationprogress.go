package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

// migrationProgressDelay is how long migrations run before a bar appears:
// a fresh database's whole schema takes milliseconds, and a bar that
// flashes on every first start is noise; one over a million-row table
// can take minutes, and a silent terminal then looks hung.
const migrationProgressDelay = time.Second

// newMigrationProgress shows schema migrations that take longer than
// delay as a progress bar on w, when w is a terminal and the command's
// output is not JSON (nil otherwise: nothing is shown).
func newMigrationProgress(w io.Writer, jsonOutput bool, delay time.Duration) sqlstore.MigrationProgress {
	if jsonOutput || !isTerminal(w) {
		return nil
	}
	return (&migrationBar{w: w, delay: delay}).report
}

// migrationBar appears only after delay; until then it remembers where
// the migrations are, so it opens on the current one.
type migrationBar struct {
	w     io.Writer
	delay time.Duration

	mu          sync.Mutex
	timer       *time.Timer
	bar         *progressbar.ProgressBar
	step, total int
	name        string
	finished    bool
}

func (b *migrationBar) report(step, total int, m sqlstore.Migration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if step > total { // all committed
		b.finished = true
		if b.timer != nil {
			b.timer.Stop()
		}
		if b.bar != nil {
			_ = b.bar.Finish()
			_ = b.bar.Clear()
		}
		return
	}
	b.step, b.total, b.name = step, total, fmt.Sprintf("%04d_%s", m.Version, m.Name)
	if b.timer == nil {
		b.timer = time.AfterFunc(b.delay, b.show)
	}
	b.update()
}

// show opens the bar once the delay has passed.
func (b *migrationBar) show() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.bar = progressbar.NewOptions(b.total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
	)
	b.update()
}

// update shows the migration running now (step-1 of total are done).
func (b *migrationBar) update() {
	if b.bar == nil {
		return
	}
	b.bar.Describe("migrating the database: " + b.name)
	_ = b.bar.Set(b.step - 1)
}
