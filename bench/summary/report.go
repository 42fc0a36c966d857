package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// data is everything one bench/run measured.
type data struct {
	groups map[key]*group
	floors []floorRun
	sizes  []int    // host counts of the 20-task runs
	lvs    []string // lvslab variants: "-" (this tree), "sessions", "proposed", "base" (--base REV)
}

func (d *data) get(scen, tool, variant, phase string, n int) *group {
	return d.groups[key{scen, tool, variant, phase, n}]
}

// floor is the median of f over the floor runs labelled label on n hosts.
func (d *data) floor(label string, n int, f func(floorRun) float64) float64 {
	var v []float64
	for _, fr := range d.floors {
		if fr.Label == label && fr.Hosts == n {
			v = append(v, f(fr))
		}
	}
	return median(v)
}

func wall(r row) float64 { return r.wall }

func floorWall(f floorRun) float64 { return f.WallMS / 1000 }

// lvName names an lvslab variant in the tables.
func lvName(v string) string {
	switch v {
	case "proposed":
		return "lvslab+proposals"
	case "sessions":
		return "lvslab --session-per-task"
	case "base":
		return "lvslab (base)"
	}
	return "lvslab"
}

// perTask is the cost of one task, and the floor's, in ms: (20-task rerun −
// 1-task run) / 19, and the same for true40.yml.
type perTask struct{ mix, floorMix, tru, floorTrue float64 }

func (d *data) perTask(v string, n int) perTask {
	lv20, lv1 := d.get("tasks20", "lvslab", v, "rerun", n), d.get("one", "lvslab", v, "rerun", n)
	lv40 := d.get("true40", "lvslab", v, "rerun", n)
	fw := func(f floorRun) float64 { return f.WallMS }
	return perTask{
		mix:       (medOr(lv20, wall) - medOr(lv1, wall)) * 1000 / 19,
		floorMix:  (d.floor("tasks20", n, fw) - d.floor("tasks1", n, fw)) / 19,
		tru:       (medOr(lv40, wall) - medOr(lv1, wall)) * 1000 / 39,
		floorTrue: (d.floor("tasks40", n, fw) - d.floor("tasks1", n, fw)) / 39,
	}
}

// uploadRate is the 64 MiB copy's rate to one host, from the task's own
// duration, median over runs.
func (d *data) uploadRate(v string) float64 {
	g := d.get("files", "lvslab", v, "first", 1)
	if g == nil {
		return 0
	}
	var rates []float64
	for _, r := range g.rows {
		for _, ms := range r.bigMS {
			rates = append(rates, 64/(ms/1000))
		}
	}
	return median(rates)
}

func run(work string, w io.Writer) error {
	rows, err := readRows(filepath.Join(work, "results.tsv"))
	if err != nil {
		return err
	}
	floors, err := readFloors(filepath.Join(work, "floor.jsonl"))
	if err != nil {
		return err
	}
	meta, _ := os.ReadFile(filepath.Join(work, "meta.txt"))
	d := &data{groups: map[key]*group{}, floors: floors}
	for _, r := range rows {
		k := key{r.scen, r.tool, r.variant, r.phase, r.n}
		if d.groups[k] == nil {
			d.groups[k] = &group{}
		}
		d.groups[k].rows = append(d.groups[k].rows, r)
		if r.scen == "tasks20" && !slices.Contains(d.sizes, r.n) {
			d.sizes = append(d.sizes, r.n)
		}
		if r.tool == "lvslab" && !slices.Contains(d.lvs, r.variant) {
			d.lvs = append(d.lvs, r.variant)
		}
	}
	slices.Sort(d.sizes)
	slices.Sort(d.lvs) // "-" first
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }

	p("## Setup\n\n```\n%s```\n\n", meta)
	p("Wall times are medians over the runs, with the best run in brackets; ratios are of medians. ")
	p("\"first\" is a run on clean hosts, \"rerun\" the converged run right after it (nothing to change). ")
	p("lvslab is this tree")
	if slices.Contains(d.lvs, "sessions") {
		p("; lvslab --session-per-task is the same binary with a new SSH session for every command, as Ansible, instead of one bash per host that runs them")
	}
	if slices.Contains(d.lvs, "proposed") {
		p("; lvslab+proposals is this tree with bench/proposals/*.patch applied (changes to internal/host and internal/module)")
	}
	if slices.Contains(d.lvs, "base") {
		p("; lvslab (base) is lvslab built at the revision given to bench/run --base, running that revision's own benchmark playbooks")
	}
	p(". ")
	p("The floor is bench/floor, a Go program on x/crypto/ssh alone: one handshake per host (host key checked), ")
	p("then one session running `true` per task, hosts in parallel, no barrier between tasks, no module logic; ")
	p("\"floor+qa\" is the same with TCP_QUICKACK re-armed after every read. Floor runs are interleaved with the tools' runs.\n\n")

	d.tasks20(p)
	d.perTaskTable(p)
	d.resources(p)
	d.files(p)
	d.lab(p)
	d.targets(p)
	return nil
}

