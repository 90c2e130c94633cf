package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// openTestFile opens a Log writing only to a file in a temp dir.
func openTestFile(t testing.TB, maxSize int64) (*Log, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	return openFileAt(t, path, maxSize), path
}

func openFileAt(t testing.TB, path string, maxSize int64) *Log {
	t.Helper()
	l, err := Open(context.Background(), Options{Node: "n1", File: path, MaxSize: maxSize, Hasher: NewHasher([]byte("salt"))})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// recordN records n events, numbered from first.
func recordN(t testing.TB, l *Log, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		ev := &Event{RequestID: fmt.Sprintf("req-%d", i), Principal: "p", Action: ActionTokenIssue, Result: Success}
		if err := l.Record(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

// verifyFiles verifies files in order, as `tokend audit verify` does.
func verifyFiles(t testing.TB, files ...string) Verified {
	t.Helper()
	var v Verifier
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		v.File(name, f)
		f.Close()
	}
	return v.Result()
}
