package bench

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tokend-dev/tokend/localca"
)

// Bootstrap is <data>/bootstrap.json, written by tokend on first start: what
// a new user needs to sign in.
type Bootstrap struct {
	TenantID       string `json:"tenantId"`
	SubscriptionID string `json:"subscriptionId"`
	ClientID       string `json:"clientId"`
	ClientSecret   string `json:"clientSecret"`
	Authority      string `json:"authority"`
	ARMEndpoint    string `json:"armEndpoint"`
	CACertFile     string `json:"caCertFile"`
}

// Target is the tokend under test: one or more nodes behind one logical URL.
type Target struct {
	// BaseURL is what every request addresses (node 0's URL); the client
	// spreads requests over the nodes.
	BaseURL string
	Client  *http.Client
	Boot    Bootstrap
	// Local is true when bench started the nodes itself (so it can seed
	// storage directly and read their /proc).
	Local bool
	nodes []*node
	// Engine and Database say what the nodes run on.
	Engine    string
	Database  string
	MasterKey string
	workers   int
	spec      LocalSpec
}

// PprofAddr is node 0's profiling address ("" when profiling is off).
func (t *Target) PprofAddr() string {
	if len(t.nodes) == 0 {
		return ""
	}
	return t.nodes[0].pprofAddr
}

// freeLoopbackAddr finds a free loopback port for a listener another
// process will open (a small race, acceptable for an opt-in profiler).
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// PIDs are the server processes to measure (none for a remote target).
func (t *Target) PIDs() []int {
	var pids []int
	for _, n := range t.nodes {
		if n.cmd != nil && n.cmd.Process != nil {
			pids = append(pids, n.cmd.Process.Pid)
		}
	}
	return pids
}

// node is one tokend child process.
type node struct {
	exe     string
	dataDir string
	addr    string // host:port, fixed after the first start so restarts keep it
	url     string
	args    []string
	env     []string
	cmd     *exec.Cmd
	out     *tailBuffer
	exited  chan struct{}
	// pprofAddr is the node's loopback profiling address ("" when off).
	pprofAddr string
}

// EngineSQLiteNormal is SQLite with synchronous=NORMAL (commits survive a
// crash of the process, not a power cut), next to "sqlite" (FULL, the
// default) to measure what durability against power loss costs.
const EngineSQLiteNormal = "sqlite-normal"

// EngineSQLiteBare is SQLite with every per-request guard off (no rate
// limits, no audit log), and EngineSQLiteHardened SQLite with both on (the
// default rate limits and an fsynced audit log in the node's data
// directory): run beside "sqlite" (rate limits on, no audit log), they
// measure what the guards cost in one run.
const (
	EngineSQLiteBare     = "sqlite-bare"
	EngineSQLiteHardened = "sqlite-hardened"
)

// SQLiteEngines are the engine names that run SQLite in the data directory.
var SQLiteEngines = []string{"sqlite", EngineSQLiteNormal, EngineSQLiteBare, EngineSQLiteHardened}

// LocalSpec says how to start a local cluster.
type LocalSpec struct {
	Executable string
	Engine     string // "postgres" or one of SQLiteEngines
	// Database is the PostgreSQL URL (confined to a fresh schema); empty
	// for SQLite.
	Database string
	Nodes    int
	Workers  int
	// ExtraArgs go to every `tokend serve`.
	ExtraArgs []string
	// Pprof starts every node with a loopback --pprof-addr.
	Pprof bool
	Log   func(format string, args ...any)
}

