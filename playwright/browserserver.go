package playwright

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The managed browser server (serve --playwright-browsers managed): tokend
// runs `playwright run-server` itself on a loopback port, waits until it
// says it listens, restarts it with backoff when it exits, and stops it
// (its whole process group) when tokend stops. The gateway proxies to
// whichever incarnation is listening; between two, sessions get 503 with
// Retry-After.

// BrowserServerConfig configures a managed browser server.
type BrowserServerConfig struct {
	// CLI is the Playwright command line tool: an executable
	// (node_modules/.bin/playwright, playwright on PATH) or a cli.js, run
	// with node. Empty: FindPlaywrightCLI.
	CLI string
	// Args are more arguments for run-server (--unsafe, --max-clients N).
	Args []string
	// Dir is the server's working directory ("": tokend's).
	Dir string
	// StartTimeout bounds a start, from exec to "Listening on" (0: 60s).
	StartTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before a restart, doubled
	// after each quick failure (0: 500ms and 30s).
	MinBackoff, MaxBackoff time.Duration
	// StopTimeout is how long a stop waits after SIGTERM before SIGKILL
	// (0: 5s).
	StopTimeout time.Duration
	Logger      *slog.Logger
	// Registerer receives the server's metrics (nil: not exported).
	Registerer prometheus.Registerer
}

// BrowserServer is a supervised `playwright run-server`.
type BrowserServer struct {
	cfg     BrowserServerConfig
	command []string
	log     *slog.Logger
	up      prometheus.Gauge
	starts  *prometheus.CounterVec

	mu  sync.Mutex
	url *url.URL // the listening incarnation's; nil between two
	pid int

	stop context.CancelFunc
	done chan struct{}
}

// stableRun is how long an incarnation must have lived for the next
// restart to start from MinBackoff again.
const stableRun = time.Minute

// listeningLine is run-server's announcement (playwright-core 1.x:
// "Listening on ws://127.0.0.1:PORT/").
var listeningLine = regexp.MustCompile(`Listening on (ws://\S+)`)

