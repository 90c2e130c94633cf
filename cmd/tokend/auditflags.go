package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
	"github.com/tokend-dev/tokend/audit"
)

// auditFlags configure the audit log (serve).
type auditFlags struct {
	path    string
	maxSize int64
	fsync   bool
	db      bool
	node    string
}

func addAuditFlags(fl *pflag.FlagSet, f *auditFlags) {
	fl.StringVar(&f.path, "audit-log", "", "write the audit log (docs/audit.md) to this file, or to stdout with -; requests whose event cannot be written fail with 503 [TOKEND_AUDIT_LOG]")
	fl.Int64Var(&f.maxSize, "audit-log-max-size", 100<<20, "rotate the audit log file once it reaches this many bytes (0: never) [TOKEND_AUDIT_LOG_MAX_SIZE]")
	fl.BoolVar(&f.fsync, "audit-log-fsync", true, "fsync the audit log file before each response it records (group-committed); false leaves flushing to the OS: events survive a crash of tokend, not of the machine [TOKEND_AUDIT_LOG_FSYNC]")
	fl.BoolVar(&f.db, "audit-db", false, "also write the audit log into the database (audit_events; read with tokend audit list) [TOKEND_AUDIT_DB]")
	fl.StringVar(&f.node, "audit-node", "", "name of this node's audit chain, unique among running nodes (default: host name and a random suffix, a new database chain per start) [TOKEND_AUDIT_NODE]")
}

// open starts the audit log the flags ask for (nil when none), and
// returns where serve's banner should go: stderr when the log has stdout.
func (f *auditFlags) open(ctx context.Context, a *workspace, stdout io.Writer) (*audit.Log, io.Writer, error) {
	if f.path == "" && !f.db {
		return nil, stdout, nil
	}
	if f.maxSize < 0 {
		return nil, nil, errors.New("--audit-log-max-size must not be negative")
	}
	node := f.node
	if node == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "node"
		}
		var b [4]byte
		_, _ = rand.Read(b[:])
		node = host + "-" + hex.EncodeToString(b[:])
	}
	hasher, err := audit.LoadHasher(ctx, a.store, a.box)
	if err != nil {
		return nil, nil, err
	}
	o := audit.Options{Node: node, MaxSize: f.maxSize, NoSync: !f.fsync, Hasher: hasher, Logger: a.log}
	banner := stdout
	switch f.path {
	case "":
	case "-":
		o.Stream, banner = stdout, os.Stderr
	default:
		o.File = f.path
	}
	if f.db {
		o.Store = a.store
	}
	log, err := audit.Open(ctx, o)
	if err != nil {
		return nil, nil, fmt.Errorf("open audit log: %w", err)
	}
	return log, banner, nil
}
