package e2e

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBrowsersThroughTokendManaged: tokend runs the browser server itself
// (--playwright-browsers managed, playwright-core's CLI from
// e2e/browsers), a playwright-core client opens a page through the
// gateway, the server is killed and comes back, and it ends with tokend.
func TestBrowsersThroughTokendManaged(t *testing.T) {
	nodeDir, chromium := browsersPrereqs(t)
	t.Parallel()
	tk := Start(t, "--playwright-browsers", "managed",
		"--playwright-cli", filepath.Join(nodeDir, "node_modules", ".bin", "playwright-core"),
		// connect.js names Debian's chromium in its launch options.
		"--playwright-server-args=--unsafe",
		"--metrics-addr", "127.0.0.1:0")
	metricsURL := regexp.MustCompile(`metrics:\s+(http://\S+/metrics)`).FindStringSubmatch(tk.Output())
	if metricsURL == nil || !strings.Contains(tk.Output(), "(playwright run-server, managed)") {
		t.Fatalf("serve did not say where its metrics and browsers are:\n%s", tk.Output())
	}
	metric := func(name string) float64 {
		resp, err := http.Get(metricsURL[1])
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	pages := pageServer(t)
	ws := createBrowsersWorkspace(t, tk, "managed", "Enabled")
	_, jwt := mintWorkspaceToken(t, tk, ws, "e2e-managed")
	ca := filepath.Join(tk.DataDir, "ca.pem")
	openPage := func(t *testing.T) {
		t.Helper()
		s := connectBrowser(t, nodeDir, chromium, ca, browsersEndpoint(tk, ws), jwt, pages.URL, false)
		if ev := s.next(t); ev["title"] != "tokend e2e page" {
			t.Fatalf("got %v", ev)
		}
	}

	if v := metric("tokend_playwright_browser_server_up"); v != 1 {
		t.Fatalf("browser server up %v", v)
	}
	servers := childrenOf(t, tk.cmd.Process.Pid)
	if len(servers) != 1 {
		t.Fatalf("tokend runs %d processes, want the browser server", len(servers))
	}
	t.Run("a page through the managed server", openPage)

	t.Run("the server killed comes back", func(t *testing.T) {
		if err := syscall.Kill(servers[0], syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for metric(`tokend_playwright_browser_server_events_total{event="exited"}`) != 1 ||
			metric("tokend_playwright_browser_server_up") != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("not back within 60s:\n%s", tk.Output())
			}
			time.Sleep(50 * time.Millisecond)
		}
		now := childrenOf(t, tk.cmd.Process.Pid)
		if len(now) != 1 || now[0] == servers[0] {
			t.Fatalf("browser server processes %v, before %v", now, servers)
		}
		servers = now
		openPage(t)
	})

	t.Run("it ends with tokend", func(t *testing.T) {
		tk.Stop()
		if err := syscall.Kill(servers[0], 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("the browser server (pid %d) outlived tokend: %v", servers[0], err)
		}
	})
}

// childrenOf lists the processes whose parent is pid (Linux's /proc).
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := os.Open(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		line, _ := bufio.NewReader(f).ReadString('\n')
		_ = f.Close()
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := line[strings.LastIndexByte(line, ')')+1:]
		fields := strings.Fields(rest)
		if len(fields) >= 2 && fields[0] != "Z" && fields[1] == strconv.Itoa(pid) {
			kids = append(kids, child)
		}
	}
	return kids
}
