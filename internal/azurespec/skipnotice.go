package azurespec

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// skipNotice is the one line a person running `go test ./...` in a terminal
// sees when the spec-validation tests skip.
const skipNotice = "tokend: spec-validation tests skipped: " + EnvVar + " is not set; " +
	"README.md, \"Official specs\", lists the files and how to point it at them\n"

// announceSkip tells the person at the terminal, once per `go test` run,
// that spec validations were skipped. In package-list mode `go test`
// discards everything a passing package prints (t.Skip's reason, stderr,
// TestMain's output), so the only channel left is the terminal itself;
// without one (CI, a pipe) there is nobody to tell and nothing is written.
// The test binaries of one run share a parent, the go command, whose pid
// names a marker file: the first binary to skip writes the line, the rest
// find the marker.
func announceSkip() {
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer tty.Close()
	marker := filepath.Join(os.TempDir(), fmt.Sprintf("tokend-specs-skipped-%d", os.Getppid()))
	if firstInRun(marker, time.Now()) {
		_, _ = io.WriteString(tty, skipNotice)
	}
}

// firstInRun creates marker and reports whether this call made it. A
// marker older than an hour belongs to an earlier run whose go command's
// pid was reused, and is replaced.
func firstInRun(marker string, now time.Time) bool {
	if st, err := os.Stat(marker); err == nil && now.Sub(st.ModTime()) > time.Hour {
		_ = os.Remove(marker)
	}
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false
	}
	return f.Close() == nil
}
