package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// defaultGCPercent is serve's garbage-collection target. tokend's live heap
// is small (tens of MiB) while a busy node allocates hundreds of MB a
// second, mostly response bodies; at Go's default of 100 the collector ran
// every few milliseconds and took a third of the CPU of an APIM list
// (profile in docs/performance.md). 400 lets the heap reach five times the
// live data between collections; GOMEMLIMIT, when set, still caps it.
const defaultGCPercent = 400

// applyGCPercent sets the collector's target unless GOGC is set, which
// always wins, as it does for any Go program.
func applyGCPercent(percent int, log *slog.Logger) {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(percent)
	log.Debug("garbage collection target", "percent", percent)
}
