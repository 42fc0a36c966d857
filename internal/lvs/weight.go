package lvs

import (
	"fmt"
	"strconv"
	"strings"
)

// KeepalivedConf is where tasks/director-ha.yml installs keepalived's
// configuration (playbooks/vars/ha.yml lvs_ha_conf).
const KeepalivedConf = "/etc/keepalived/keepalived.conf"

// WeightChange is what setting a real server's weight did on one director,
// per virtual service that holds it.
type WeightChange struct {
	Via     string // "keepalived" (its configuration, reloaded) or "ipvsadm" (ipvsadm -e)
	Service string // "TCP 172.17.1.6:80", "FWM 99"; keepalived: "172.17.1.6 80", "fwmark 99"
	Port    string // the real server's port in that service
	Old     int
	New     int
}

// Changed reports whether the weight moved.
func (c WeightChange) Changed() bool { return c.Old != c.New }

// WeightScript sets the weight of the real server at rip to weight on a
// director, in one round trip, and prints what it did (ParseWeight reads
// it). Where lvslab's keepalived configuration (conf) is installed the
// weight lines of the real server's blocks are rewritten, the new file
// checked by `keepalived -t -f` before it replaces the old one, and
// keepalived reloaded: its IPVS table follows its configuration, and the
// configuration stays true to the table. Otherwise each service's entry is
// edited live (`ipvsadm -e`, existing connections are kept) and the rules
// saved for boot are rewritten where lvslab saved them. Either way the
// next `lvslab up` sets the inventory's weight again.
func WeightScript(rip string, weight int, conf string) string {
	q := shellQuote
	w := strconv.Itoa(weight)
	return `rip=` + q(rip) + `; w=` + w + `; f=` + q(conf) + `
if [ -f "$f" ] && grep -q '^! Managed by lvslab' "$f"; then
  tmp="$f.lvslab-weight"; log="$tmp.log"
  awk -v rip="$rip" -v w="$w" -v logf="$log" '
    $1 == "virtual_server" { svc = $2 " " $3 }
    $1 == "real_server" && $2 == rip { inrs = 1; port = $3 }
    inrs && $1 == "weight" { print "lvslab-weight keepalived|" svc "|" port "|" $2 "|" w > logf; sub(/weight [0-9]+/, "weight " w) }
    inrs && $1 == "}" { inrs = 0 }
    { print }' "$f" > "$tmp" || { rm -f "$tmp" "$log"; exit 1; }
  [ -s "$log" ] || { rm -f "$tmp" "$log"; echo "lvslab-weight none|keepalived"; exit 0; }
  cat "$log"
  if ! cmp -s "$tmp" "$f"; then
    if ! out=$(keepalived -t -f "$tmp" 2>&1); then rm -f "$tmp" "$log"; echo "keepalived -t refuses the new configuration: $out" >&2; exit 1; fi
    chmod --reference="$f" "$tmp" 2>/dev/null; mv "$tmp" "$f"
    systemctl reload keepalived 2>/dev/null || kill -HUP "$(cat /run/keepalived.pid 2>/dev/null)" || { echo "keepalived not reloaded" >&2; rm -f "$log"; exit 1; }
  fi
  rm -f "$tmp" "$log"
  exit 0
fi
command -v ipvsadm >/dev/null || { echo "lvslab-weight none|ipvsadm"; exit 0; }
table=$(ipvsadm -S -n) || exit 1
edits=$(printf '%s\n' "$table" | awk -v rip="$rip" -v w="$w" '
  $1 == "-a" {
    svc = $2 " " $3; r = ""; wi = 0
    for (i = 4; i <= NF; i++) { if ($i == "-r") r = $(i + 1); if ($i == "-w") wi = i + 1 }
    n = split(r, a, ":"); port = a[n]; host = substr(r, 1, length(r) - length(port) - 1)
    gsub(/^\[|\]$/, "", host)
    if (host != rip || wi == 0) next
    old = $wi; $1 = "-e"; $wi = w
    print "lvslab-weight ipvsadm|" svc "|" port "|" old "|" w "|" $0
  }')
[ -n "$edits" ] || { echo "lvslab-weight none|ipvsadm"; exit 0; }
printf '%s\n' "$edits" | while IFS='|' read -r tag svc port old new cmd; do
  echo "$tag|$svc|$port|$old|$new"
  [ "$old" = "$new" ] || ipvsadm $cmd || exit 1
done || exit 1
for saved in /etc/ipvsadm.rules /etc/sysconfig/ipvsadm; do
  if [ -s "$saved" ] && grep -q '^-A' "$saved"; then ipvsadm -S -n > "$saved.lvslab-new" && mv "$saved.lvslab-new" "$saved"; fi
done
`
}

// ParseWeight reads WeightScript's output: the changes, and false when the
// director's table (or configuration) holds no such real server.
func ParseWeight(out string) ([]WeightChange, bool, error) {
	var changes []WeightChange
	found := false
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "lvslab-weight ")
		if !ok {
			continue
		}
		f := strings.Split(rest, "|")
		if f[0] == "none" {
			continue
		}
		if len(f) < 5 {
			return nil, false, fmt.Errorf("unexpected line %q", line)
		}
		old, err1 := strconv.Atoi(f[3])
		nw, err2 := strconv.Atoi(f[4])
		if err1 != nil || err2 != nil {
			return nil, false, fmt.Errorf("unexpected weights in %q", line)
		}
		svc := f[1]
		if f[0] == "ipvsadm" {
			svc = ipvsadmServiceName(svc)
		}
		changes = append(changes, WeightChange{Via: f[0], Service: svc, Port: f[2], Old: old, New: nw})
		found = true
	}
	return changes, found, nil
}

// ipvsadmServiceName turns "-t 172.17.1.6:80" into "TCP 172.17.1.6:80".
func ipvsadmServiceName(s string) string {
	flag, addr, _ := strings.Cut(s, " ")
	switch flag {
	case "-t":
		return "TCP " + addr
	case "-u":
		return "UDP " + addr
	case "-f":
		return "FWM " + addr
	}
	return s
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