// FindPlaywrightCLI looks for the Playwright CLI where npm puts it:
// node_modules/.bin/playwright (or playwright-core) under dir or any of
// its parents, then playwright on PATH.
func FindPlaywrightCLI(dir string) (string, error) {
	if dir == "" {
		dir, _ = os.Getwd()
	}
	for d := dir; ; {
		for _, name := range []string{"playwright", "playwright-core"} {
			p := filepath.Join(d, "node_modules", ".bin", name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if p, err := exec.LookPath("playwright"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("no Playwright CLI: none in node_modules/.bin under %s nor on PATH; install it (npm install playwright-core) or name it with --playwright-cli", dir)
}

// commandFor is how the CLI is run: a .js file through node.
func commandFor(cli string) ([]string, error) {
	if strings.HasSuffix(cli, ".js") || strings.HasSuffix(cli, ".mjs") || strings.HasSuffix(cli, ".cjs") {
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, fmt.Errorf("run %s: no node on PATH: %w", cli, err)
		}
		return []string{node, cli}, nil
	}
	p, err := exec.LookPath(cli)
	if err != nil {
		return nil, fmt.Errorf("Playwright CLI %s: %w", cli, err)
	}
	return []string{p}, nil
}

// StartBrowserServer starts run-server and waits until it listens; after
// that it is kept running until ctx ends or Close is called. A first
// start that fails is an error: the deployment is misconfigured.
func StartBrowserServer(ctx context.Context, cfg BrowserServerConfig) (*BrowserServer, error) {
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = time.Minute
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cli := cfg.CLI
	if cli == "" {
		var err error
		if cli, err = FindPlaywrightCLI(cfg.Dir); err != nil {
			return nil, err
		}
	}
	command, err := commandFor(cli)
	if err != nil {
		return nil, err
	}
	s := &BrowserServer{cfg: cfg, command: command, log: cfg.Logger.With("component", "browser-server"), done: make(chan struct{})}
	if err := s.newMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	ctx, s.stop = context.WithCancel(ctx)
	first, err := s.start(ctx)
	if err != nil {
		s.stop()
		return nil, err
	}
	go s.supervise(ctx, first)
	return s, nil
}

// URL is the listening server's WebSocket URL, nil while it is down.
func (s *BrowserServer) URL() *url.URL {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// PID is the listening server's process id, 0 while it is down.
func (s *BrowserServer) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pid
}

// Close stops the server and waits until it has exited.
func (s *BrowserServer) Close() error {
	s.stop()
	<-s.done
	return nil
}

// incarnation is one run of run-server.
type incarnation struct {
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{}
	err     error         // Wait's, once exited is closed
	tail    *lastLines    // its recent output, for the log when it fails
	url     chan *url.URL // "Listening on", once
}

// start runs one incarnation and waits until it listens.
func (s *BrowserServer) start(ctx context.Context) (*incarnation, error) {
	args := append(append(append([]string(nil), s.command[1:]...), "run-server", "--host", "127.0.0.1", "--port", "0"), s.cfg.Args...)
	cmd := exec.Command(s.command[0], args...)
	cmd.Dir = s.cfg.Dir
	setProcessGroup(cmd)
	inc := &incarnation{cmd: cmd, exited: make(chan struct{}), tail: &lastLines{max: 20}, url: make(chan *url.URL, 1)}
	out := &lineLog{log: s.log, stream: "stdout", tail: inc.tail, onLine: func(line string) {
		if m := listeningLine.FindStringSubmatch(line); m != nil {
			if u, err := url.Parse(m[1]); err == nil && isLoopback(u) {
				select {
				case inc.url <- u:
				default:
				}
			}
		}
	}}
	cmd.Stdout, cmd.Stderr = out, &lineLog{log: s.log, stream: "stderr", tail: inc.tail}
	// The browsers it launches may hold its output open after it exits.
	cmd.WaitDelay = time.Second
	s.starts.WithLabelValues("started").Inc()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s run-server: %w", strings.Join(s.command, " "), err)
	}
	inc.started = time.Now()
	go func() {
		inc.err = cmd.Wait()
		out.flush()
		close(inc.exited)
	}()
	timer := time.NewTimer(s.cfg.StartTimeout)
	defer timer.Stop()
	select {
	case u := <-inc.url:
		s.mu.Lock()
		s.url, s.pid = u, cmd.Process.Pid
		s.mu.Unlock()
		s.up.Set(1)
		s.log.Info("browser server listening", "url", u.String(), "pid", cmd.Process.Pid)
		return inc, nil
	case <-inc.exited:
		return nil, fmt.Errorf("playwright run-server exited before listening (%v): %s", inc.err, inc.tail)
	case <-timer.C:
		s.kill(inc)
		return nil, fmt.Errorf("playwright run-server did not say it listens within %s: %s", s.cfg.StartTimeout, inc.tail)
	case <-ctx.Done():
		s.kill(inc)
		return nil, ctx.Err()
	}
}

// supervise waits for the running incarnation to exit and starts the
// next, with backoff, until ctx ends; then it stops the one running.
func (s *BrowserServer) supervise(ctx context.Context, inc *incarnation) {
	defer close(s.done)
	backoff := s.cfg.MinBackoff
	for {
		select {
		case <-ctx.Done():
			s.kill(inc)
			s.down()
			return
		case <-inc.exited:
		}
		s.down()
		s.starts.WithLabelValues("exited").Inc()
		if time.Since(inc.started) >= stableRun {
			backoff = s.cfg.MinBackoff
		}
		s.log.Warn("browser server exited; restarting", "err", fmt.Sprint(inc.err), "after", backoff.String(), "output", inc.tail.String())
		for inc = nil; inc == nil; {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, s.cfg.MaxBackoff)
			next, err := s.start(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.starts.WithLabelValues("failed").Inc()
				s.log.Warn("browser server did not start; retrying", "err", err.Error(), "after", backoff.String())
				continue
			}
			inc = next
		}
	}
}

func (s *BrowserServer) down() {
	s.mu.Lock()
	s.url, s.pid = nil, 0
	s.mu.Unlock()
	s.up.Set(0)
}

// kill stops an incarnation: SIGTERM to its process group (npx and the
// browsers it launched included), SIGKILL after StopTimeout.
func (s *BrowserServer) kill(inc *incarnation) {
	select {
	case <-inc.exited:
		return
	default:
	}
	signalGroup(inc.cmd, false)
	select {
	case <-inc.exited:
	case <-time.After(s.cfg.StopTimeout):
		signalGroup(inc.cmd, true)
		<-inc.exited
	}
}

func isLoopback(u *url.URL) bool {
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

func (s *BrowserServer) newMetrics(reg prometheus.Registerer) error {
	s.up = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tokend_playwright_browser_server_up",
		Help: "1 while the managed browser server (playwright run-server) listens, 0 while it is down or restarting.",
	})
	s.starts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tokend_playwright_browser_server_events_total",
		Help: "The managed browser server's starts (started), exits (exited) and starts that did not reach listening (failed).",
	}, []string{"event"})
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{s.up, s.starts} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register browser server metrics: %w", err)
		}
	}
	return nil
}

// lineLog logs a child's output line by line at debug, keeps the last
// lines for the warning when it fails, and shows each line to onLine.
type lineLog struct {
	log    *slog.Logger
	stream string
	tail   *lastLines
	onLine func(string)

	mu  sync.Mutex
	buf []byte
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.line(string(bytes.TrimRight(l.buf[:i], "\r")))
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64<<10 { // a line without end: log what there is
		l.line(string(l.buf))
		l.buf = l.buf[:0]
	}
	return len(p), nil
}

func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.line(string(l.buf))
		l.buf = nil
	}
}

func (l *lineLog) line(s string) {
	l.log.Debug("browser server output", "stream", l.stream, "line", s)
	l.tail.add(s)
	if l.onLine != nil {
		l.onLine(s)
	}
}

// lastLines keeps the last max lines written.
type lastLines struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *lastLines) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, s)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *lastLines) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return "(no output)"
	}
	return strings.Join(t.lines, " | ")
}
