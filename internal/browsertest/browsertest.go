// Package browsertest drives a real headless Chromium from tests, for the
// flows that only a browser proves: the server-rendered sign-in form, the
// device-code verification page, redirects back to a localhost redirect URI
// and form_post responses.
//
// It starts the browser found on the machine (TOKEND_CHROMIUM, else
// chromium, chromium-browser, google-chrome or google-chrome-stable on PATH;
// CI installs Debian's chromium) through chromedp, one process per Browser.
// Without a browser, tests skip with a message, unless
// TOKEND_REQUIRE_CHROMIUM=1 (CI), where a silent skip would hide the only
// end-to-end proof of the interactive flows.
//
// The normal pattern: the server under test redirects to a redirect URI that
// the test itself answers (NewCallback, an httptest listener on loopback),
// and the test reads what arrived there (Callback.Wait) or where the browser
// was sent (Browser.WaitURLPrefix, which also sees a fragment).
//
//	b := browsertest.New(t, browsertest.TrustCert(serverCertDER))
//	cb := browsertest.NewCallback(t)
//	b.Navigate(authorizeURL(cb.URL))
//	b.Fill(`input[name="username"]`, "alice@contoso.com")
//	b.Fill(`input[name="password"]`, password)
//	b.Click(`button[type="submit"]`)
//	got := b.WaitCallback(cb)   // the request the redirect URI received
//	code := got.Query.Get("code")
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokend-dev/tokend/internal/azuretest"
)

// DefaultTimeout bounds all the browser work of one Browser: starting it,
// every action and every wait. The machine running the tests is often shared
// and slow, so it is generous; a test that needs more sets Timeout.
const DefaultTimeout = 90 * time.Second

// candidates are the executable names tried, in order, when TOKEND_CHROMIUM
// is unset.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Option configures New.
type Option func(*config)

type config struct {
	spki      []string
	timeout   time.Duration
	noScript  bool
	configErr error
}

// Timeout replaces DefaultTimeout for this Browser.
func Timeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// NoJavaScript turns off page scripts (Emulation.setScriptExecutionDisabled),
// as for a user who disabled JavaScript: the sign-in and device-code pages
// must work without it. The harness's own DOM queries still run.
func NoJavaScript() Option {
	return func(c *config) { c.noScript = true }
}

// Browser is one headless Chromium process with one tab. Its methods fail
// the test (t.Fatal) on error, so call them from the test's goroutine.
type Browser struct {
	t        testing.TB
	ctx      context.Context // the tab's context; lives until cleanup
	deadline time.Time
	output   *azuretest.SyncBuffer // the browser's stderr, shown when something fails
	nav      *record[Request]
	console  *record[string]
}

// Executable returns the browser New would start, or an error saying what
// was looked for.
func Executable() (string, error) {
	if p := os.Getenv("TOKEND_CHROMIUM"); p != "" {
		full, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("TOKEND_CHROMIUM=%s: %w", p, err)
		}
		return full, nil
	}
	for _, name := range candidates {
		if full, err := exec.LookPath(name); err == nil {
			return full, nil
		}
	}
	return "", fmt.Errorf("no Chromium on PATH (tried %s; set TOKEND_CHROMIUM to a path)", strings.Join(candidates, ", "))
}