// StartLocal starts spec.Nodes tokend processes, each with its own data
// directory (its own local CA) and one shared database and key-encryption
// key, and waits until they are ready. Node 0 starts first and alone, so it
// alone initializes the database and writes bootstrap.json.
func StartLocal(ctx context.Context, spec LocalSpec) (*Target, error) {
	if spec.Nodes < 1 {
		spec.Nodes = 1
	}
	if spec.Nodes > 1 && spec.Database == "" {
		return nil, errors.New("several nodes need a shared PostgreSQL database")
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	t := &Target{Local: true, Engine: spec.Engine, Database: spec.Database,
		MasterKey: hex.EncodeToString(key), workers: spec.Workers}
	t.spec = spec
	if err := t.Grow(ctx, spec.Nodes); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// Grow starts nodes until the cluster has n, each with its own data
// directory (its own local CA) on the shared database and key, and
// rebuilds the client to spread requests over all of them. Node 0 starts
// first and alone, so it alone initializes the database and writes
// bootstrap.json.
func (t *Target) Grow(ctx context.Context, n int) error {
	spec := t.spec
	if n > 1 && spec.Database == "" {
		return errors.New("several nodes need a shared PostgreSQL database")
	}
	env := childEnv(t.MasterKey)
	for i := len(t.nodes); i < n; i++ {
		dir, err := os.MkdirTemp("", fmt.Sprintf("tokend-bench-%s-%d-", spec.Engine, i))
		if err != nil {
			return err
		}
		args := []string{"--access-log=false"}
		if spec.Database != "" {
			args = append(args, "--database", spec.Database)
		}
		if spec.Engine == EngineSQLiteNormal {
			// The data directory's usual file, opened with the opt-in for
			// speed: what synchronous=FULL (the default) costs is the
			// difference between this engine and "sqlite" in one run.
			db := filepath.ToSlash(filepath.Join(dir, "tokend.db"))
			args = append(args, "--database", "sqlite:///"+strings.TrimPrefix(db, "/")+"?synchronous=normal")
		}
		switch spec.Engine {
		case EngineSQLiteBare:
			args = append(args, "--rate-limits=off")
		case EngineSQLiteHardened:
			args = append(args, "--audit-log", filepath.Join(dir, "audit.jsonl"))
		}
		args = append(args, spec.ExtraArgs...)
		nd := &node{exe: spec.Executable, dataDir: dir, addr: "127.0.0.1:0", args: args, env: env}
		if spec.Pprof {
			if nd.pprofAddr, err = freeLoopbackAddr(); err != nil {
				return err
			}
			nd.args = append(nd.args, "--pprof-addr", nd.pprofAddr)
		}
		t.nodes = append(t.nodes, nd)
		if err := nd.start(ctx); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		if i == 0 {
			if err := t.readBootstrap(ctx); err != nil {
				return err
			}
		}
	}
	if t.Client != nil {
		t.Client.CloseIdleConnections()
	}
	return t.connect()
}

// childEnv is this process's environment without any TOKEND_ setting (a
// developer's TOKEND_DATABASE or TOKEND_PUBLIC_URL must not leak into the
// measured servers), plus the cluster's key and a quiet log level.
func childEnv(masterKey string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TOKEND_") {
			env = append(env, kv)
		}
	}
	return append(env, "TOKEND_MASTER_KEY="+masterKey, "TOKEND_LOG_LEVEL=warn")
}

// readBootstrap waits for node 0's bootstrap.json.
func (t *Target) readBootstrap(ctx context.Context) error {
	path := filepath.Join(t.nodes[0].dataDir, "bootstrap.json")
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if err := json.Unmarshal(b, &t.Boot); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if t.Boot.ClientID == "" || t.Boot.ClientSecret == "" || t.Boot.TenantID == "" {
				return fmt.Errorf("%s lacks tenantId, clientId or clientSecret", path)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("tokend wrote no %s (is the identity provider built in?)", path)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// connect builds the client: every node's CA trusted, requests addressed to
// node 0's URL and spread over the nodes.
func (t *Target) connect() error {
	roots := x509.NewCertPool()
	for _, n := range t.nodes {
		path := filepath.Join(n.dataDir, "ca.pem")
		pem, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read CA: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no certificate", path)
		}
	}
	var transports []*http.Transport
	for _, n := range t.nodes {
		transports = append(transports, newTransport(roots, n.addr, t.workers))
	}
	t.BaseURL = t.nodes[0].url
	t.Client = newHTTPClient(transports)
	return nil
}

// RemoteSpec names a running tokend and the credentials to use on it.
type RemoteSpec struct {
	URL    string
	CAFile string // PEM; empty trusts the system roots
	// TenantID, ClientID and ClientSecret sign in (client credentials);
	// the client needs Owner or Contributor on the subscription.
	TenantID, ClientID, ClientSecret string
	// SubscriptionID is where the bench resource group goes; empty picks
	// the first subscription the client sees.
	SubscriptionID string
	Workers        int
}

// Remote targets a running tokend: nothing is started, storage cannot be
// seeded directly and the server's CPU and memory cannot be read.
func Remote(spec RemoteSpec) (*Target, error) {
	u, err := url.Parse(strings.TrimRight(spec.URL, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--target %q: want https://host[:port]", spec.URL)
	}
	if spec.TenantID == "" || spec.ClientID == "" || spec.ClientSecret == "" {
		return nil, errors.New("a remote target needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET")
	}
	var roots *x509.CertPool
	if spec.CAFile != "" {
		if roots, err = localca.Pool(spec.CAFile); err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
	}
	addr := u.Host
	if u.Port() == "" {
		addr += ":443"
	}
	t := &Target{BaseURL: u.Scheme + "://" + u.Host, Engine: "remote", workers: spec.Workers,
		Boot: Bootstrap{TenantID: spec.TenantID, ClientID: spec.ClientID, ClientSecret: spec.ClientSecret,
			SubscriptionID: spec.SubscriptionID}}
	t.Client = newHTTPClient([]*http.Transport{newTransport(roots, addr, spec.Workers)})
	return t, nil
}

// Restart stops every node and starts it again on the same address and data
// directory (tokens issued before stay valid: same issuer URL, same keys).
func (t *Target) Restart(ctx context.Context) error {
	t.Stop()
	for i, n := range t.nodes {
		if err := n.start(ctx); err != nil {
			return fmt.Errorf("restart node %d: %w", i, err)
		}
	}
	t.Client.CloseIdleConnections()
	return nil
}

// Stop stops every node (gracefully, then by force).
func (t *Target) Stop() {
	var wg sync.WaitGroup
	for _, n := range t.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); n.stop() }()
	}
	wg.Wait()
}

