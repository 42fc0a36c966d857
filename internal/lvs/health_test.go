package lvs

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestHealthCommandAgainstRealSockets runs the probe script in a real shell
// against a server that answers HTTP, a closed port and a port that accepts
// but never answers.
func TestHealthCommandAgainstRealSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test waits out the probe's timeout against a silent port")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer web.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	port := func(a net.Addr) int { return a.(*net.TCPAddr).Port }
	servers := []Server{{Name: "rs01", Addr: "127.0.0.1"}}
	ports := []int{port(web.Listener.Addr()), closedPort, port(silent.Addr())}
	out, err := exec.Command("bash", "-c", HealthCommand(servers, ports)).CombinedOutput()
	if err != nil {
		t.Fatalf("probe script: %v\n%s", err, out)
	}
	hs := ParseHealth(string(out), servers, ports)
	if len(hs) != 3 {
		t.Fatalf("got %d results, want 3: %+v", len(hs), hs)
	}
	if !hs[0].Up || !strings.HasPrefix(hs[0].Answer, "HTTP/1.0 200") {
		t.Errorf("web server: %+v, want up with HTTP/1.0 200\n%s", hs[0], out)
	}
	if hs[1].Up || hs[1].Answer != "connection refused" {
		t.Errorf("closed port: %+v, want DOWN, connection refused", hs[1])
	}
	if hs[2].Up || !strings.Contains(hs[2].Answer, "no answer in") {
		t.Errorf("silent port: %+v, want DOWN, no answer", hs[2])
	}
	down := Down(hs)
	if len(down) != 2 || !strings.Contains(down[0], "rs01 (127.0.0.1) port "+strconv.Itoa(closedPort)) {
		t.Errorf("Down = %q", down)
	}
	table := HealthTable(hs).String()
	if strings.Count(table, "DOWN") != 2 || strings.Count(table, " up ") != 1 {
		t.Errorf("table:\n%s", table)
	}
}

func TestParseHealthMissingProbe(t *testing.T) {
	servers := []Server{{Name: "rs01", Addr: "10.0.0.2"}, {Name: "rs02", Addr: "10.0.0.3"}}
	hs := ParseHealth(markHealth+" 10.0.0.2 80 0 HTTP/1.1 200 OK\r\n", servers, []int{80})
	if !hs[0].Up || hs[0].Answer != "HTTP/1.1 200 OK" {
		t.Errorf("rs01: %+v", hs[0])
	}
	if hs[1].Up || hs[1].Server != "rs02" || hs[1].Answer != "no probe result" {
		t.Errorf("rs02: %+v", hs[1])
	}
}
