// Command summary turns the raw measurements of bench/run (results.tsv, the
// tools' outputs, floor.jsonl, meta.txt in one work directory) into the
// Markdown report: medians, ratios side by side, controller CPU and peak RSS,
// SSH connections per host, the floor, and the targets.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/inventory"
)

// row is one measured run.
type row struct {
	scen, tool, variant, phase string
	n, run                     int
	wall, cpu                  float64
	rssKB                      float64
	connMin, connMax           int
	rc                         int
	out                        string
	changed, failed            int
	bigMS                      []float64 // lvslab: the 64 MiB copy task's duration per host
	hostCPU, load              float64   // CPU of the hosts' sshd processes; 1-minute load average before
	sessMin, sessMax           int       // SSH sessions per host ("Starting session" lines)
}

type floorRun struct {
	Label          string  `json:"label"`
	Hosts          int     `json:"hosts"`
	Tasks          int     `json:"tasks"`
	WallMS         float64 `json:"wall_ms"`
	HandshakeMedMS float64 `json:"handshake_median_ms"`
	SessionMedMS   float64 `json:"session_median_ms"`
	HostsCPU       float64 `json:"hosts_cpu_s"` // CPU of the hosts' sshd processes during the run
	Uploads        []struct {
		Packet      int     `json:"packet"`
		Concurrency int     `json:"concurrency"`
		MiBps       float64 `json:"mib_per_s"`
	} `json:"uploads"`
}

type key struct {
	scen, tool, variant, phase string
	n                          int
}

// group is the runs of one configuration.
type group struct {
	rows []row
}

func (g *group) med(f func(row) float64) float64 {
	v := make([]float64, 0, len(g.rows))
	for _, r := range g.rows {
		v = append(v, f(r))
	}
	return median(v)
}

func (g *group) max(f func(row) float64) float64 {
	m := 0.0
	for _, r := range g.rows {
		m = max(m, f(r))
	}
	return m
}

