package browsertest

import (
	"context"
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// listenConsole records what the tab's console shows: the browser's own
// messages (a Content-Security-Policy violation, a blocked frame, a refused
// mixed-content form), page console calls and uncaught exceptions, one line
// each as "level source: text".
func listenConsole(ctx context.Context, rec *record[string]) error {
	return chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			rec.add(fmt.Sprintf("%s %s: %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text))
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, strings.Trim(string(a.Value), `"`))
				} else {
					parts = append(parts, a.Description)
				}
			}
			rec.add(fmt.Sprintf("%s console-api: %s", ev.Type, strings.Join(parts, " ")))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			rec.add("error exception: " + text)
		}
	})
}

// Console returns every console line so far ("level source: text"), for
// asserting that a page ran clean (no CSP violation).
func (b *Browser) Console() []string {
	return b.console.list()
}

// WaitConsole waits for the next console line containing substr and
// returns it: how a test sees the browser refuse something without a
// navigation, such as frame-ancestors 'none' blocking a frame.
func (b *Browser) WaitConsole(substr string) string {
	b.t.Helper()
	ctx, cancel := b.actionContext()
	defer cancel()
	line, err := b.console.wait(ctx, func(s string) bool { return strings.Contains(s, substr) })
	if err != nil {
		b.fatalf("no console line containing %q: %v", substr, timeoutError(err))
	}
	return line
}

// consoleTail is the end of the console, for failure messages.
func (b *Browser) consoleTail() string {
	lines := b.console.list()
	if len(lines) == 0 {
		return ""
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "\n  console:\n    " + strings.Join(lines, "\n    ")
}
