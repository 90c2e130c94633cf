// Package odata parses the OData v4 query options of tokend's list APIs
// ($filter, $orderby, $select, $top, $skip) and translates them into SQL
// that filters, orders and pages inside the database, on SQLite and on
// PostgreSQL, with every client value bound as a parameter.
//
// # $filter grammar
//
//	filter     = [ or ]                       ; empty: every row
//	or         = and *( "or" and )
//	and        = unary *( "and" unary )
//	unary      = "not" unary / primary        ; not (name eq 'x') and not name eq 'x' agree
//	primary    = "(" or ")" / call [ ("eq" / "ne") ("true" / "false") ]
//	           / operand op operand            ; one side a field, the other a literal
//	           / boolfield                     ; enabled = enabled eq true
//	op         = "eq" / "ne" / "gt" / "ge" / "lt" / "le"
//	call       = ("startswith" / "endswith" / "contains") "(" field "," string ")"
//	           / "substringof" "(" string "," field ")"
//	literal    = string                        ; 'it''s': a doubled quote is one quote
//	           / integer                       ; -42
//	           / "true" / "false"
//	           / datetime                      ; 2026-11-01T00:00:00Z, …:00.1234567+01:00,
//	                                           ; '…' or datetime'…' (DateTime fields)
//	           / guid                          ; 01234567-89ab-…, '…' or guid'…' (GUID fields)
//	           / string / Qualified.Enum'Value'  ; enum values, in any case (Enum fields)
//
// Keywords, function names, field names and enum values are matched in any
// case; "and" binds tighter than "or". Each Field declares its Type and the
// operators and functions it allows (Field.Filter); a literal must have the
// field's type. There is no null (every field always has a value), no
// arithmetic, no field-to-field comparison and no "in". Input is bounded:
// MaxFilterLength characters, MaxDepth levels of parentheses and not,
// MaxTerms conditions. Invalid UTF-8 and NUL characters are rejected.
//
// Every problem is an *Error naming the option, the 1-based character
// position and what would be accepted, e.g.
//
//	$filter: unknown field 'nmae' at position 1; fields are id, name, createdAt, expiryAt, state
//
// so that handlers answer 400 in their own envelope and never 500.
//
// # The SQL
//
// ToSQL writes a boolean expression over the columns of a Mapping, with
// $1-style placeholders (numbered after the statement's own, see Args):
//
//	name eq 'a'                 name = $1
//	expiryAt gt 2026-11-01T…Z   expiry_at > $1                  (unix microseconds, int64)
//	startswith(name,'ab')       (name >= $1 AND name < $2)      ('ab', 'ac': an index range)
//	contains(name,'a%')         instr(name, $1) > 0             (SQLite)
//	                            name LIKE $1 ESCAPE '!'         (PostgreSQL; '%a!%%')
//	endswith(name,'z')          substr(name, -length($1)) = $1  (SQLite)
//	                            name LIKE $1 ESCAPE '!'         (PostgreSQL; '%z')
//	state eq 'Active'           (expiry_at > $1)                (TimeState: $1 is now)
//	a and not (b or c)          (a AND NOT ((b OR c)))
//
// String comparisons are case-sensitive and byte-wise on both engines,
// provided that PostgreSQL text columns are declared COLLATE "C" (SQLite's
// default BINARY collation already compares bytes). Both must hold valid
// UTF-8, whose byte order is code point order; startswith's upper bound is
// the prefix with its last character incremented (see prefixSuccessor), so
// it stays valid UTF-8. Columns must be NOT NULL. Times are BIGINT unix
// microseconds UTC, as tokend stores them; a literal finer than a
// microsecond rounds the way that keeps the comparison exact.
//
// # Order and keyset paging
//
// OrderBy.WithTieBreak appends the schema's unique key (in the direction
// of the last key, so an index on (scope, field, key) serves the order in
// one direction or the other), making the order total. A later page starts
// strictly after the last row served (KeysetAfter): a row value when all
// keys sort the same way, the expanded OR form when they do not,
//
//	(name, id) > ($2, $3)
//	(name <= $2 AND ((name < $2) OR (name = $2 AND (created_at, id) > ($3, $4))))
//
// which the engines run as an index seek, so page 50 costs what page 1
// does and rows inserted or deleted between requests neither repeat nor
// skip others. The position, what is left of $top and the first page's
// clock travel in an opaque, MAC-protected Token; a token that was altered
// or belongs to another $filter/$orderby is a 400 for $skipToken.
//
// # Use
//
// A provider declares a Schema and a Mapping once, parses each request
// with Schema.Parse, plans the page with Query.Page and makes the nextLink
// token with Query.Next; see the package example. The lower-level
// functions (ParseFilter, ParseOrderBy, ParseSelect, ParseTop, ParseSkip,
// ToSQL, OrderSQL, KeysetAfter, Token) serve providers whose storage
// writes its own statement.
package odata