func (d *data) tasks20(p func(string, ...any)) {
	p("### 20 tasks (5 directories, 6 small files, 2 modes, 5 commands, 2 shell)\n\n")
	head := "| hosts | run | floor | floor+qa |"
	sep := "|---:|---|---:|---:|"
	for _, v := range d.lvs {
		head += " " + lvName(v) + " |"
		sep += "---:|"
	}
	head += " ansible fastest | ansible defaults |"
	sep += "---:|---:|"
	for _, v := range d.lvs {
		head += " fastest / " + lvName(v) + " |"
		sep += "---:|"
	}
	head += " defaults / lvslab | lvslab / floor |"
	sep += "---:|---:|"
	p("%s\n%s\n", head, sep)
	for _, n := range d.sizes {
		fl := d.floor("tasks20", n, floorWall)
		fq := d.floor("tasks20-quickack", n, floorWall)
		for _, ph := range []string{"first", "rerun"} {
			af := d.get("tasks20", "ansible", "fast", ph, n)
			ad := d.get("tasks20", "ansible", "default", ph, n)
			line := fmt.Sprintf("| %d | %s | %s | %s |", n, ph, secs(fl), secs(fq))
			for _, v := range d.lvs {
				line += " " + medS(d.get("tasks20", "lvslab", v, ph, n)) + " |"
			}
			line += fmt.Sprintf(" %s | %s |", medS(af), medS(ad))
			for _, v := range d.lvs {
				line += " " + ratio(af, d.get("tasks20", "lvslab", v, ph, n)) + " |"
			}
			lv := d.get("tasks20", "lvslab", "-", ph, n)
			line += fmt.Sprintf(" %s | %s |", ratio(ad, lv), ratioF(medOr(lv, wall), fl))
			p("%s\n", line)
		}
	}
	p("\n")
}

func (d *data) perTaskTable(p func(string, ...any)) {
	p("### Cost per task (converged), against the floor\n\n")
	p("Per task = (20-task rerun − 1-task run) / 19: process start, parsing and the handshakes cancel out; the floor's is the same difference for the floor program. ")
	p("\"true\": the same for 40 tasks of `command: true` (bench/playbooks/true40.yml, (40-task − 1-task) / 39), which do nothing but the round trip: ")
	p("lvslab's own cost per task (runner, transport, report) against the floor's bare session. The 20-task mix also pays for the work its tasks do on the host (stat, sha256sum, the commands).\n\n")
	p("Hosts CPU per task: the same differences of the hosts' CPU (sshd, the shells and everything they start), the hosts being on the controller's CPUs.\n\n")
	p("| hosts | tool | 20 tasks | 1 task | per task | floor per task | ratio | per true | floor per true | ratio | hosts CPU per task | floor's | floor handshake median |\n")
	p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range d.sizes {
		for _, v := range d.lvs {
			pt := d.perTask(v, n)
			hcpu := func(r row) float64 { return r.hostCPU }
			lvCPU := (medOr(d.get("tasks20", "lvslab", v, "rerun", n), hcpu) - medOr(d.get("one", "lvslab", v, "rerun", n), hcpu)) * 1000 / 19 / float64(n)
			fCPU := (d.floor("tasks20", n, func(f floorRun) float64 { return f.HostsCPU }) -
				d.floor("tasks1", n, func(f floorRun) float64 { return f.HostsCPU })) * 1000 / 19 / float64(n)
			p("| %d | %s | %s | %s | %.1f ms | %.1f ms | %.2f | %.1f ms | %.1f ms | %.2f | %.2f ms | %.2f ms | %.0f ms |\n", n, lvName(v),
				medS(d.get("tasks20", "lvslab", v, "rerun", n)), medS(d.get("one", "lvslab", v, "rerun", n)),
				pt.mix, pt.floorMix, pt.mix/pt.floorMix, pt.tru, pt.floorTrue, pt.tru/pt.floorTrue, lvCPU, fCPU,
				d.floor("tasks20", n, func(f floorRun) float64 { return f.HandshakeMedMS }))
		}
		af20, af1 := d.get("tasks20", "ansible", "fast", "rerun", n), d.get("one", "ansible", "fast", "rerun", n)
		if af20 != nil && af1 != nil {
			pt := d.perTask("-", n)
			per := (medOr(af20, wall) - medOr(af1, wall)) * 1000 / 19
			hcpu := func(r row) float64 { return r.hostCPU }
			aCPU := (medOr(af20, hcpu) - medOr(af1, hcpu)) * 1000 / 19 / float64(n)
			p("| %d | ansible fastest | %s | %s | %.0f ms | %.1f ms | %.0f | | | | %.1f ms | | |\n", n, medS(af20), medS(af1), per, pt.floorMix, per/pt.floorMix, aCPU)
		}
	}
	p("\n")
}

