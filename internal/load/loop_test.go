package load

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestEngineChoice(t *testing.T) {
	for url, want := range map[string]bool{"http://127.0.0.1/": true, "https://127.0.0.1/": false} {
		o := opts(url)
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		cl, err := newClient(context.Background(), &o)
		if err != nil {
			t.Fatal(err)
		}
		if got := cl.evented(); got != want {
			t.Errorf("%s: event loops %v, want %v", url, got, want)
		}
	}
}

// trickle is a net.Conn whose reads return one byte at a time.
type trickle struct {
	net.Conn
	r *strings.Reader
}

func (c *trickle) Read(p []byte) (int, error) { return c.r.Read(p[:1]) }

func TestParseByteByByte(t *testing.T) {
	// The parser resumes wherever a read ends: byte by byte, it reads what
	// it reads whole.
	for _, tc := range []struct {
		answer string
		status int
		server string
		close  bool
	}{
		{"HTTP/1.1 200 OK\r\nX-Real-Server: rs01\r\nContent-Length: 5\r\n\r\nhello", 200, "rs01", false},
		{"HTTP/1.1 100 Continue\r\nX-Real-Server: rs00\r\n\r\nHTTP/1.1 503 No\r\ntransfer-encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n", 503, Unnamed, false},
		{"HTTP/1.0 200 OK\r\nX-Real-Server: rs02\r\n\r\nuntil the end", 200, "rs02", true},
		{"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 204, Unnamed, true},
	} {
		var rd reader
		rd.reset(&trickle{r: strings.NewReader(tc.answer)})
		status, server, closed, err := rd.readAnswer(names{}.intern)
		if err != nil || status != tc.status || server != tc.server || closed != tc.close {
			t.Errorf("%q: %d %q close=%v %v; want %d %q close=%v", tc.answer, status, server, closed, err, tc.status, tc.server, tc.close)
		}
		if n := rd.take(); n != int64(len(tc.answer)) {
			t.Errorf("%q: read %d bytes of %d", tc.answer, n, len(tc.answer))
		}
	}
}

func TestWholeAnswerServerStaysOpen(t *testing.T) { bothEngines(t, testWholeAnswerServerStaysOpen) }

func testWholeAnswerServerStaysOpen(t *testing.T) {
	// The answer is whole but the server does not close as asked: the
	// request completes, and the connection is closed at the deadline.
	url := rawServer(t, func(c net.Conn) {
		_, _ = readRequest(bufio.NewReader(c))
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
		silent(c)
	})
	o := opts(url)
	o.Requests, o.Timeout = 4, 100*time.Millisecond
	sum := mustRun(t, o)
	if sum.Completed != 4 || sum.Failed != 0 {
		t.Errorf("completed %d failures %v; want 4 completed", sum.Completed, sum.Failures)
	}
	checkConsistent(t, sum)
}

func TestOpenLoopKeepAlive(t *testing.T) { bothEngines(t, testOpenLoopKeepAlive) }

func testOpenLoopKeepAlive(t *testing.T) {
	for _, closeAlways := range []bool{false, true} {
		// When the server closes after each answer without saying so, the
		// idle kept connections are closed when the next request comes,
		// which goes again on a new one.
		o := opts(rawServer(t, serveFixed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", closeAlways)))
		o.Rate, o.Requests, o.Concurrency, o.KeepAlive = 1000, 40, 0, true
		sum := mustRun(t, o)
		if sum.Sent != 40 || sum.Completed != 40 || sum.Bytes != 40*int64(len("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) {
			t.Errorf("server closes %v: sent %d completed %d bytes %d failures %v", closeAlways, sum.Sent, sum.Completed, sum.Bytes, sum.Failures)
		}
		checkConsistent(t, sum)
	}
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(ents)
}

// settled waits until f() returns at most want, a few seconds at most,
// and returns what it last returned: goroutines that are done may take a
// moment to exit (and those of earlier tests may exit meanwhile).
func settled(want int, f func() int) int {
	got := f()
	for i := 0; got > want && i < 300; i++ {
		time.Sleep(10 * time.Millisecond)
		got = f()
	}
	return got
}

func TestNoLeaks(t *testing.T) { bothEngines(t, testNoLeaks) }

func testNoLeaks(t *testing.T) {
	runs := map[string]func(t *testing.T, url string){
		"closed": func(t *testing.T, url string) { mustRun(t, opts(url)) },
		"closed keepalive": func(t *testing.T, url string) {
			o := opts(url)
			o.KeepAlive = true
			mustRun(t, o)
		},
		"open keepalive": func(t *testing.T, url string) {
			o := opts(url)
			o.Rate, o.Concurrency, o.KeepAlive = 2000, 0, true
			mustRun(t, o)
		},
		"cancelled": func(t *testing.T, url string) {
			o := opts(url + "silent")
			o.Requests, o.Timeout = 0, time.Hour
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			if _, err := Run(ctx, o, nil); !errors.Is(err, context.Canceled) {
				t.Errorf("Run: %v, want context.Canceled", err)
			}
		},
	}
	serve := func(t *testing.T) string {
		return rawServer(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			l, _ := br.Peek(12)
			if strings.HasPrefix(string(l), "GET /silent") {
				silent(c)
				return
			}
			serveFixed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)(&bufConn{c, br})
		})
	}
	t.Run("warm up", func(t *testing.T) { mustRun(t, opts(serve(t))) }) // the runtime's own descriptors
	for name, run := range runs {
		fds, gs := openFDs(t), runtime.NumGoroutine()
		t.Run(name, func(t *testing.T) { run(t, serve(t)) })
		if got := settled(fds, func() int { return openFDs(t) }); got > fds {
			t.Errorf("%s: %d descriptors open after the run, %d before", name, got, fds)
		}
		if got := settled(gs, runtime.NumGoroutine); got > gs {
			t.Errorf("%s: %d goroutines after the run, %d before", name, got, gs)
		}
	}
}

// bufConn is a net.Conn whose reads go through br (which may hold bytes
// already).
type bufConn struct {
	net.Conn
	br *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.br.Read(p) }
