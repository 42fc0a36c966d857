package load

import (
	"bytes"
	"net"
	"strconv"
	"testing"
	"time"
)

// Benchmarks of the generator's cost: run them with
// `go test -bench . -benchmem ./internal/load`. The closed loops run
// against a minimal server in the same process, which shares the CPUs:
// their req/s are a floor of what the generator alone can do. The event
// loops suffer most from that sharing (a loop's locked thread keeps its P
// while it runs, and the server's goroutines wait for it): bench/load,
// against nginx, is the measure that counts.

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	d := 1234567 * time.Nanosecond
	for i := 0; b.Loop(); i++ {
		h.Record(d + time.Duration(i&0xffff))
	}
}

func BenchmarkHistogramQuantile(b *testing.B) {
	var h Histogram
	for i := range 100000 {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for b.Loop() {
		h.Quantile(0.99)
	}
}

// replay is a net.Conn whose reads return the same answer again and again.
type replay struct {
	net.Conn
	answer []byte
	r      bytes.Reader
}

func (c *replay) Read(p []byte) (int, error) {
	if c.r.Len() == 0 {
		c.r.Reset(c.answer)
	}
	return c.r.Read(p)
}

func BenchmarkReadAnswer(b *testing.B) {
	answer := "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 30 Nov 2026 10:00:00 GMT\r\nContent-Type: text/html\r\n" +
		"Content-Length: 1024\r\nLast-Modified: Mon, 30 Nov 2026 09:00:00 GMT\r\nConnection: keep-alive\r\nX-Real-Server: rs01\r\n" +
		"Accept-Ranges: bytes\r\n\r\n" + string(make([]byte, 1024))
	var rd reader
	rd.reset(&replay{answer: []byte(answer)})
	intern := names{}.intern
	b.SetBytes(int64(len(answer)))
	for b.Loop() {
		if _, _, _, err := rd.readAnswer(intern); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkLoop(b *testing.B, keepAlive bool) {
	answer := "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nX-Real-Server: rs01\r\n\r\n" + string(make([]byte, 1024))
	o := opts(rawServer(b, serveFixed(answer, false)))
	o.Concurrency, o.KeepAlive, o.Requests = 8, keepAlive, int64(b.N)
	b.ResetTimer()
	s := mustRun(b, o)
	b.StopTimer()
	if s.Completed != int64(b.N) {
		b.Fatalf("completed %d of %d: %v", s.Completed, b.N, s.Failures)
	}
	b.ReportMetric(s.RPS, "req/s")
	b.ReportMetric(s.Latency.P99*1000, "p99-µs")
}

// benchmarkEngines runs bench on the event loops and on goroutines.
func benchmarkEngines(b *testing.B, bench func(*testing.B)) {
	b.Run("loops", bench)
	b.Run("goroutines", func(b *testing.B) {
		goroutinesOnly = true
		defer func() { goroutinesOnly = false }()
		bench(b)
	})
}

func BenchmarkClosedLoopKeepAlive(b *testing.B) {
	benchmarkEngines(b, func(b *testing.B) { benchmarkLoop(b, true) })
}

func BenchmarkClosedLoopNewConn(b *testing.B) {
	benchmarkEngines(b, func(b *testing.B) { benchmarkLoop(b, false) })
}

func BenchmarkOpenLoop(b *testing.B) {
	for _, rate := range []float64{1000, 10000} {
		b.Run(strconv.FormatFloat(rate, 'f', 0, 64), func(b *testing.B) {
			answer := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
			o := opts(rawServer(b, serveFixed(answer, false)))
			o.Rate, o.KeepAlive, o.Requests, o.Concurrency = rate, true, int64(b.N), 0
			s := mustRun(b, o)
			b.ReportMetric(s.RPS, "req/s")
			b.ReportMetric(float64(s.Failed), "failed")
		})
	}
}
