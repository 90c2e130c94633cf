package odata

// Dialect is the SQL engine a translation is for. Everything but the
// substring functions is the same text on both: $n placeholders, =, <>,
// <, <=, >, >=, AND, OR, NOT, ORDER BY … ASC|DESC, LIMIT, OFFSET.
type Dialect uint8

const (
	// SQLite (modernc.org/sqlite): contains is instr(col, $n) > 0 and
	// endswith is substr(col, -length($n)) = $n, because SQLite's LIKE
	// ignores ASCII case.
	SQLite Dialect = iota + 1
	// PostgreSQL (pgx): contains and endswith are col LIKE $n ESCAPE '!'
	// with the pattern built and escaped in Go; LIKE is case-sensitive
	// there.
	PostgreSQL
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case PostgreSQL:
		return "postgres"
	}
	return "unknown dialect"
}
