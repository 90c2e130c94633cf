package playwright_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tokend-dev/tokend/playwright"
)

// fakeRunServer makes this test binary stand in for `playwright
// run-server` when the supervisor runs it: it checks the arguments it is
// given, listens where they say, announces it as run-server does and
// echoes WebSocket messages — or, as "fail", says why and exits.
const fakeRunServer = "TOKEND_TEST_FAKE_RUN_SERVER"

func TestMain(m *testing.M) {
	switch os.Getenv(fakeRunServer) {
	case "":
		os.Exit(m.Run())
	case "fail":
		fmt.Fprintln(os.Stderr, "Error: browserType.launch: boom")
		os.Exit(3)
	}
	args := strings.Join(os.Args[1:], " ")
	if !strings.HasPrefix(args, "run-server --host 127.0.0.1 --port 0") {
		fmt.Fprintln(os.Stderr, "unexpected arguments:", args)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("Listening on ws://%s/\n", ln.Addr())
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	}))
}

func startFake(t *testing.T, mode string, reg prometheus.Registerer) (*playwright.BrowserServer, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeRunServer, mode)
	return playwright.StartBrowserServer(context.Background(), playwright.BrowserServerConfig{
		CLI: self, Args: []string{"--unsafe"}, StartTimeout: 10 * time.Second,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, StopTimeout: 2 * time.Second, Registerer: reg,
	})
}

func echoOnce(t *testing.T, s *playwright.BrowserServer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.URL().String(), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", s.URL(), err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "ping" {
		t.Fatalf("echo %q %v", got, err)
	}
}

// TestBrowserServerSupervised: the server listens on loopback once
// started, comes back when it is killed, and is gone after Close.
func TestBrowserServerSupervised(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := startFake(t, "serve", reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if u := s.URL(); u == nil || !strings.HasPrefix(u.String(), "ws://127.0.0.1:") {
		t.Fatalf("listening at %v", u)
	}
	echoOnce(t, s)
	gauge := func() float64 {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "tokend_playwright_browser_server_up" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		return -1
	}
	if v := gauge(); v != 1 {
		t.Errorf("up %v", v)
	}

	first := s.PID()
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.PID() == 0 || s.PID() == first {
		if time.Now().After(deadline) {
			t.Fatalf("not restarted within 10s (pid %d)", s.PID())
		}
		time.Sleep(10 * time.Millisecond)
	}
	echoOnce(t, s)
	if got := testutil.CollectAndCount(reg, "tokend_playwright_browser_server_events_total"); got != 2 {
		t.Errorf("%d event series, want started and exited", got)
	}

	second := s.PID()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != nil || gauge() != 0 {
		t.Errorf("after Close: %v, up %v", s.URL(), gauge())
	}
	if err := syscall.Kill(second, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the server (pid %d) outlived Close: %v", second, err)
	}
}

// TestBrowserServerStartFails: a server that exits before it listens
// fails the start, with what it said.
func TestBrowserServerStartFails(t *testing.T) {
	_, err := startFake(t, "fail", nil)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("start: %v", err)
	}
}

func TestFindPlaywrightCLI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	root := t.TempDir()
	bin := filepath.Join(root, "node_modules", ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "tests", "e2e")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := playwright.FindPlaywrightCLI(deep); err == nil || !strings.Contains(err.Error(), "--playwright-cli") {
		t.Fatalf("with none installed: %v", err)
	}
	cli := filepath.Join(bin, "playwright")
	if err := os.WriteFile(cli, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := playwright.FindPlaywrightCLI(deep); err != nil || got != cli {
		t.Fatalf("found %q %v, want %q", got, err, cli)
	}
}
