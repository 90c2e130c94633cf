package audit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// Options say where a node's audit log goes. At least one sink must be
// chosen: File, Stream or Store.
type Options struct {
	// Node names the node's chains (in lines and in the database).
	Node string
	// File is the log file's path; MaxSize rotates it (0: never).
	File    string
	MaxSize int64
	// NoSync writes file batches without fsync: durable against a crash
	// of the process, not of the machine (docs/audit.md).
	NoSync bool
	// Stream receives the lines too (stdout with --audit-log -).
	Stream io.Writer
	// Store, when set, receives the lines into audit_events.
	Store  tokend.AuditStore
	Hasher *Hasher
	Logger *slog.Logger
	Now    func() time.Time
}

// Open starts a node's audit log.
func Open(ctx context.Context, o Options) (*Log, error) {
	if o.Node == "" || o.Hasher == nil {
		return nil, errors.New("audit: Node and Hasher are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var sinks []sink
	if o.File != "" {
		f, err := openFileSink(o.File, o.MaxSize, o.NoSync, o.Logger)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, f)
	}
	if o.Stream != nil {
		sinks = append(sinks, &streamSink{w: o.Stream, head: genesisHead()})
	}
	if o.Store != nil {
		d, err := openDBSink(ctx, o.Store, o.Node)
		if err != nil {
			closeAll(sinks)
			return nil, err
		}
		sinks = append(sinks, d)
	}
	if len(sinks) == 0 {
		return nil, errors.New("audit: no sink: set a file, a stream or a store")
	}
	return newLog(o.Node, o.Hasher, sinks, o.Now, o.Logger), nil
}

func closeAll(sinks []sink) {
	for _, s := range sinks {
		_ = s.close()
	}
}
