package main

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/storage/sqlstore"
)

// lockedBuffer is written by the bar's timer goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMigrationProgressOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	if p := newMigrationProgress(&bytes.Buffer{}, false, 0); p != nil {
		t.Error("a progress bar for a buffer")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if p := newMigrationProgress(w, false, 0); p != nil {
		t.Error("a progress bar for a pipe")
	}
	if p := newMigrationProgress(os.Stderr, true, 0); p != nil {
		t.Error("a progress bar beside JSON output")
	}
}

// Migrations done within the delay show nothing; a long one shows the bar
// with its name, and the bar goes when they are committed.
func TestMigrationBar(t *testing.T) {
	t.Parallel()
	m := sqlstore.Migration{Version: 700, Name: "resources_by_type"}

	quick := &lockedBuffer{}
	b := &migrationBar{w: quick, delay: time.Hour}
	b.report(1, 1, m)
	b.report(2, 1, sqlstore.Migration{})
	if quick.String() != "" {
		t.Errorf("quick migrations drew %q", quick.String())
	}
	if b.timer.Stop() {
		t.Error("the bar's timer still pending after the migrations ended")
	}

	slow := &lockedBuffer{}
	b = &migrationBar{w: slow, delay: time.Millisecond}
	b.report(1, 2, sqlstore.Migration{Version: 690, Name: "first"})
	b.report(2, 2, m)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(slow.String(), "0700_resources_by_type") {
		if time.Now().After(deadline) {
			t.Fatalf("no bar naming the running migration after 5 s: %q", slow.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(slow.String(), "1/2") {
		t.Errorf("bar does not count the migration done: %q", slow.String())
	}
	b.report(3, 2, sqlstore.Migration{})
	// A timer that fires late, after the end, draws nothing more.
	drawn := slow.String()
	b.show()
	if slow.String() != drawn {
		t.Errorf("a bar drawn after the end: %q", strings.TrimPrefix(slow.String(), drawn))
	}
}
