package module

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// A module asks a host everything it needs to know in ONE inspect command,
// and parseInspection reads that command's output. The output may hold,
// in any order:
//
//   - key=value lines (`echo "active=$(systemctl is-active nginx)"`), read
//     into kv: the last value of each key, and values for every one;
//   - probes, made by probe(name, cmd): a marker line, the command's output
//     exactly, and a line with its exit status, read into out and rc, so
//     that any output (a file, a listing) and whether the command succeeded
//     come back together;
//   - a line contentMark, after which the rest of the output is one file's
//     content, byte for byte (the file writer's probe).
const (
	probeMarker = "@@lvslab:"
	contentMark = "--lvslab-content--"
)

// probe returns the shell text of one probe named name running cmd. The
// newline printed before the exit status line is removed by the parser, so
// that output without a final newline (a file) is recovered exactly.
func probe(name, cmd string) string {
	return fmt.Sprintf("echo '%s%s'; { %s; }; printf '\\n%src %s %%s\\n' \"$?\"", probeMarker, name, cmd, probeMarker, name)
}

// probes joins probes (and other shell commands) into one inspect command.
func probes(p ...string) string { return strings.Join(p, "; ") }

// catFile is cat of one regular file, byte for byte (a last line without a
// newline too), done by the shell's read and printf: a probe then starts no
// process, tens of milliseconds each on a slow host such as the lab's
// emulated director. It fails, printing nothing, when file is no regular
// file or cannot be read.
func catFile(file string) string {
	f := host.Quote(file)
	return "[ -f " + f + " ] && { while IFS= read -r l; do printf '%s\\n' \"$l\"; done; printf '%s' \"$l\"; } 2>/dev/null <" + f
}

// inspection is what an inspect command printed, parsed.
type inspection struct {
	kv         map[string]string   // key=value lines outside probes: the last value of each key
	all        map[string][]string // every value of each key, in order
	out        map[string]string   // each probe's output, exactly
	rc         map[string]int      // each probe's exit status
	content    string              // what followed contentMark
	hasContent bool
	raw        host.Result // the inspect command's output and exit status
}

// text returns the output of probe name without trailing newlines; out holds it exactly.
func (in inspection) text(name string) string { return strings.TrimRight(in.out[name], "\n") }

// ok reports whether probe name ran and exited 0.
func (in inspection) ok(name string) bool {
	rc, ran := in.rc[name]
	return ran && rc == 0
}

// values returns every value of key, in the order printed.
func (in inspection) values(key string) []string { return in.all[key] }

// failure returns nil when the inspect command exited 0, else an error
// naming what it inspected, with what the command printed.
func (in inspection) failure(what string) error {
	if in.raw.ExitCode == 0 {
		return nil
	}
	return cmdErr("inspect "+what, in.raw, nil)
}

// parseInspection reads an inspect command's stdout.
func parseInspection(stdout string) inspection {
	in := inspection{kv: map[string]string{}, all: map[string][]string{}, out: map[string]string{}, rc: map[string]int{}}
	cur := "" // the probe being read
	var b strings.Builder
	flush := func() {
		if cur != "" {
			in.out[cur] = b.String()
		}
		b.Reset()
	}
	for rest := stdout; rest != ""; {
		line, tail, _ := strings.Cut(rest, "\n")
		full := rest[:len(rest)-len(tail)] // line with its newline
		rest = tail
		if name, ok := strings.CutPrefix(line, probeMarker); ok {
			if f := strings.Fields(name); len(f) == 3 && f[0] == "rc" {
				if n, err := strconv.Atoi(f[2]); err == nil {
					if f[1] == cur {
						in.out[cur] = strings.TrimSuffix(b.String(), "\n")
						b.Reset()
						cur = ""
					}
					in.rc[f[1]] = n
					continue
				}
			}
			flush()
			cur = name
			continue
		}
		switch {
		case cur != "":
			b.WriteString(full)
		case line == contentMark:
			in.content, in.hasContent = rest, true
			return in
		default:
			if k, v, ok := strings.Cut(line, "="); ok {
				in.kv[k] = v
				in.all[k] = append(in.all[k], v)
			}
		}
	}
	flush()
	return in
}

// inspect runs an inspect command and parses its output. It fails only
// when the command could not be run (the host is unreachable, say); its
// exit status is in the inspection.
func inspect(ctx context.Context, h host.Executor, what, cmd string) (inspection, error) {
	res, err := h.Run(ctx, cmd, host.RunOpts{})
	if err != nil {
		return inspection{}, fmt.Errorf("inspect %s: %w", what, err)
	}
	in := parseInspection(res.Stdout)
	in.raw = res
	return in, nil
}
