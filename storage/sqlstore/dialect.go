package sqlstore

import "github.com/tokend-dev/tokend/odata"

// Dialect is what differs between the SQL engines behind Store.
type Dialect struct {
	// Name names the engine in error messages ("sqlite", "postgres").
	Name string
	// OData is the dialect odata translates a $filter into for this
	// engine; New refuses a Dialect without one.
	OData odata.Dialect
	// IsUniqueViolation reports whether err is the engine's unique or
	// primary-key constraint violation. Creates avoid raising one (they use
	// ON CONFLICT DO NOTHING); this maps any that still happen to
	// tokend.ErrAlreadyExists.
	IsUniqueViolation func(err error) bool
	// IsForeignKeyViolation reports whether err is the engine's foreign-key
	// violation: a row written for a parent (a client) that does not exist.
	// Such writes check for the parent first (on PostgreSQL the violation
	// would abort the surrounding transaction); this maps the violation
	// that a concurrent delete can still cause to tokend.ErrNotFound.
	IsForeignKeyViolation func(err error) bool
	// IsUnavailable reports an engine error that says the database is
	// unreachable or cannot write (a stopped server, a full disk), not
	// that the request is wrong: such errors become tokend.ErrUnavailable.
	IsUnavailable func(err error) bool
	// LockSQL takes a transaction-scoped named lock, with the name bound to
	// $1. Empty means Lock only checks that it runs inside InTx: the engine
	// already serializes write transactions (SQLite's BEGIN IMMEDIATE).
	LockSQL string
	// RelaxedCommit, run first in a transaction, lets its commit return
	// before the engine has flushed it (PostgreSQL: SET LOCAL
	// synchronous_commit TO OFF), for the few writes whose loss in a
	// database crash costs little (see RecordAssertion). Empty where the
	// engine has no such setting per transaction (SQLite, whose commits
	// are batched instead: groupcommit.go).
	RelaxedCommit string
	// PlanEachTime, when set, marks a query's arguments so the engine plans
	// that execution for its own values. List queries need it on
	// PostgreSQL: after five runs a prepared statement may switch to a
	// generic plan, blind to the parameters, which for a selective prefix
	// filter reads and sorts every match instead of walking an index and
	// stopping after a page. Engines without it plan without the values,
	// so their list statements are kept prepared instead (see listReader).
	PlanEachTime func(args []any) []any
}
