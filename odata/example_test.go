package odata_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/tokend-dev/tokend/odata"
)

// The Playwright access-token list, as a provider would write it: declare
// the schema and mapping once, then per request parse, plan the page, run
// it and make the nextLink's token.
func Example() {
	schema := &odata.Schema{
		Fields: odata.Fields{
			{Name: "id", Type: odata.GUID, Filter: odata.Comparisons, Sort: true},
			{Name: "name", Type: odata.String, Filter: odata.Comparisons | odata.StartsWith | odata.EndsWith | odata.Contains, Sort: true},
			{Name: "createdAt", Type: odata.DateTime, Filter: odata.Comparisons, Sort: true},
			{Name: "expiryAt", Type: odata.DateTime, Filter: odata.Comparisons, Sort: true},
			{Name: "state", Type: odata.Enum, Values: []string{"Active", "Expired"}, Filter: odata.Equality},
		},
		Key:      "id",
		TokenKey: []byte("a server secret"),
	}
	mapping := func(q *odata.Query) odata.Mapping {
		return odata.Mapping{
			Dialect: odata.SQLite, // odata.PostgreSQL: same code, text columns COLLATE "C"
			Columns: map[string]string{"id": "id", "name": "name", "createdAt": "created_at", "expiryAt": "expiry_at"},
			Computed: map[string]odata.Computed{
				"state": odata.TimeState("expiry_at", q.Now, "Active", "Expired"),
			},
		}
	}

	db, _ := sql.Open("sqlite", ":memory:")
	db.SetMaxOpenConns(1)
	defer db.Close()
	db.Exec(`CREATE TABLE access_tokens (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL,
		created_at INTEGER NOT NULL, expiry_at INTEGER NOT NULL)`)
	db.Exec(`CREATE INDEX access_tokens_by_name ON access_tokens (account_id, name, id)`)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i, name := range []string{"ci1", "ci2", "ci3", "dev1", "ci4", "ci5"} {
		db.Exec(`INSERT INTO access_tokens VALUES ($1, 'acct', $2, $3, $4)`,
			fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i), name, now.UnixMicro(), now.AddDate(0, 0, i-1).UnixMicro())
	}

	// One List request, then the nextLinks.
	values := url.Values{"$filter": {"startswith(name,'ci') and state eq 'Active'"}, "$orderby": {"name desc"}}
	for {
		q, err := schema.Parse(values, now)
		var qe *odata.Error
		if errors.As(err, &qe) {
			fmt.Println("400", qe.Param, qe.Message) // in the API family's envelope
			return
		}
		var args odata.Args
		acct := args.Add("acct")
		page := q.Page(mapping(q), &args, 2)
		stmt := "SELECT id, name FROM access_tokens WHERE account_id = " + acct + " AND " + page.Where + " " + page.Suffix()
		rows, _ := db.Query(stmt, args.Values()...)
		var ids, names []string
		for rows.Next() {
			var id, name string
			rows.Scan(&id, &name)
			ids, names = append(ids, id), append(names, name)
		}
		rows.Close()
		n := page.Served(len(names))
		fmt.Println(strings.Join(names[:n], " "))
		token := q.Next(page, len(names), func(field string) any {
			return map[string]any{"id": ids[n-1], "name": names[n-1]}[field]
		})
		if token == "" {
			break
		}
		values.Set("$skipToken", token) // the nextLink: same query plus the token
	}

	_, err := schema.Parse(url.Values{"$filter": {"nmae eq 'x'"}}, now)
	fmt.Println(err)
	// Output:
	// ci5 ci4
	// ci3
	// $filter: unknown field 'nmae' at position 1; fields are id, name, createdAt, expiryAt, state
}
