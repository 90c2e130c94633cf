package sqlstore

import (
	"errors"
	"fmt"

	"github.com/tokend-dev/tokend/odata"
)

// authServerFilterColumns maps the ListByService $filter fields (see
// tokend.AuthorizationServerQuery) to apim_authorization_servers columns,
// both of which compare bytewise on either engine.
var authServerFilterColumns = map[string]string{
	"name":        "name",
	"displayName": "display_name",
}

// odataDialect is the odata translation dialect of the engine.
func (q *queries) odataDialect() (odata.Dialect, error) {
	switch q.dialect.Name {
	case "sqlite":
		return odata.SQLite, nil
	case "postgres":
		return odata.PostgreSQL, nil
	}
	return 0, fmt.Errorf("no OData dialect for engine %q", q.dialect.Name)
}

// authServerFilterSQL translates a parsed ListByService $filter into a
// predicate over apim_authorization_servers, numbering its parameters after
// those already in args. The values are bound, never written into the SQL.
func (q *queries) authServerFilterSQL(filter any, args []any) (string, []any, error) {
	expr, ok := filter.(odata.Expr)
	if !ok {
		return "", nil, fmt.Errorf("filter of type %T: %w", filter, errUnsupportedFilter)
	}
	d, err := q.odataDialect()
	if err != nil {
		return "", nil, err
	}
	var a odata.Args
	for _, v := range args {
		a.Add(v)
	}
	pred := odata.ToSQL(expr, odata.Mapping{Dialect: d, Columns: authServerFilterColumns}, &a)
	return pred, a.Values(), nil
}

var errUnsupportedFilter = errors.New("unsupported filter: want an odata.Expr")
