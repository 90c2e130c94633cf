package sqlstore

import (
	"time"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/odata"
)

// accessTokenColumnsByField maps the access-token list's OData fields to
// their columns. state has no column: it is expiry_at against the query's
// instant (see accessTokenFilterSQL).
var accessTokenColumnsByField = map[string]string{
	string(tokend.AccessTokenID):        "id",
	string(tokend.AccessTokenName):      "name",
	string(tokend.AccessTokenCreatedAt): "created_at",
	string(tokend.AccessTokenExpiryAt):  "expiry_at",
}

// accessTokenFilterSQL translates a parsed access-token $filter (an
// odata.Expr) into a predicate over playwright_access_tokens, numbering its
// parameters after those already in args. state is computed against now:
// 'Active' is expiry_at > now, 'Expired' is expiry_at <= now, so it is a
// range on the (account_id, expiry_at, id) index like any other.
func (q *queries) accessTokenFilterSQL(expr odata.Expr, now time.Time, args []any) (string, []any) {
	m := odata.Mapping{
		Dialect: q.dialect.OData,
		Columns: accessTokenColumnsByField,
		Computed: map[string]odata.Computed{
			string(tokend.AccessTokenState): odata.TimeState("expiry_at", now, "Active", "Expired"),
		},
	}
	var a odata.Args
	for _, v := range args {
		a.Add(v)
	}
	pred := odata.ToSQL(expr, m, &a)
	return pred, a.Values()
}
