package odata

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTypesOnEngines runs filters and keyset pages over fields of every
// type on both engines: integers, booleans (INTEGER in SQLite, BOOLEAN in
// PostgreSQL), GUIDs, enums and datetimes.
func TestTypesOnEngines(t *testing.T) {
	for _, eo := range engineOpeners {
		t.Run(eo.name, func(t *testing.T) {
			t.Parallel()
			e := eo.open(t)
			text, boolean := "TEXT", "INTEGER"
			if e.dialect == PostgreSQL {
				text, boolean = `TEXT COLLATE "C"`, "BOOLEAN"
			}
			e.exec(t, `CREATE TABLE things (id `+text+` PRIMARY KEY, cnt BIGINT NOT NULL, enabled `+boolean+` NOT NULL,
				txt `+text+` NOT NULL, at_us BIGINT NOT NULL, kind `+text+` NOT NULL, eq_only `+text+` NOT NULL)`)
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
			things := []struct {
				id      string
				cnt     int64
				enabled bool
				txt     string
				at      int64
				kind    string
			}{
				{"00000000-0000-0000-0000-00000000000a", -5, true, "apple", base, "Alpha"},
				{"00000000-0000-0000-0000-00000000000b", 0, false, "Apple", base + 1, "Beta"},
				{"00000000-0000-0000-0000-00000000000c", 7, true, "banana", base - 1, "Beta"},
				{"00000000-0000-0000-0000-00000000000d", 7, false, "cherry", base + 86400e6, "Alpha"},
				{"00000000-0000-0000-0000-00000000000e", 1 << 40, true, "Äpfel", base, "Alpha"},
			}
			for _, x := range things {
				if _, err := e.db.Exec(`INSERT INTO things VALUES ($1, $2, $3, $4, $5, $6, $7)`,
					x.id, x.cnt, x.enabled, x.txt, x.at, x.kind, "x"); err != nil {
					t.Fatal(err)
				}
			}
			schema := &Schema{Fields: typeFields, Key: "id"}
			m := typeMapping(e.dialect)
			if err := schema.Validate(m); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				filter, orderby string
				want            string // last letters of the ids, in order
			}{
				{"count gt 0", "", "cde"},
				{"count eq 7", "count desc", "dc"},
				{"count ge -5 and count lt 1", "", "ab"},
				{"count eq 1099511627776", "", "e"},
				{"enabled", "", "ace"},
				{"not enabled", "", "bd"},
				{"enabled eq false or kind eq 'BETA'", "", "bcd"},
				{"enabled ne true", "enabled desc,count", "bd"},
				{"kind ne 'alpha'", "", "bc"},
				{"id gt 00000000-0000-0000-0000-00000000000C", "", "de"},
				{"id eq '00000000-0000-0000-0000-00000000000A'", "", "a"},
				{"at eq 2026-01-01T00:00:00Z", "", "ae"},
				{"at gt 2026-01-01T00:00:00Z", "at", "bd"},
				{"at le 2025-12-31T23:59:59.999999Z", "", "c"},
				{"at lt 2026-01-01T01:00:00+01:00", "", "c"},
				{"text lt 'a'", "text", "b"}, // Ä is C3 84, after every ASCII letter
				{"startswith(text,'A')", "", "b"},
				{"substringof('pp', text)", "", "ab"},
				{"endswith(text,'e') or contains(text,'ä')", "text desc", "ab"},
				{"startswith(text,'Ä')", "", "e"},
				{"", "enabled,text desc", "dbeca"},
				{"", "at desc,count desc", "dbeac"},
			} {
				values := url.Values{"$filter": {c.filter}, "$orderby": {c.orderby}}
				for _, size := range []int{1, 2, 100} {
					var got []string
					for {
						q, err := schema.Parse(values, testNow)
						if err != nil {
							t.Fatalf("%s: %v", c.filter, err)
						}
						var args Args
						p := q.Page(m, &args, size)
						stmt := "SELECT id, cnt, enabled, txt, at_us FROM things WHERE " + p.Where + " " + p.Suffix()
						rs, err := e.db.Query(stmt, args.Values()...)
						if err != nil {
							t.Fatalf("%s: %v", stmt, err)
						}
						type thing struct {
							id      string
							cnt, at int64
							enabled bool
							txt     string
						}
						var page []thing
						for rs.Next() {
							var x thing
							if err := rs.Scan(&x.id, &x.cnt, &x.enabled, &x.txt, &x.at); err != nil {
								t.Fatal(err)
							}
							page = append(page, x)
						}
						rs.Close()
						n := p.Served(len(page))
						for _, x := range page[:n] {
							got = append(got, x.id[len(x.id)-1:])
						}
						tok := q.Next(p, len(page), func(f string) any {
							x := page[n-1]
							return map[string]any{"id": x.id, "count": x.cnt, "enabled": x.enabled, "text": x.txt, "at": x.at}[f]
						})
						if tok == "" {
							break
						}
						values = url.Values{"$filter": {c.filter}, "$orderby": {c.orderby}, "$skipToken": {tok}}
					}
					values = url.Values{"$filter": {c.filter}, "$orderby": {c.orderby}}
					if s := strings.Join(got, ""); s != c.want {
						t.Errorf("%q by %q in pages of %d = %s, want %s", c.filter, c.orderby, size, s, c.want)
					}
				}
			}
		})
	}
}
