package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

// Observer is told how long each storage call took and how it ended, so the
// server can export storage timings (to Prometheus, say). op is the method
// name, e.g. "GetResource"; calls made inside InTx are reported one by one
// and the transaction as a whole as "InTx".
type Observer func(op string, d time.Duration, err error)

// Options are the settings every engine accepts (see storage.Open).
type Options struct {
	// Observer, when set, is told about every storage call.
	Observer Observer
	// Warn, when set, is told about engine settings that put acknowledged
	// writes at risk.
	Warn func(msg string)
	// MigrationProgress, when set, is told about each migration as it runs.
	MigrationProgress MigrationProgress
}

// Config is what an engine hands to New.
type Config struct {
	Dialect Dialect
	// Read serves reads made outside transactions. It may be the same pool
	// as Write (PostgreSQL); SQLite gives a separate read-only pool so reads
	// never queue behind its single writer connection.
	Read *sql.DB
	// Write serves writes and every transaction.
	Write    *sql.DB
	Observer Observer
	// GroupCommit batches write transactions into one commit each while
	// the previous commit runs (see groupCommitter); for an engine whose
	// Write pool is one connection (SQLite).
	GroupCommit bool
}

// Store is tokend.Store over database/sql. It owns the pools it was given and
// closes them in Close.
type Store struct {
	queries // outside a transaction: reads on Read, writes on Write

	readDB, writeDB *sql.DB
	// group commits write transactions in batches; nil when the engine
	// commits each on its own.
	group *groupCommitter
}

var _ tokend.Store = (*Store)(nil)

// New returns a Store on the pools in cfg, with the hot reads prepared on the
// read pool. The schema must already be in place (see Migrate).
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Read == nil || cfg.Write == nil {
		return nil, errors.New("sqlstore: Read and Write pools are required")
	}
	if cfg.Dialect.OData == 0 {
		return nil, fmt.Errorf("sqlstore: no OData dialect for engine %q", cfg.Dialect.Name)
	}
	s := &Store{
		queries: queries{
			dialect:  cfg.Dialect,
			observer: cfg.Observer,
			read:     cfg.Read,
			write:    cfg.Write,
			counts:   newCountCache(),
			health:   &health{},
		},
		readDB:  cfg.Read,
		writeDB: cfg.Write,
	}
	if cfg.GroupCommit {
		s.group = newGroupCommitter(cfg.Write)
		s.write = groupWriter{s.group}
	}
	prepared, err := prepareAll(ctx, cfg.Read, hotReads)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Dialect.Name, err)
	}
	s.prepared = prepared
	if cfg.Dialect.PlanEachTime == nil {
		s.stmts = newStmtCache(cfg.Read)
	}
	return s, nil
}

// hotReads are the statements run on nearly every request (resource reads,
// token checks, client lookups). They are prepared once on the read pool;
// database/sql then keeps one prepared handle per connection, which saves
// SQLite from compiling the statement on every call.
var hotReads = []string{
	getResourceSQL,
	isRevokedSQL,
	getClientSQL,
	clientByIdentifierURISQL, // "{identifierUri}/.default" scopes
	getManagedIdentitySQL,    // every managed-identity token request
	getSubscriptionSQL,
	getTenantSQL,
	getMetaSQL,
	getAuthServerSQL,        // APIM authorization server GET/HEAD
	getAccessTokenSQL,       // Playwright: every use of an access token
	getPlaywrightAccountSQL, // Playwright: every data-plane request
	getUserSQL,              // every refresh-token grant
	getUserByNameSQL,        // every password sign-in
	getSignInFailuresSQL,    // every password sign-in
	getRefreshFamilySQL,     // a refresh whose rotation did not apply
	resourceGenerationSQL,   // every page of Resources_List
}

func prepareAll(ctx context.Context, db *sql.DB, queries []string) (map[string]*sql.Stmt, error) {
	prepared := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			closeAll(prepared)
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		prepared[q] = st
	}
	return prepared, nil
}

func closeAll(prepared map[string]*sql.Stmt) {
	for _, st := range prepared {
		_ = st.Close()
	}
}

// InTx runs fn in one transaction on the write pool. The engine decides how
// the transaction begins: SQLite's writer DSN makes it BEGIN IMMEDIATE, so
// the write lock is taken up front and two writers never deadlock while
// upgrading from a read lock.
func (s *Store) InTx(ctx context.Context, fn func(q tokend.Queries) error) (err error) {
	defer s.done("InTx", time.Now(), &err)
	return s.inWriteTx(ctx, func(tx querier) error {
		return fn(&queries{dialect: s.dialect, observer: s.observer, read: tx, write: tx, inTx: true, health: s.health})
	})
}

// Ping reports whether both pools answer and, after a storage failure,
// whether writes work again (readiness).
func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.done("Ping", time.Now(), &err)
	if err := s.writeDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.dialect.Name, err)
	}
	if s.readDB != s.writeDB {
		if err := s.readDB.PingContext(ctx); err != nil {
			return fmt.Errorf("ping %s read pool: %w", s.dialect.Name, err)
		}
	}
	return s.checkWrites(ctx)
}

// Close closes the prepared statements and both pools. The read pool closes
// first so that, on SQLite, the writer is the last connection and can
// checkpoint the WAL on its way out.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	closeAll(s.prepared)
	if s.stmts != nil {
		s.stmts.close()
	}
	var errs []error
	if s.readDB != s.writeDB {
		errs = append(errs, s.readDB.Close())
	}
	errs = append(errs, s.writeDB.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s: %w", s.dialect.Name, err)
	}
	return nil
}

// DB returns the write pool, for engine-specific maintenance and tests.
func (s *Store) DB() *sql.DB { return s.writeDB }