// Close stops the nodes and removes their data directories.
func (t *Target) Close() {
	if t.Client != nil {
		t.Client.CloseIdleConnections()
	}
	t.Stop()
	for _, n := range t.nodes {
		_ = os.RemoveAll(n.dataDir)
	}
}

// DataDir is node 0's data directory.
func (t *Target) DataDir() string {
	if len(t.nodes) == 0 {
		return ""
	}
	return t.nodes[0].dataDir
}

// Output is the tail of every node's output, for error reports.
func (t *Target) Output() string {
	var b strings.Builder
	for i, n := range t.nodes {
		if n.out != nil {
			fmt.Fprintf(&b, "--- node %d (%s) ---\n%s\n", i, n.url, n.out.String())
		}
	}
	return b.String()
}

func (n *node) start(ctx context.Context) error {
	addrFile := filepath.Join(n.dataDir, "address")
	_ = os.Remove(addrFile)
	args := append([]string{"serve", "--data", n.dataDir, "--addr", n.addr}, n.args...)
	n.cmd = exec.Command(n.exe, args...)
	n.cmd.Env = n.env
	n.out = newTailBuffer(64 << 10)
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	n.cmd.SysProcAttr = childProcAttr()
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", n.exe, err)
	}
	n.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(n.cmd, n.exited)

	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			n.url = strings.TrimSpace(string(b))
			break
		}
		select {
		case <-n.exited:
			return fmt.Errorf("tokend exited during start:\n%s", n.out.String())
		case <-ctx.Done():
			n.stop()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.stop()
			return fmt.Errorf("tokend did not listen within 30s:\n%s", n.out.String())
		}
	}
	u, err := url.Parse(n.url)
	if err != nil || u.Scheme != "https" {
		n.stop()
		return fmt.Errorf("tokend listens on %q, want an https URL", n.url)
	}
	n.addr = u.Host
	return n.waitReady(ctx, deadline)
}

// waitReady polls /readyz until the node answers 200.
func (n *node) waitReady(ctx context.Context, deadline time.Time) error {
	pool, err := localca.Pool(filepath.Join(n.dataDir, "ca.pem"))
	if err != nil {
		n.stop()
		return err
	}
	tr := newTransport(pool, n.addr, 1)
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.url+"/readyz", nil)
		resp, err := c.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-n.exited:
			return fmt.Errorf("tokend exited during start:\n%s", n.out.String())
		case <-ctx.Done():
			n.stop()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.stop()
			return fmt.Errorf("tokend not ready within 30s (%v):\n%s", err, n.out.String())
		}
	}
}

// stop sends SIGTERM (graceful shutdown) and kills after 15s.
func (n *node) stop() {
	if n.cmd == nil || n.cmd.Process == nil || n.exited == nil {
		return
	}
	select {
	case <-n.exited:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(15 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// CLI runs a tokend subcommand against the cluster's storage (node 0's
// data directory, the shared database and key), as an operator would on a
// node; only a local target can.
func (t *Target) CLI(ctx context.Context, args ...string) ([]byte, error) {
	if !t.Local || len(t.nodes) == 0 {
		return nil, fmt.Errorf("%w: needs a local target (bench registers credentials through the tokend CLI)", ErrNotAvailable)
	}
	n := t.nodes[0]
	args = append(args, "--data", n.dataDir)
	if t.spec.Database != "" {
		args = append(args, "--database", t.spec.Database)
	}
	cmd := exec.CommandContext(ctx, n.exe, args...)
	cmd.Env = n.env
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		return nil, fmt.Errorf("tokend %s: %w: %s", strings.Join(args[:min(2, len(args))], " "), err, stderr)
	}
	return out, nil
}