func (d *data) resources(p func(string, ...any)) {
	p("### Controller and host resources, SSH connections and sessions\n\n")
	p("CPU: the run's whole process tree (a cpuacct cgroup: ansible's forks and ssh ControlMasters included), median. ")
	p("Hosts CPU: what the hosts' sshd processes and everything they forked used meanwhile (the hosts share the controller's 2 CPUs), median. ")
	p("Peak RSS: the largest single process (/usr/bin/time -v), max over the runs. ")
	p("Connections and sessions: \"Accepted publickey\" and \"Starting session\" lines in each host's sshd log during the run, min–max over hosts and runs. ")
	p("Load: the 1-minute load average before the run, median (other work on the machine).\n\n")
	p("| scenario | hosts | tool | run | wall | CPU | hosts CPU | peak RSS | SSH connections per host | sessions per host | changed (sum over hosts, per run) | load | runs |\n")
	p("|---|---:|---|---|---:|---:|---:|---:|---|---|---|---:|---:|\n")
	var keys []key
	for k := range d.groups {
		keys = append(keys, k)
	}
	order := map[string]int{"tasks20": 0, "one": 1, "true40": 2, "files": 3, "lab": 4}
	slices.SortFunc(keys, func(a, b key) int {
		if c := order[a.scen] - order[b.scen]; c != 0 {
			return c
		}
		if a.n != b.n {
			return a.n - b.n
		}
		if c := strings.Compare(a.tool, b.tool); c != 0 {
			return -c // lvslab first
		}
		if c := strings.Compare(a.variant, b.variant); c != 0 {
			return c
		}
		return strings.Compare(a.phase, b.phase)
	})
	for _, k := range keys {
		g := d.groups[k]
		tool := k.tool
		switch {
		case k.tool == "lvslab":
			tool = lvName(k.variant)
		case k.variant != "-":
			tool += " " + k.variant
		}
		cmin, cmax, smin, smax := 1<<30, 0, 1<<30, 0
		var ch []string
		for _, r := range g.rows {
			cmin, cmax = min(cmin, r.connMin), max(cmax, r.connMax)
			smin, smax = min(smin, r.sessMin), max(smax, r.sessMax)
			ch = append(ch, strconv.Itoa(r.changed))
		}
		conns, sess := span(cmin, cmax), span(smin, smax)
		if k.scen == "lab" {
			conns, sess = "—", "—"
		}
		p("| %s | %d | %s | %s | %s | %.2f s | %.2f s | %.1f MiB | %s | %s | %s | %.1f | %d |\n", k.scen, k.n, tool, k.phase, medS(g),
			g.med(func(r row) float64 { return r.cpu }), g.med(func(r row) float64 { return r.hostCPU }),
			g.max(func(r row) float64 { return r.rssKB })/1024, conns, sess, compact(ch),
			g.med(func(r row) float64 { return r.load }), len(g.rows))
	}
	p("\n")
}

