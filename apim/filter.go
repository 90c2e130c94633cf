package apim

import (
	"errors"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/odata"
)

// filterFields are the ListByService $filter fields of the spec: name and
// displayName, with eq ne gt ge lt le and substringof, contains, startswith,
// endswith. Comparisons are case-sensitive and bytewise, the same on SQLite
// and PostgreSQL. Storage maps these names to columns.
var filterFields = odata.Fields{
	{Name: string(tokend.AuthorizationServerName), Type: odata.String, Filter: odata.Comparisons | odata.Substrings},
	{Name: string(tokend.AuthorizationServerDisplayName), Type: odata.String, Filter: odata.Comparisons | odata.Substrings},
}

// parseFilter parses a ListByService $filter; a mistake is a 400
// ValidationError naming $filter, with odata's message (which names the
// position and what would be accepted).
func parseFilter(expr string) (odata.Expr, error) {
	e, err := odata.ParseFilter(expr, filterFields)
	if err != nil {
		var qe *odata.Error
		if errors.As(err, &qe) {
			return nil, badField("$filter", "%s", qe.Message)
		}
		return nil, badField("$filter", "The $filter is invalid.")
	}
	return e, nil
}
