package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	tokendapp "github.com/tokend-dev/tokend/app"

	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/storage"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

// workspace is the opened state every subcommand works on: the data directory,
// the key-encryption key and the store.
type workspace struct {
	dataDir string
	log     *slog.Logger
	box     *seal.Box
	store   tokend.Store
	tenant  *tokend.Tenant
	sub     *tokend.Subscription
}

// openWorkspace opens (creating on first use) the data directory, the
// key-encryption key and the store, and makes sure the default tenant and
// subscription exist.
func openWorkspace(ctx context.Context, g *globalFlags, observe func(string, time.Duration, error)) (*workspace, error) {
	log := newLogger(g.logLevel)
	if err := os.MkdirAll(g.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", g.dataDir, err)
	}
	box, err := seal.Load(os.Getenv("TOKEND_MASTER_KEY"), g.dataDir)
	if err != nil {
		return nil, fmt.Errorf("load key-encryption key: %w", err)
	}
	store, err := storage.Open(ctx, g.database, g.dataDir, sqlstore.Options{Observer: observe,
		Warn: func(msg string) { log.Warn(msg) }, MigrationProgress: g.migrations})
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	a := &workspace{dataDir: g.dataDir, log: log, box: box, store: store}
	if err := a.checkMasterKey(ctx); err != nil {
		_ = store.Close()
		return nil, err
	}
	if err := a.ensureDefaults(ctx); err != nil {
		_ = store.Close()
		return nil, err
	}
	return a, nil
}

// runWithWorkspace gives a subcommand the opened workspace for its run and closes it
// after, so every command that works on the data directory does it alike.
func runWithWorkspace(g *globalFlags, run func(cmd *cobra.Command, args []string, a *workspace) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := openWorkspace(cmd.Context(), g, nil)
		if err != nil {
			return err
		}
		defer a.close()
		if action := auditedCommands[cmd.CommandPath()]; action != "" {
			return runAudited(cmd, args, a, action, func() error { return run(cmd, args, a) })
		}
		return run(cmd, args, a)
	}
}

func (a *workspace) close() {
	if err := a.store.Close(); err != nil {
		a.log.Error("close storage", "err", err.Error())
	}
}

// checkMasterKey refuses to start with a key-encryption key other than the
// one the database's secrets were sealed under (a node of a cluster started
// without TOKEND_MASTER_KEY, say), instead of failing later on every secret.
func (a *workspace) checkMasterKey(ctx context.Context) error {
	const key = "kek-check"
	aad := []byte(key)
	sealed, err := a.store.GetMeta(ctx, key)
	if errors.Is(err, tokend.ErrNotFound) {
		err = a.store.CreateMeta(ctx, key, a.box.Seal([]byte("tokend"), aad))
		if err == nil || errors.Is(err, tokend.ErrAlreadyExists) {
			return a.checkMasterKey(ctx)
		}
	}
	if err != nil {
		return fmt.Errorf("read key check: %w", err)
	}
	if _, err := a.box.Open(sealed, aad); err != nil {
		return errors.New("the key-encryption key does not match the one this database was created with: set TOKEND_MASTER_KEY to the cluster's key (or restore " + a.dataDir + "/master.key)")
	}
	return nil
}

// ensureDefaults creates the default tenant and subscription on first start.
func (a *workspace) ensureDefaults(ctx context.Context) (err error) {
	a.tenant, a.sub, err = tokendapp.EnsureDefaults(ctx, a.store)
	return err
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// assignments manages role assignments over every role tokend knows: the
// built-in ones, each provider's and the custom ones.
func (a *workspace) assignments(ctx context.Context) (*identity.Assignments, error) {
	roles, err := tokendapp.Roles(ctx, a.store, a.box)
	if err != nil {
		return nil, err
	}
	return identity.NewAssignments(a.store, roles, nil), nil
}
