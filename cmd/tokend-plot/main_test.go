package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/bench"
)

func TestRunDrawsFromJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "bench.json")
	rep := &bench.Report{Results: []*bench.Result{{Engine: "sqlite", Nodes: 1, Scenario: "token", Status: "ok",
		LoadResult: bench.LoadResult{Requests: 10, Throughput: 100, Latency: bench.Latency{Count: 10, P50: 1e6, P90: 2e6, P99: 3e6}}}}}
	if err := bench.WriteJSON(in, rep); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if err := run([]string{"--in", in, "--out", filepath.Join(dir, "img")}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, f := range strings.Fields(out.String()) {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if n := len(strings.Fields(out.String())); n != 2 {
		t.Errorf("printed %d files: %q", n, out.String())
	}
}

func TestRunRefusesArguments(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	err := run([]string{"bench.json"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--in") {
		t.Fatalf("positional argument: %v", err)
	}
}
