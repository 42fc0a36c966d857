package lvs

import (
	"fmt"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// markHealth starts each line of HealthCommand's output.
const markHealth = "@@lvslab-health"

// healthTimeout bounds each probe of HealthCommand, in seconds.
const healthTimeout = 3

// Health is what a real server answered on one port when the director asked
// it directly (not through the VIP), as IPVS reaches it.
type Health struct {
	Server string // inventory name
	Addr   string // rip
	Port   int
	Up     bool   // an HTTP status line came back
	Answer string // the status line, or why there was none
}

// HealthCommand asks every real server, from the director and all at once,
// for `HEAD /` on each port: nginx answers with a status line even on 443
// (400, plain HTTP to an HTTPS port), so a line means nginx is up there.
// Each probe gives up after healthTimeout seconds.
func HealthCommand(servers []Server, ports []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "h() { r=$(timeout %d bash -c 'exec 3<>\"/dev/tcp/$1/$2\" || exit 7; "+
		"printf \"HEAD / HTTP/1.0\\r\\n\\r\\n\" >&3; IFS= read -r l <&3; printf %%s \"$l\"' _ \"$1\" \"$2\" 2>&1); "+
		"echo \"%s $1 $2 $? $r\"; }\n", healthTimeout, markHealth)
	for _, s := range servers {
		for _, p := range ports {
			fmt.Fprintf(&b, "h %s %d &\n", host.Quote(s.Addr), p)
		}
	}
	b.WriteString("wait\n")
	return b.String()
}

// ParseHealth reads HealthCommand's output, in the order of servers and
// ports; a probe missing from the output is reported as not answered.
func ParseHealth(out string, servers []Server, ports []int) []Health {
	type key struct {
		addr string
		port int
	}
	got := map[key]Health{}
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), markHealth+" ")
		if !ok {
			continue
		}
		f := strings.SplitN(rest, " ", 4)
		if len(f) < 3 {
			continue
		}
		port, err1 := strconv.Atoi(f[1])
		rc, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		answer := ""
		if len(f) == 4 {
			answer = strings.TrimSpace(f[3])
		}
		got[key{f[0], port}] = probeResult(rc, answer)
	}
	var hs []Health
	for _, s := range servers {
		for _, p := range ports {
			h, ok := got[key{s.Addr, p}]
			if !ok {
				h = Health{Answer: "no probe result"}
			}
			h.Server, h.Addr, h.Port = s.Name, s.Addr, p
			hs = append(hs, h)
		}
	}
	return hs
}

// probeResult reads one probe's exit code and output.
func probeResult(rc int, out string) Health {
	switch {
	case rc == 0 && strings.HasPrefix(out, "HTTP/"):
		return Health{Up: true, Answer: out}
	case rc == 124:
		return Health{Answer: fmt.Sprintf("no answer in %d s", healthTimeout)}
	case strings.Contains(out, "Connection refused"):
		return Health{Answer: "connection refused"}
	case strings.Contains(out, "No route to host"):
		return Health{Answer: "no route to host"}
	case rc == 0 && out == "":
		return Health{Answer: "connection closed without an answer"}
	case rc == 0:
		return Health{Answer: "not HTTP: " + firstLines(out, 1)}
	}
	return Health{Answer: fmt.Sprintf("probe failed (exit %d): %s", rc, firstLines(out, 1))}
}

// HealthTable renders the probes.
func HealthTable(hs []Health) *Table {
	t := NewTable("real server", "address", "port", "state", "answer")
	t.AlignRight(2)
	for _, h := range hs {
		state := "up"
		if !h.Up {
			state = "DOWN"
		}
		t.Add(h.Server, h.Addr, strconv.Itoa(h.Port), state, h.Answer)
	}
	return t
}

// Down lists the probes that found no server answering, as sentences.
func Down(hs []Health) []string {
	var down []string
	for _, h := range hs {
		if !h.Up {
			down = append(down, fmt.Sprintf("real server %s (%s) port %d: %s", h.Server, h.Addr, h.Port, h.Answer))
		}
	}
	return down
}
