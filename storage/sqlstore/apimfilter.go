package sqlstore

import (
	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/odata"
)

// authServerFilterColumns maps the ListByService $filter fields (see
// tokend.AuthorizationServerQuery) to apim_authorization_servers columns,
// both of which compare bytewise on either engine.
var authServerFilterColumns = map[string]string{
	string(tokend.AuthorizationServerName):        "name",
	string(tokend.AuthorizationServerDisplayName): "display_name",
}

// authServerPageFilterColumns is authServerFilterColumns for the page of a list
// on SQLite. Its planner has no statistics on display names, and for a
// displayName range it would seek the display-name index and sort every
// match by name, reading each from the table (10 ms for 2,000 matches among
// 10,000). The unary plus keeps display_name from choosing an index, so a
// page walks the name index in order, reads display_name from it, and stops
// after a page. The count keeps the plain columns and seeks. PostgreSQL
// plans with statistics and has no unary plus on text.
var authServerPageFilterColumns = map[string]string{
	string(tokend.AuthorizationServerName):        "name",
	string(tokend.AuthorizationServerDisplayName): "+display_name",
}

// authServerFilterSQL translates a parsed ListByService $filter into a
// predicate over apim_authorization_servers, numbering its parameters after
// those already in args. The values are bound, never written into the SQL.
func (q *queries) authServerFilterSQL(expr odata.Expr, args []any, page bool) (string, []any) {
	d := q.dialect.OData
	var a odata.Args
	for _, v := range args {
		a.Add(v)
	}
	columns := authServerFilterColumns
	if page && d == odata.SQLite {
		columns = authServerPageFilterColumns
	}
	pred := odata.ToSQL(expr, odata.Mapping{Dialect: d, Columns: columns}, &a)
	return pred, a.Values()
}