func (d *data) files(p func(string, ...any)) {
	var sizes []int
	for k := range d.groups {
		if k.scen == "files" && !slices.Contains(sizes, k.n) {
			sizes = append(sizes, k.n)
		}
	}
	if len(sizes) == 0 {
		return
	}
	slices.Sort(sizes)
	p("### 10 templates and one 64 MiB file\n\n")
	d.filesTable(p, sizes)
	p("\n64 MiB upload to one host, from the copy task's own duration (local read and sha256, probe, guard session, SFTP write, fsync, chmod, rename), median:")
	for _, v := range d.lvs {
		p(" %s **%.0f MiB/s**;", lvName(v), d.uploadRate(v))
	}
	p("\n\n")
	d.floorUploads(p)
}

// filesTable is the files scenario's times per number of hosts, first run
// and rerun, lvslab's against ansible's fastest.
func (d *data) filesTable(p func(string, ...any), sizes []int) {
	head, sep := "| hosts | run |", "|---:|---|"
	for _, v := range d.lvs {
		head += " " + lvName(v) + " |"
		sep += "---:|"
	}
	head += " ansible fastest |"
	sep += "---:|"
	for _, v := range d.lvs {
		head += " fastest / " + lvName(v) + " | " + lvName(v) + " peak RSS |"
		sep += "---:|---:|"
	}
	p("%s\n%s\n", head, sep)
	for _, n := range sizes {
		for _, ph := range []string{"first", "rerun"} {
			af := d.get("files", "ansible", "fast", ph, n)
			line := fmt.Sprintf("| %d | %s |", n, ph)
			for _, v := range d.lvs {
				line += " " + medS(d.get("files", "lvslab", v, ph, n)) + " |"
			}
			line += " " + medS(af) + " |"
			for _, v := range d.lvs {
				lv := d.get("files", "lvslab", v, ph, n)
				rss := "—"
				if lv != nil {
					rss = fmt.Sprintf("%.0f MiB", lv.max(func(r row) float64 { return r.rssKB })/1024)
				}
				line += fmt.Sprintf(" %s | %s |", ratio(af, lv), rss)
			}
			p("%s\n", line)
		}
	}
}

// floorUploads is the floor's upload rate per SFTP configuration.
func (d *data) floorUploads(p func(string, ...any)) {
	type cfg struct{ packet, conc int }
	var cfgs []cfg
	rates := map[cfg][]float64{}
	for _, fr := range d.floors {
		if fr.Label != "upload" {
			continue
		}
		for _, u := range fr.Uploads {
			c := cfg{u.Packet, u.Concurrency}
			if _, ok := rates[c]; !ok {
				cfgs = append(cfgs, c)
			}
			rates[c] = append(rates[c], u.MiBps)
		}
	}
	if len(cfgs) == 0 {
		return
	}
	p("The floor's uploads (x/crypto/ssh + pkg/sftp: temporary file, write, fsync, rename; SFTP client start included), medians:\n\n")
	p("| SFTP write size | writes in flight | MiB/s | |\n|---:|---:|---:|---|\n")
	for _, c := range cfgs {
		note := ""
		switch c {
		case cfg{32768, 64}:
			note = "pkg/sftp's defaults with UseConcurrentWrites"
		case cfg{261120, 4}:
			note = "lvslab's (with OpenSSH servers: internal/host/upload.go)"
		}
		p("| %d KiB | %d | %.0f | %s |\n", c.packet/1024, c.conc, median(rates[c]), note)
	}
	p("\n")
}

func (d *data) lab(p func(string, ...any)) {
	rows := labRows(d.groups)
	if len(rows) == 0 {
		return
	}
	p("### The local lab: `lvslab up --no-verify`\n\n")
	lf := d.floor("lab", rows[0].n, floorWall)
	p("Floor: one handshake per lab host and one session per task that did a round trip on it in a converged run, from the lab's namespace: %s.\n\n", secs(lf))
	p("| run | tool | wall | vs floor | peak RSS | changed |\n|---|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		p("| %s #%d | %s | %.2f s | %s | %.1f MiB | %d |\n", r.phase, r.run, lvName(r.variant), r.wall, ratioF(r.wall, lf), r.rssKB/1024, r.changed)
	}
	p("\n")
}

