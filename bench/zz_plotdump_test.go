package bench

import (
	"os"
	"testing"
)

func TestDumpPlots(t *testing.T) {
	if os.Getenv("DUMP_PLOTS") == "" {
		t.Skip()
	}
	r := sampleReport()
	if _, err := Plot(r, "/tmp/plotcheck"); err != nil {
		t.Fatal(err)
	}
	_ = WriteTable(os.Stdout, r)
}
