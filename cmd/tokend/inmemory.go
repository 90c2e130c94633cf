package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	"github.com/tokend-dev/tokend/localca"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/storage/sqlite"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

// inMemoryFlags run a throwaway tokend that writes nothing to disk
// (serve --in-memory): CI jobs and tests that want a fresh instance.
type inMemoryFlags struct {
	enabled bool
	caOut   string
}

func addInMemoryFlags(fl *pflag.FlagSet, f *inMemoryFlags) {
	fl.BoolVar(&f.enabled, "in-memory", false, "keep everything in memory (database, keys, CA) and write nothing to disk but --ca-out and --bootstrap-out: a throwaway instance whose state is gone when it stops [TOKEND_IN_MEMORY]")
	fl.StringVar(&f.caOut, "ca-out", "", "with --in-memory, write the CA certificate (PEM) clients must trust to this file [TOKEND_CA_OUT]")
}

// inMemoryNotice is printed at every in-memory start: nothing it
// acknowledges survives.
const inMemoryNotice = "in memory:    nothing is written to disk; every client, key and resource is lost when this process stops"

// check refuses flags that contradict keeping nothing on disk.
func (f *inMemoryFlags) check(g *globalFlags, certFile string) error {
	if !f.enabled {
		if f.caOut != "" {
			return errors.New("--ca-out is for --in-memory (otherwise the CA is ca.pem in the data directory)")
		}
		return nil
	}
	if g.database != "" {
		return errors.New("--in-memory keeps the database in memory: drop --database (or drop --in-memory to use it)")
	}
	if f.caOut != "" && certFile != "" {
		return errors.New("--ca-out writes the in-memory CA, which --cert replaces: drop one of them")
	}
	return nil
}

// openMemoryWorkspace is openWorkspace with nothing on disk: an in-memory
// SQLite database and a fresh key-encryption key (nothing sealed under it
// outlives the process, so there is no key to share or keep).
func openMemoryWorkspace(ctx context.Context, g *globalFlags, observe func(string, time.Duration, error)) (*workspace, error) {
	log := newLogger(g.logLevel)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate key-encryption key: %w", err)
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	store, err := sqlite.OpenMemory(ctx, sqlite.WithObserver(sqlstore.Observer(observe)))
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	a := &workspace{log: log, box: box, store: store}
	if err := a.ensureDefaults(ctx); err != nil {
		_ = store.Close()
		return nil, err
	}
	return a, nil
}

// memoryTLS makes the in-memory CA and server certificate, writing the CA
// to --ca-out when asked; it returns the CA file clients trust ("" when
// none was written).
func (f *inMemoryFlags) memoryTLS(hosts []string) (*localca.Ephemeral, string, error) {
	ca, err := localca.NewEphemeral(hosts, time.Now())
	if err != nil {
		return nil, "", fmt.Errorf("in-memory CA: %w", err)
	}
	if f.caOut == "" {
		return ca, "", nil
	}
	if err := os.WriteFile(f.caOut, ca.CAPEM, 0o644); err != nil {
		return nil, "", fmt.Errorf("--ca-out: %w", err)
	}
	abs, err := filepath.Abs(f.caOut)
	if err != nil {
		return nil, "", fmt.Errorf("--ca-out: %w", err)
	}
	return ca, abs, nil
}
