package browsertest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/internal/browsertest"
)

// outcomeTB records how New ends a test instead of ending it; everything
// else goes to the real test.
type outcomeTB struct {
	testing.TB
	skipped, failed string
}

func (o *outcomeTB) Skipf(format string, args ...any) {
	o.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (o *outcomeTB) Fatalf(format string, args ...any) {
	o.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestSkipOrFail: without a browser New skips, unless
// TOKEND_REQUIRE_CHROMIUM=1 or TOKEND_CHROMIUM names one that is not there;
// a browser that does not start always fails.
func TestSkipOrFail(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		name                string
		path, chromium, req string
		wantSkip, wantFail  string
	}{
		{"no browser: skip", empty, "", "", "no Chromium on PATH", ""},
		{"no browser, required: fail", empty, "", "1", "", "no Chromium on PATH"},
		{"TOKEND_CHROMIUM missing: fail", empty, "/nonexistent/chromium", "", "", "TOKEND_CHROMIUM=/nonexistent/chromium"},
		{"not a browser: fail", empty, "/bin/true", "", "", "start /bin/true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			t.Setenv("TOKEND_CHROMIUM", tc.chromium)
			t.Setenv("TOKEND_REQUIRE_CHROMIUM", tc.req)
			o := &outcomeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				browsertest.New(o, browsertest.Timeout(20*time.Second))
			}()
			<-done
			if !strings.Contains(o.skipped, tc.wantSkip) || (tc.wantSkip == "") != (o.skipped == "") {
				t.Errorf("skipped %q, want %q", o.skipped, tc.wantSkip)
			}
			if !strings.Contains(o.failed, tc.wantFail) || (tc.wantFail == "") != (o.failed == "") {
				t.Errorf("failed %q, want %q", o.failed, tc.wantFail)
			}
		})
	}
}
