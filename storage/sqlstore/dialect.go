package sqlstore

// Dialect is what differs between the SQL engines behind Store.
type Dialect struct {
	// Name names the engine in error messages ("sqlite", "postgres").
	Name string
	// IsUniqueViolation reports whether err is the engine's unique or
	// primary-key constraint violation. Creates avoid raising one (they use
	// ON CONFLICT DO NOTHING); this maps any that still happen to
	// tokend.ErrAlreadyExists.
	IsUniqueViolation func(err error) bool
	// LockSQL takes a transaction-scoped named lock, with the name bound to
	// $1. Empty means Lock only checks that it runs inside InTx: the engine
	// already serializes write transactions (SQLite's BEGIN IMMEDIATE).
	LockSQL string
}
