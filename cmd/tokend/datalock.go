package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// serveLockFile is held (an advisory lock) by the `tokend serve` using a
// data directory, and names its process.
const serveLockFile = "serve.lock"

// lockDataDir refuses a second `tokend serve` on the same data directory:
// it would rewrite the address and bootstrap files under the first one's
// clients. The CLI's other commands share the directory freely; the lock
// goes with the process, so a killed server leaves nothing to clean up.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, serveLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if held {
		owner, _ := os.ReadFile(path)
		_ = f.Close()
		return nil, fmt.Errorf("another tokend serve (%s) is using the data directory %s: stop it, or give this one its own --data directory (or --in-memory)", describeOwner(string(owner)), dir)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d\n", os.Getpid())), 0)
	return func() { _ = f.Close() }, nil
}

// describeOwner renders the lock file's "pid N" line for the message.
func describeOwner(content string) string {
	pid, ok := strings.CutPrefix(strings.TrimSpace(content), "pid ")
	if _, err := strconv.Atoi(pid); !ok || err != nil {
		return "process unknown"
	}
	return "pid " + pid
}
