// Package bench is tokend's reproducible load test: it starts tokend (or
// targets a running one), seeds what each scenario needs, drives every
// scenario over HTTPS with keep-alive from a fixed number of closed-loop
// workers for a fixed time after a warm-up, and reports throughput, latency
// percentiles, errors and the server's CPU and memory next to the machine's
// physical ceiling (signing cost and a bare HTTPS round trip measured in the
// same run). cmd/tokend wires it up as `tokend bench`; docs/performance.md
// ("Benchmark tool") shows how to read the figures.
package bench
