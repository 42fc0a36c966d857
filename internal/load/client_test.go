package load

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestServers(t *testing.T) { bothEngines(t, testServers) }

func testServers(t *testing.T) {
	var n atomic.Int64
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			w.Header().Set("x-real-server", "rs01") // any case
		case 1:
			w.Header().Set(ServerHeader, "rs02")
		}
		_, _ = w.Write([]byte("ok\n"))
	}), false)
	o := opts(s.URL)
	o.Requests = 30
	sum := mustRun(t, o)
	want := map[string]int64{"rs01": 10, "rs02": 10, Unnamed: 10}
	if fmt.Sprint(sum.Servers) != fmt.Sprint(want) {
		t.Errorf("servers %v, want %v", sum.Servers, want)
	}
	checkConsistent(t, sum)
}

func TestServersBounded(t *testing.T) { bothEngines(t, testServersBounded) }

func testServersBounded(t *testing.T) {
	var n atomic.Int64
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(ServerHeader, fmt.Sprintf("rs%d", n.Add(1)))
	}), false)
	o := opts(s.URL)
	o.Requests, o.KeepAlive = MaxServers+50, true
	sum := mustRun(t, o)
	if len(sum.Servers) != MaxServers+1 || sum.Servers[OtherServers] != 50 {
		t.Errorf("%d server names, %d under %s; want %d, 50", len(sum.Servers), sum.Servers[OtherServers], OtherServers, MaxServers+1)
	}
	checkConsistent(t, sum)
}

// failing runs 4 requests against url and checks that all of them failed
// by cause.
func failing(t *testing.T, o Options, cause string) Summary {
	t.Helper()
	o.Requests = 4
	sum := mustRun(t, o)
	if sum.Sent != 4 || sum.Completed != 0 || sum.Failures[cause] != 4 {
		t.Errorf("sent %d completed %d failures %v; want 4 %s", sum.Sent, sum.Completed, sum.Failures, cause)
	}
	checkConsistent(t, sum)
	return sum
}

func TestCauses(t *testing.T) { bothEngines(t, testCauses) }

func testCauses(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String() + "/"
		ln.Close()
		failing(t, opts(url), CauseRefused)
	})
	t.Run("reset by RST", func(t *testing.T) {
		failing(t, opts(rawServer(t, func(c net.Conn) {
			_, _ = readRequest(bufio.NewReader(c))
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		})), CauseReset)
	})
	t.Run("reset by close before answering", func(t *testing.T) {
		failing(t, opts(rawServer(t, func(c net.Conn) {
			_, _ = readRequest(bufio.NewReader(c))
			c.Close()
		})), CauseReset)
	})
	t.Run("reset in the middle of the body", func(t *testing.T) {
		failing(t, opts(rawServer(t, serveFixed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true))), CauseReset)
	})
	t.Run("timeout", func(t *testing.T) {
		o := opts(rawServer(t, silent))
		o.Timeout = 200 * time.Millisecond
		failing(t, o, CauseTimeout)
	})
	t.Run("timeout connecting", func(t *testing.T) {
		o := opts(fullListener(t))
		o.Timeout = 200 * time.Millisecond
		failing(t, o, CauseTimeout)
	})
	t.Run("non-2xx", func(t *testing.T) {
		s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}), false)
		sum := failing(t, opts(s.URL), CauseStatus)
		if sum.Statuses["503"] != 4 {
			t.Errorf("statuses %v, want 503: 4", sum.Statuses)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		failing(t, opts(rawServer(t, serveFixed("SMTP ready\r\n\r\n", true))), CauseOther)
	})
}

func TestKeepAlive(t *testing.T) { bothEngines(t, testKeepAlive) }

func testKeepAlive(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprint("keepalive=", keep), func(t *testing.T) {
			s := newServer(t, okHandler, false)
			o := opts(s.URL)
			o.KeepAlive = keep
			sum := mustRun(t, o)
			if sum.Completed != 20 || sum.KeepAlive != keep {
				t.Fatalf("completed %d keepalive %v, want 20 %v", sum.Completed, sum.KeepAlive, keep)
			}
			conns := s.conns.Load()
			if !keep && conns != 20 {
				t.Errorf("%d connections for 20 requests without keep-alive", conns)
			}
			if keep && conns > 2 {
				t.Errorf("%d connections for concurrency 2 with keep-alive", conns)
			}
		})
	}
}

