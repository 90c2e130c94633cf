package audit

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
)

// TestConcurrentRecordsGroupCommit: concurrent events all land on one
// unbroken chain, fewer writes than events (group commit), each durable
// when its Record returns.
func TestConcurrentRecordsGroupCommit(t *testing.T) {
	l, path := openTestFile(t, 0)
	counter := &countingSink{sink: l.sinks[0]}
	l.sinks[0] = counter
	const n = 400
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recordN(t, l, i, 1)
		}()
	}
	wg.Wait()
	l.Close()
	if v := verifyFiles(t, path); v.Break != nil || v.Lines != n {
		t.Fatalf("%+v %v", v, v.Break)
	}
	if counter.writes >= n {
		t.Fatalf("%d writes for %d events: no batching", counter.writes, n)
	}
	t.Logf("%d events in %d writes", n, counter.writes)
}

type countingSink struct {
	sink
	writes int
}

func (c *countingSink) write(ctx context.Context, b []*entry) error {
	c.writes++
	return c.sink.write(ctx, b)
}

// TestFailedWriteFailsRecord: a sink that cannot write makes Record fail
// with ErrUnavailable, and the chain resumes after the failure unbroken.
func TestFailedWriteFailsRecord(t *testing.T) {
	l, path := openTestFile(t, 0)
	recordN(t, l, 0, 2)
	fs := l.sinks[0].(*fileSink)
	good := fs.f
	ro, err := os.Open(path) // writes to a read-only handle fail
	if err != nil {
		t.Fatal(err)
	}
	fs.f = ro
	err = l.Record(t.Context(), &Event{RequestID: "x", Action: "a", Result: Success})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Record = %v, want ErrUnavailable", err)
	}
	fs.f = good
	ro.Close()
	recordN(t, l, 2, 2)
	l.Close()
	if v := verifyFiles(t, path); v.Break != nil || v.Lines != 4 {
		t.Fatalf("%+v %v", v, v.Break)
	}
}

// BenchmarkRecord measures events/s through the file sink with fsync
// batching, from as many goroutines as the benchmark runs in parallel
// (-cpu, or SetParallelism below for a server's many requests).
func BenchmarkRecord(b *testing.B) {
	l, _ := openTestFile(b, 0)
	defer l.Close()
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ev := &Event{RequestID: "0f8fad5b-d9cb-469f-a165-70867728950e", Principal: "client:0f8fad5b", Source: "127.0.0.1",
				Action: ActionTokenIssue, Result: Success, Grant: "client_credentials", Audience: "https://management.azure.com/",
				TokenID: l.HashID("abcdefghijklmnop")}
			if err := l.Record(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
