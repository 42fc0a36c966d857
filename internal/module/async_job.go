package module

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lvslab/internal/host"
)

// AsyncDir is where async jobs keep their status files, in the home of
// the user they run as, as Ansible's async_dir.
const AsyncDir = "~/.ansible_async"

// asyncJobScript is an async job on the host, in a session of its own so
// that it outlives the connection that started it ($1 the status file, $2
// the seconds it may take, $3 the job id, $4 the command). It runs the
// command with its output in files beside the status file, and then
// writes the status file as Ansible's async_wrapper does: JSON, replaced
// atomically, with started and finished, rc, stdout, stderr, start and
// end. A watchdog ends the job's process group after $2 seconds and
// writes Ansible's {"failed": true, "msg": "Timeout exceeded"}.
const asyncJobScript = `f=$1 jid=$3
now() { date '+%Y-%m-%d %H:%M:%S.%N'; }
t=$(printf '\t') r=$(printf '\r')
esc() { tr -d '\000-\010\013\014\016-\037' < "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e "s/$t/\\\\t/g" -e "s/$r/\\\\r/g" | awk 'NR>1{printf "%s", "\\n"} {printf "%s", $0}'; }
in=/dev/null
[ -e "$f.in" ] && in=$f.in
start=$(now)
(sh -c "$4") <"$in" >"$f.out" 2>"$f.err" &
c=$!
(
  trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "$2" & s=$!
  wait $s
  printf '{"failed": true, "msg": "Timeout exceeded", "child_pid": %d, "started": 1, "finished": 1, "ansible_job_id": "%s"}\n' "$c" "$jid" >"$f.tmp" && mv -f "$f.tmp" "$f"
  rm -f "$f.out" "$f.err" "$f.in"
  kill -KILL 0
) &
w=$!
wait $c
rc=$?
kill -TERM $w 2>/dev/null
wait $w 2>/dev/null
{
  printf '{"started": 1, "finished": 1, "ansible_job_id": "%s", "rc": %d, "start": "%s", "end": "%s", "stdout": "' "$jid" "$rc" "$start" "$(now)"
  esc "$f.out"
  printf '", "stderr": "'
  esc "$f.err"
  printf '"}\n'
} >"$f.tmp" && mv -f "$f.tmp" "$f"
rm -f "$f.out" "$f.err" "$f.in"
`

// AsyncLaunch returns the command that starts cmd as async job jid on the
// host, for at most seconds, and prints the absolute path of its status
// file. The status file says started 1, finished 0 before the command
// starts. With stdin the launch command's input is saved for the job.
func AsyncLaunch(jid, cmd string, seconds int, stdin bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s\nmkdir -p \"$d\" && chmod 700 \"$d\" || exit 1\nf=\"$d\"/%s\n", AsyncDir, host.Quote(jid))
	fmt.Fprintf(&b, "printf '{\"started\": 1, \"finished\": 0, \"ansible_job_id\": \"%%s\"}\\n' %s >\"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" || exit 1\n", host.Quote(jid))
	if stdin {
		b.WriteString("cat >\"$f.in\" || exit 1\n")
	}
	run := "sh -c " + host.Quote(asyncJobScript) + " lvslab-async \"$f\" " + strconv.Itoa(seconds) + " " + host.Quote(jid) + " " + host.Quote(cmd)
	fmt.Fprintf(&b, "if command -v setsid >/dev/null 2>&1; then setsid %s; else nohup %s; fi </dev/null >/dev/null 2>&1 &\n", run, run)
	b.WriteString("printf '%s\\n' \"$f\"\n")
	return b.String()
}

// AsyncState is what an async job's status file says.
type AsyncState struct {
	JID      string
	Started  bool
	Finished bool
	Failed   bool   // the job failed as a job (timed out), not its command
	Msg      string // why it failed
	TimedOut bool   // its watchdog ended it
	RC       int
	Stdout   string
	Stderr   string
	Start    string
	End      string
	// Data is the file's JSON as it is.
	Data map[string]any
}

// ParseAsyncStatus reads a status file as Ansible's async_status does: a
// file without started (what async_wrapper writes at the end) is finished.
func ParseAsyncStatus(jid, text string) (AsyncState, error) {
	var data map[string]any
	if err := json.Unmarshal([]byte(text), &data); err != nil {
		return AsyncState{}, fmt.Errorf("async job %s: could not parse its status file: %w", jid, err)
	}
	st := AsyncState{JID: jid, Data: data}
	num := func(k string) int {
		f, _ := data[k].(float64)
		return int(f)
	}
	str := func(k string) string { s, _ := data[k].(string); return s }
	_, hasStarted := data["started"]
	st.Started = !hasStarted || num("started") == 1
	st.Finished = !hasStarted || num("finished") == 1
	st.Failed, _ = data["failed"].(bool)
	st.Msg = str("msg")
	st.TimedOut = st.Failed && st.Msg == "Timeout exceeded"
	st.RC, st.Stdout, st.Stderr, st.Start, st.End = num("rc"), str("stdout"), str("stderr"), str("start"), str("end")
	return st, nil
}

// Delta is the job's run time as Ansible's command module shows it
// (0:00:01.051936), or "" when start or end is unknown.
func (s AsyncState) Delta() string {
	const layout = "2006-01-02 15:04:05.999999999"
	a, err1 := time.Parse(layout, s.Start)
	b, err2 := time.Parse(layout, s.End)
	if err1 != nil || err2 != nil {
		return ""
	}
	d := b.Sub(a)
	us := d.Microseconds()
	return fmt.Sprintf("%d:%02d:%02d.%06d", us/3600e6, us/60e6%60, us/1e6%60, us%1e6)
}

// Trim cuts start and end to Ansible's microseconds.
func trimMicro(ts string) string {
	if i := strings.LastIndexByte(ts, '.'); i >= 0 && len(ts) > i+7 {
		return ts[:i+7]
	}
	return ts
}
