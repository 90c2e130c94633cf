package odata

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-µs/op: CPU time of this process per iteration, which
// other processes on a shared machine distort far less than wall time
// (though it excludes a PostgreSQL server's own time).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e3, "cpu-µs/op")
}

// BenchmarkParseAndTranslate is the per-request cost of the query options:
// parsing $filter and $orderby and writing the page's SQL (filter, keyset
// position, order) on the PostgreSQL dialect.
func BenchmarkParseAndTranslate(b *testing.B) {
	const id = "0123abcd-89ab-cdef-0123-456789abcdef"
	for _, c := range []struct {
		name, filter, orderby string
		after                 []any // the position of a later page
	}{
		{"simple", "name eq 'sampleAccessToken'", "", []any{id}},
		{"typical", "state eq 'Active' and (startswith(name,'ci') or contains(name,'nightly')) and expiryAt gt 2026-11-01T00:00:00Z",
			"expiryAt desc,name", []any{int64(1793491200000000), "ci-7", id}},
		{"max-terms", strings.Repeat("(name eq 'abcdefgh' or expiryAt lt 2026-11-01T00:00:00.5+01:00) and ", MaxTerms/2-1) + "name ne 'x'",
			"name", []any{"ci-7", id}},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := tokenMapping(PostgreSQL)
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				e, err := ParseFilter(c.filter, tokenFields)
				if err != nil {
					b.Fatal(err)
				}
				o, err := ParseOrderBy(c.orderby, tokenFields)
				if err != nil {
					b.Fatal(err)
				}
				o = o.WithTieBreak(tokenFields[0])
				var args Args
				args.Add("account")
				_ = ToSQL(e, m, &args)
				_ = KeysetAfter(o, c.after, m, &args)
				_ = OrderSQL(o, m)
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkKeysetPage serves page 1 and page 50 (of 10 rows) of one
// account's 20,000 tokens ordered by name: through the keyset $skipToken,
// page 50 costs what page 1 does; through OFFSET ($skip=490, as a
// skip-based nextLink would ask) it scans the 490 rows before it.
func BenchmarkKeysetPage(b *testing.B) {
	for _, eo := range engineOpeners {
		b.Run(eo.name, func(b *testing.B) {
			e := eo.open(b)
			r := rand.New(rand.NewPCG(1, 1))
			rows := dataset(r, 20000)
			for i := range rows {
				rows[i].account = accountA
			}
			for i := 0; i < len(rows); i += 1000 {
				e.insert(b, rows[i:i+1000]...)
			}
			e.exec(b, "ANALYZE")
			first := url.Values{"$orderby": {"name"}, "$filter": {"state eq 'Active' or startswith(name,'a')"}}

			// The token of page 50, as a client would hold it.
			values := first
			for range 49 {
				q, err := diffSchema.Parse(values, diffNow)
				if err != nil {
					b.Fatal(err)
				}
				stmt, args, p := tokenListing(accountA, q, e.dialect, 10)
				got := e.query(b, stmt, args)
				values = url.Values{"$orderby": first["$orderby"], "$filter": first["$filter"],
					"$skipToken": {q.Next(p, len(got), got[p.Served(len(got))-1].field)}}
			}
			offset := url.Values{"$orderby": first["$orderby"], "$filter": first["$filter"], "$skip": {"490"}}

			for _, c := range []struct {
				name   string
				values url.Values
			}{{"page1", first}, {"page50-keyset", values}, {"page50-offset", offset}} {
				b.Run(c.name, func(b *testing.B) {
					start := cpuTime()
					for b.Loop() {
						q, err := diffSchema.Parse(c.values, diffNow)
						if err != nil {
							b.Fatal(err)
						}
						stmt, args, p := tokenListing(accountA, q, e.dialect, 10)
						got := e.query(b, stmt, args)
						if len(got) != 11 {
							b.Fatalf("%d rows", len(got))
						}
						_ = q.Next(p, len(got), got[9].field)
					}
					reportCPU(b, start)
				})
			}
		})
	}
}
