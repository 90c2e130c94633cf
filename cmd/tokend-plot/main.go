// Command tokend-plot draws PNG charts (throughput, latency percentiles)
// from the JSON that `tokend bench --json` writes:
//
//	go run ./cmd/tokend-plot --in bench.json --out docs/img
//
// It is a command of its own so that the plotting, font and PDF packages
// it links stay out of the tokend server binary (a third of its size and
// most of its first build, before).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tokend-dev/tokend/bench"
	"github.com/tokend-dev/tokend/bench/benchplot"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tokend-plot:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokend-plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "bench.json", "results written by `tokend bench --json FILE`")
	out := fs.String("out", ".", "directory for the PNG files")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: tokend-plot [--in bench.json] [--out DIR]\n\nDraws bench-throughput.png and bench-latency.png from a `tokend bench --json` result.\n\nExample:\n  tokend bench --scenarios token --json bench.json && go run ./cmd/tokend-plot --in bench.json --out docs/img\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only: --in, --out)", fs.Arg(0))
	}
	rep, err := bench.ReadJSON(*in)
	if err != nil {
		return err
	}
	files, err := benchplot.Plot(rep, *out)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}
