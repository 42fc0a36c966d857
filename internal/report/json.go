package report

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"lvslab/internal/module"
)

// JSON writes one JSON object per event, one per line, and a final recap
// object, for scripts and grading.
type JSON struct {
	mu  sync.Mutex
	enc *json.Encoder
	red *Redactor
}

// NewJSON returns a JSON-lines reporter.
func NewJSON(w io.Writer, red *Redactor) *JSON { return &JSON{enc: json.NewEncoder(w), red: red} }

func (j *JSON) emit(v map[string]any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	v["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	_ = j.enc.Encode(j.red.Value(module.Censored(v)))
}

// Playbook emits a playbook event.
func (j *JSON) Playbook(path string) { j.emit(map[string]any{"event": "playbook", "path": path}) }

// Play emits a play event.
func (j *JSON) Play(name string) { j.emit(map[string]any{"event": "play", "name": name}) }

// Task emits a task or handler event.
func (j *JSON) Task(name string, handler bool) {
	j.emit(map[string]any{"event": "task", "name": name, "handler": handler})
}

// Result emits one host's result.
func (j *JSON) Result(r Result) {
	ev := map[string]any{"event": "result", "host": r.Host, "task": r.Task, "status": string(r.Status),
		"changed": r.Result.Changed, "ignored": r.Ignored, "duration_ms": r.Duration.Milliseconds()}
	if r.HasItem {
		ev["item"] = r.Item
	}
	if r.NoLog {
		ev["censored"] = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
		if r.HasItem {
			ev["item"] = nil
		}
	} else {
		if r.Err != "" {
			ev["msg"] = r.Err
		} else if r.Result.Msg != "" {
			ev["msg"] = r.Result.Msg
		}
		if len(r.Result.Data) > 0 {
			ev["data"] = r.Result.Data
		}
		if len(r.Result.Diff) > 0 {
			diffs := make([]module.FileDiff, len(r.Result.Diff))
			for i, d := range r.Result.Diff {
				diffs[i] = j.red.Diff(d)
			}
			ev["diff"] = diffs
		}
	}
	j.emit(ev)
}

// Running emits a heartbeat.
func (j *JSON) Running(host, task string, elapsed time.Duration) {
	j.emit(map[string]any{"event": "running", "host": host, "task": task, "elapsed_s": elapsed.Seconds()})
}

// Warn emits a warning.
func (j *JSON) Warn(msg string) { j.emit(map[string]any{"event": "warning", "msg": msg}) }

// Recap emits the final recap.
func (j *JSON) Recap(stats []Stats) {
	hosts := map[string]any{}
	for _, s := range stats {
		hosts[s.Host] = map[string]int{"ok": s.OK, "changed": s.Changed, "unreachable": s.Unreachable,
			"failed": s.Failed, "skipped": s.Skipped, "rescued": s.Rescued, "ignored": s.Ignored}
	}
	j.emit(map[string]any{"event": "recap", "hosts": hosts})
}