func TestKeepAliveServerCloses(t *testing.T) { bothEngines(t, testKeepAliveServerCloses) }

func testKeepAliveServerCloses(t *testing.T) {
	// The server closes after each answer without saying so: the kept
	// connection fails before any byte of the next answer, and the request
	// goes again on a new one.
	o := opts(rawServer(t, serveFixed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)))
	o.KeepAlive = true
	sum := mustRun(t, o)
	if sum.Completed != 20 {
		t.Errorf("completed %d of 20, failures %v", sum.Completed, sum.Failures)
	}
}

func TestBodies(t *testing.T) { bothEngines(t, testBodies) }

func testBodies(t *testing.T) {
	big := strings.Repeat("x", 3*bufSize+17)
	cases := map[string]string{
		"content-length":      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"chunked":             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n" + fmt.Sprintf("%x", len(big)) + ";ext=1\r\n" + big + "\r\n0\r\nTrailer: x\r\n\r\n",
		"chunked, mixed case": "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
		"until close":         "HTTP/1.0 200 OK\r\nX-Real-Server: rs09\r\n\r\n" + big,
		"100 continue first":  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"big header":          "HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("p", bufSize-100) + "\r\nContent-Length: 0\r\n\r\n",
	}
	for name, answer := range cases {
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s keepalive=%v", name, keep), func(t *testing.T) {
				o := opts(rawServer(t, serveFixed(answer, strings.HasPrefix(answer, "HTTP/1.0"))))
				o.KeepAlive = keep
				sum := mustRun(t, o)
				if sum.Completed != 20 || sum.Bytes != int64(20*len(answer)) {
					t.Errorf("completed %d bytes %d failures %v; want 20, %d", sum.Completed, sum.Bytes, sum.Failures, 20*len(answer))
				}
				checkConsistent(t, sum)
			})
		}
	}
	t.Run("chunked from net/http", func(t *testing.T) {
		s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			for range 3 {
				_, _ = w.Write([]byte(big))
				w.(http.Flusher).Flush()
			}
		}), false)
		o := opts(s.URL)
		o.KeepAlive = true
		if sum := mustRun(t, o); sum.Completed != 20 || s.conns.Load() > 2 {
			t.Errorf("completed %d on %d connections, failures %v", sum.Completed, s.conns.Load(), sum.Failures)
		}
	})
	t.Run("header too long", func(t *testing.T) {
		answer := "HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("p", bufSize) + "\r\n\r\n"
		failing(t, opts(rawServer(t, serveFixed(answer, true))), CauseOther)
	})
}

func TestRequestBytes(t *testing.T) { bothEngines(t, testRequestBytes) }

func testRequestBytes(t *testing.T) {
	got := make(chan string, 1)
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		b := make([]byte, 4096)
		n, _ := c.Read(b)
		select {
		case got <- string(b[:n]):
		default:
		}
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	})
	o := opts(url + "index.php?a=1")
	o.Requests, o.Host = 1, "www.lab"
	mustRun(t, o)
	want := "GET /index.php?a=1 HTTP/1.1\r\nHost: www.lab\r\nUser-Agent: lvslab-load\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if r := <-got; r != want {
		t.Errorf("request %q, want %q", r, want)
	}
}

func TestHTTPS(t *testing.T) {
	var host, sni atomic.Value
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host.Store(r.Host)
		sni.Store(r.TLS.ServerName)
		w.Header().Set(ServerHeader, "rs01")
	}), true)
	o := opts(s.URL)
	o.Host = "www.lab:8443"
	sum := mustRun(t, o)
	if sum.Completed != 20 || sum.Servers["rs01"] != 20 {
		t.Fatalf("completed %d servers %v failures %v", sum.Completed, sum.Servers, sum.Failures)
	}
	if host.Load() != "www.lab:8443" || sni.Load() != "www.lab" {
		t.Errorf("Host %v, server name %v; want www.lab:8443, www.lab", host.Load(), sni.Load())
	}
}

func TestResolveError(t *testing.T) {
	o := opts("http://no-such-host.invalid/")
	if _, err := Run(context.Background(), o, nil); err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Errorf("Run against an unknown name: %v", err)
	}
}