func main() {
	work := flag.String("work", "", "bench/run's work directory")
	labHosts := flag.String("lab-hosts", "", "print the HOST:PORT of every host of this inventory, one a line")
	labTasks := flag.String("lab-tasks", "", "with -lab-hosts: print HOST:PORT=N, N the tasks that ran on the host in this lvslab JSON output")
	flag.Parse()
	var err error
	switch {
	case *labHosts != "":
		err = printLabHosts(os.Stdout, *labHosts, *labTasks)
	default:
		err = run(*work, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
}

func labRows(groups map[key]*group) []row {
	var out []row
	for k, g := range groups {
		if k.scen == "lab" {
			out = append(out, g.rows...)
		}
	}
	slices.SortFunc(out, func(a, b row) int {
		if a.run != b.run {
			return a.run - b.run
		}
		return strings.Compare(a.variant, b.variant)
	})
	return out
}

var ansibleRecap = regexp.MustCompile(`(?m)^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)`)

func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 13 {
			continue
		}
		r := row{scen: c[0], tool: c[2], variant: c[3], phase: c[4], out: c[12]}
		r.n, _ = strconv.Atoi(c[1])
		r.run, _ = strconv.Atoi(c[5])
		r.wall, _ = strconv.ParseFloat(c[6], 64)
		r.cpu, _ = strconv.ParseFloat(c[7], 64)
		r.rssKB, _ = strconv.ParseFloat(c[8], 64)
		r.connMin, _ = strconv.Atoi(c[9])
		r.connMax, _ = strconv.Atoi(c[10])
		r.rc, _ = strconv.Atoi(c[11])
		if len(c) >= 15 {
			r.hostCPU, _ = strconv.ParseFloat(c[13], 64)
			r.load, _ = strconv.ParseFloat(c[14], 64)
		}
		if len(c) >= 17 {
			r.sessMin, _ = strconv.Atoi(c[15])
			r.sessMax, _ = strconv.Atoi(c[16])
		}
		parseOutput(&r)
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// parseOutput reads changed/failed from the tool's recap and, for lvslab,
// the big file's copy durations.
func parseOutput(r *row) {
	b, err := os.ReadFile(r.out)
	if err != nil {
		return
	}
	if r.tool == "ansible" {
		for _, m := range ansibleRecap.FindAllStringSubmatch(string(b), -1) {
			ch, _ := strconv.Atoi(m[2])
			un, _ := strconv.Atoi(m[3])
			fa, _ := strconv.Atoi(m[4])
			r.changed += ch
			r.failed += un + fa
		}
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var ev struct {
			Event      string                    `json:"event"`
			Task       string                    `json:"task"`
			DurationMS float64                   `json:"duration_ms"`
			Hosts      map[string]map[string]int `json:"hosts"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil {
			continue
		}
		switch {
		case ev.Event == "result" && ev.Task == "big file":
			r.bigMS = append(r.bigMS, ev.DurationMS)
		case ev.Event == "recap":
			for _, h := range ev.Hosts {
				r.changed += h["changed"]
				r.failed += h["failed"] + h["unreachable"]
			}
		}
	}
}

func readFloors(path string) ([]floorRun, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []floorRun
	for _, line := range strings.Split(string(b), "\n") {
		var f floorRun
		if json.Unmarshal([]byte(line), &f) == nil {
			out = append(out, f)
		}
	}
	return out, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medOr(g *group, f func(row) float64) float64 {
	if g == nil {
		return 0
	}
	return g.med(f)
}

// medS prints a group's median wall time and its best run.
func medS(g *group) string {
	if g == nil {
		return "—"
	}
	best := g.rows[0].wall
	for _, r := range g.rows {
		best = min(best, r.wall)
	}
	if len(g.rows) == 1 {
		return secs(best)
	}
	return fmt.Sprintf("%s (%s)", secs(g.med(func(r row) float64 { return r.wall })), secs(best))
}

func secs(s float64) string {
	if s == 0 {
		return "—"
	}
	if s < 10 {
		return fmt.Sprintf("%.3f s", s)
	}
	return fmt.Sprintf("%.1f s", s)
}

func ratio(a, b *group) string {
	if a == nil || b == nil {
		return "—"
	}
	wall := func(r row) float64 { return r.wall }
	return ratioF(a.med(wall), b.med(wall))
}

func ratioF(a, b float64) string {
	if a == 0 || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f×", a/b)
}

// span prints a min–max range, once when they are equal.
func span(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// compact prints a list of equal values once.
func compact(v []string) string {
	u := slices.Compact(slices.Clone(v))
	if len(u) == 1 {
		return u[0]
	}
	return strings.Join(v, ", ")
}

// printLabHosts prints HOST:PORT of every host of the inventory, or with
// tasksFrom HOST:PORT=N where N counts the results of the host in that lvslab
// JSON output that did a round trip: loop items that ran, and other results
// that were not skipped and took at least 1 ms (debug, set_fact and assert
// take none).
func printLabHosts(w io.Writer, invPath, tasksFrom string) error {
	inv, err := inventory.Load(invPath)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	if tasksFrom != "" {
		b, err := os.ReadFile(tasksFrom)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			var ev struct {
				Event      string  `json:"event"`
				Host       string  `json:"host"`
				Status     string  `json:"status"`
				DurationMS float64 `json:"duration_ms"`
				Item       any     `json:"item"`
			}
			if json.Unmarshal([]byte(line), &ev) != nil || ev.Event != "result" || ev.Status == "skipped" {
				continue
			}
			if ev.Item != nil || ev.DurationMS >= 1 {
				counts[ev.Host]++
			}
		}
	}
	for _, h := range inv.Hosts() {
		v := inv.HostVars(h)
		addr := h
		if a, ok := v["ansible_host"].(string); ok && a != "" {
			addr = a
		}
		port := "22"
		if p, ok := v["ansible_port"]; ok {
			port = fmt.Sprint(p)
		}
		hp := net.JoinHostPort(addr, port)
		if tasksFrom != "" {
			fmt.Fprintf(w, "%s=%d\n", hp, counts[h])
		} else {
			fmt.Fprintln(w, hp)
		}
	}
	return nil
}