// New starts a headless Chromium for t, closed by t.Cleanup. It skips t when
// no browser is installed, unless TOKEND_REQUIRE_CHROMIUM=1; a browser that
// is found but fails to start always fails t.
func New(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	cfg := config{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.configErr != nil {
		t.Fatalf("browsertest: %v", cfg.configErr)
	}
	path, err := Executable()
	if err != nil {
		// An explicit TOKEND_CHROMIUM that does not resolve is a broken
		// setup, not an absent browser.
		if os.Getenv("TOKEND_REQUIRE_CHROMIUM") == "1" || os.Getenv("TOKEND_CHROMIUM") != "" {
			t.Fatalf("browsertest: %v", err)
		}
		t.Skipf("browsertest: %v (set TOKEND_REQUIRE_CHROMIUM=1 to fail instead)", err)
	}

	out := &azuretest.SyncBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(path, cfg, out)...)
	// chromedp's own complaints (a write to a browser that just exited)
	// join the browser's output, shown only when the test fails.
	logf := func(format string, args ...any) { fmt.Fprintf(out, "chromedp: "+format+"\n", args...) }
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	b := &Browser{t: t, ctx: tabCtx, deadline: time.Now().Add(cfg.timeout), output: out, nav: newRecord[Request](), console: newRecord[string]()}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the process to exit and its profile to be removed
	})

	// The first Run starts the process; per chromedp's rules its context
	// carries no deadline (that would end the browser), so the start is
	// bounded by a watchdog instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tabCtx, b.setup(cfg)) }()
	select {
	case err = <-started:
	case <-time.After(cfg.timeout):
		cancelTab()
		err = fmt.Errorf("not started within %s", cfg.timeout)
	}
	if err != nil {
		t.Fatalf("browsertest: start %s: %v%s", path, err, b.outputTail())
	}
	return b
}

// setup runs once the tab exists: it starts recording document requests
// and the console, and, under NoJavaScript, turns page scripts off.
func (b *Browser) setup(cfg config) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if err := listenNavigations(ctx, t, b.nav); err != nil {
			return err
		}
		if err := listenConsole(ctx, b.console); err != nil {
			return err
		}
		if cfg.noScript {
			return disableScripts(ctx, t)
		}
		return nil
	})
}

// allocatorOptions is chromedp's default flag set (Puppeteer's) with the
// choices that matter here; see docs/architecture.md (internal/browsertest).
func allocatorOptions(path string, cfg config, out *azuretest.SyncBuffer) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		// The new headless mode is the real browser without a window
		// (the old one was a separate implementation, now shipped apart as
		// chrome-headless-shell).
		chromedp.Flag("headless", "new"),
		chromedp.CombinedOutput(out),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start as root with its sandbox on ("Running
		// as root without --no-sandbox is not supported"), and CI runs as
		// root. Only then is the sandbox turned off; it protects against
		// hostile pages, and these tests load only their own.
		opts = append(opts, chromedp.NoSandbox)
	}
	if len(cfg.spki) > 0 {
		// Chromium ignores SSL_CERT_FILE (on Linux it trusts the NSS
		// database in the profile). Instead of building an NSS database
		// with certutil, accept exactly the given public keys: errors
		// are ignored only for a chain holding one of them, so every
		// other certificate is still verified (a pinned trust). Chromium
		// honours this flag only with --user-data-dir, which chromedp
		// always passes (a fresh temporary profile).
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(cfg.spki, ",")))
	}
	return opts
}

// For returns the same browser reporting failures to t: for subtests that
// walk several flows in one browser (starting one costs seconds). The
// subtests must run one at a time, as they share the tab.
func (b *Browser) For(t testing.TB) *Browser {
	c := *b
	c.t = t
	return &c
}

// actionContext bounds one action by the Browser's deadline.
func (b *Browser) actionContext() (context.Context, context.CancelFunc) {
	return context.WithDeadline(b.ctx, b.deadline)
}

// fatalf fails the test with what the browser showed and printed.
func (b *Browser) fatalf(format string, args ...any) {
	b.t.Helper()
	b.t.Fatalf("browsertest: "+format+"%s%s%s", append(args, b.pageState(), b.consoleTail(), b.outputTail())...)
}

// pageState describes the current page briefly, for failure messages.
func (b *Browser) pageState() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return ""
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len(text) > 500 {
		text = text[:500] + "…"
	}
	return fmt.Sprintf("\n  page: %s\n  text: %q", loc, text)
}

// outputTail is the end of the browser's own log, for failure messages.
func (b *Browser) outputTail() string {
	s := b.output.String()
	if s == "" {
		return ""
	}
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return "\n  chromium output:\n" + s
}

// errTimeout is returned by waits that run out of the Browser's time.
var errTimeout = errors.New("timed out")
