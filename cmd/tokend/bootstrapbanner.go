package main

import (
	"fmt"
	"io"
	"os"

	"github.com/tokend-dev/tokend/identity"
	"golang.org/x/term"
)

// printBootstrap announces a bootstrap client created on this start. The
// secret is printed, never logged, and only to a terminal: a redirected
// stdout ends up in service logs, CI output and container log stores that
// outlive the secret's owner's attention. Otherwise the banner names the
// file (mode 0600) that holds it.
func printBootstrap(out io.Writer, boot *identity.Bootstrap, file string, fixed bool) {
	fmt.Fprintf(out, "bootstrap client id:     %s\n", boot.Client.ID)
	switch {
	case fixed:
		fmt.Fprintln(out, "bootstrap client secret: the one given (--bootstrap-client-secret)")
	case isTerminal(out) && file != "":
		fmt.Fprintf(out, "bootstrap client secret: %s   (shown once; also in %s)\n", boot.Secret, file)
	case isTerminal(out):
		fmt.Fprintf(out, "bootstrap client secret: %s   (shown once)\n", boot.Secret)
	case file != "":
		fmt.Fprintf(out, "bootstrap client secret: in %s (mode 0600; not printed: stdout is not a terminal)\n", file)
	default:
		fmt.Fprintln(out, "bootstrap client secret: not printed (stdout is not a terminal): give --bootstrap-out FILE, or fix it in advance with TOKEND_BOOTSTRAP_CLIENT_SECRET")
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