func (d *data) targets(p func(string, ...any)) {
	p("### Targets (issue 5)\n\n| target | tool | measured | |\n|---|---|---|---|\n")
	target := func(name, tool, got string, ok bool) {
		mark := "met"
		if !ok {
			mark = "**missed**"
		}
		p("| %s | %s | %s | %s |\n", name, tool, got, mark)
	}
	for _, v := range d.lvs {
		lv, af := d.get("tasks20", "lvslab", v, "rerun", 10), d.get("tasks20", "ansible", "fast", "rerun", 10)
		if lv != nil && af != nil {
			r := medOr(af, wall) / medOr(lv, wall)
			target("converged 20 tasks on 10 hosts: ansible fastest / lvslab ≥ 50", lvName(v),
				fmt.Sprintf("%.0f× (%s vs %s)", r, secs(medOr(af, wall)), secs(medOr(lv, wall))), r >= 50)
		}
		if lv != nil {
			target("converged 20 tasks on 10 hosts: no slower than spot's 0.67 s", lvName(v), medS(lv), medOr(lv, wall) <= 0.67)
		}
	}
	for _, n := range d.sizes {
		for _, v := range d.lvs {
			pt := d.perTask(v, n)
			target(fmt.Sprintf("cost per task ≤ 2× the floor's, 20-task mix, %d hosts", n), lvName(v),
				fmt.Sprintf("%.1f vs %.1f ms = %.2f×", pt.mix, pt.floorMix, pt.mix/pt.floorMix), pt.mix <= 2*pt.floorMix)
			target(fmt.Sprintf("cost per task ≤ 2× the floor's, `command: true`, %d hosts", n), lvName(v),
				fmt.Sprintf("%.1f vs %.1f ms = %.2f×", pt.tru, pt.floorTrue, pt.tru/pt.floorTrue), pt.tru <= 2*pt.floorTrue)
		}
	}
	for _, v := range d.lvs {
		cmin, cmax := 1<<30, 0
		rss20, rssAll := 0.0, 0.0
		for k, g := range d.groups {
			if k.tool != "lvslab" || k.variant != v || k.scen == "lab" {
				continue
			}
			for _, r := range g.rows {
				cmin, cmax = min(cmin, r.connMin), max(cmax, r.connMax)
				rssAll = max(rssAll, r.rssKB/1024)
				if k.scen != "files" {
					rss20 = max(rss20, r.rssKB/1024)
				}
			}
		}
		if cmax == 0 { // the lab alone: no runs on the bench's hosts
			continue
		}
		target("exactly one SSH connection per host per run (every run)", lvName(v), span(cmin, cmax), cmin == 1 && cmax == 1)
		if a, b := d.get("tasks20", "lvslab", v, "rerun", 10), d.get("tasks20", "lvslab", v, "rerun", 50); a != nil && b != nil {
			r := medOr(b, wall) / medOr(a, wall)
			target("50 hosts: wall no worse than linear in hosts (wall 50 / wall 10 ≤ 5)", lvName(v),
				fmt.Sprintf("%.2f (%s vs %s)", r, secs(medOr(b, wall)), secs(medOr(a, wall))), r <= 5)
		}
		target("controller peak RSS ≤ 80 MiB (20-task runs, all sizes)", lvName(v), fmt.Sprintf("%.1f MiB", rss20), rss20 <= 80)
		target("controller peak RSS ≤ 80 MiB (the 64 MiB copy to every size too)", lvName(v), fmt.Sprintf("%.1f MiB", rssAll), rssAll <= 80)
		if up := d.uploadRate(v); up > 0 {
			target("64 MiB upload ≥ 150 MiB/s", lvName(v), fmt.Sprintf("%.0f MiB/s", up), up >= 150)
		}
	}
	if rows := labRows(d.groups); len(rows) > 1 {
		lf := d.floor("lab", rows[0].n, floorWall)
		for _, v := range d.lvs {
			var w []float64
			for _, r := range rows {
				if r.variant == v && r.phase == "rerun" {
					w = append(w, r.wall)
				}
			}
			if len(w) == 0 {
				continue
			}
			m := median(w)
			target("converged lab rerun ≤ floor + 20%", lvName(v), fmt.Sprintf("%s vs %s = %s", secs(m), secs(lf), ratioF(m, lf)), lf > 0 && m <= 1.2*lf)
		}
	}
}
