package lvs

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// Schedulers are ipvsadm's scheduler names (ipvsadm -s).
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}

// MaxPersistence is the longest persistence timeout ipvsadm takes (-p), in
// seconds: 31 days.
const MaxPersistence = 31 * 86400

// Placer says where the inventory sets a host's variable;
// *inventory.Inventory is one.
type Placer interface {
	VarPos(name, key string) (pos.Pos, bool)
}

// labRules are the checks of the lab variables that go into commands and
// configuration files on the hosts (ipvsadm, ip, iptables, nginx), by
// variable: a value that fails one must reach no host.
var labRules = []struct {
	key   string
	check func(v any) error
}{
	{"vip", ipv4}, {"vip_dr", ipv4}, {"dip", ipv4}, {"rip", ipv4},
	{"vip_ports", ports},
	{"weight", bounded(0, math.MaxUint16)},
	{"scheduler", scheduler}, {"fwmark_scheduler", scheduler},
	{"fwmark", bounded(1, math.MaxUint32)},
	{"persistence_timeout", bounded(0, MaxPersistence)},
	{"nat_vip_prefix", bounded(0, 32)},
	{"vip_device", ifname}, {"nat_vip_device", ifname},
	{"lnmp_webroot", safePath},
	{"sites", checkSites},
}

// Validate checks the lab variables of every host of inv (with extra, the
// -e variables, on top) where they are set, and returns every problem at
// once, each at the place the inventory sets the variable (when inv is a
// Placer) or naming -e. It needs no connection: callers run it before the
// first one. Values that do not render are left to whatever renders them.
func Validate(inv interface {
	Inventory
	Hosts() []string
}, extra map[string]any) error {
	var errs []error
	seen := map[string]bool{}
	for _, name := range inv.Hosts() {
		vars := inv.HostVars(name)
		for k, v := range extra {
			vars[k] = v
		}
		if err := tmpl.Resolve(name, vars); err != nil {
			continue
		}
		errs = append(errs, validateHost(inv, extra, name, vars, seen, map[string]bool{})...)
	}
	return errors.Join(errs...)
}

// validateHost checks the lab variables of one host, vars rendered, and
// records in bad the variables that fail. A problem already in seen (a
// group's variable, the same for every host of the group) is not repeated.
func validateHost(inv Inventory, extra map[string]any, name string, vars map[string]any, seen, bad map[string]bool) []error {
	var errs []error
	for _, r := range labRules {
		v := vars[r.key]
		if _, unrendered := v.(*tmpl.VarError); v == nil || v == "" || unrendered {
			continue
		}
		err := r.check(v)
		if err == nil {
			continue
		}
		bad[r.key] = true
		list, ok := err.(pos.List) // the problems of a list's items
		if !ok {
			list = pos.List{err}
		}
		for _, e := range list {
			if !strings.HasPrefix(e.Error(), r.key) {
				e = fmt.Errorf("%s: %w", r.key, e)
			}
			at, placed := varPos(inv, extra, name, r.key)
			if id := at.String() + e.Error(); !seen[id] {
				seen[id] = true
				errs = append(errs, placeVar(at, placed, extra, name, r.key, e))
			}
		}
	}
	return errs
}

// varPos is where the inventory sets host's variable key; placed is false
// when -e gives it or the place is unknown.
func varPos(inv Inventory, extra map[string]any, host, key string) (at pos.Pos, placed bool) {
	if _, ok := extra[key]; ok {
		return pos.Pos{}, false
	}
	if p, ok := inv.(Placer); ok {
		return p.VarPos(host, key)
	}
	return pos.Pos{}, false
}

// placeVar is err about host's variable key at at, or naming -e when extra
// gives it, or else naming the host.
func placeVar(at pos.Pos, placed bool, extra map[string]any, host, key string, err error) error {
	if _, ok := extra[key]; ok {
		return fmt.Errorf("-e %w", err)
	}
	if placed {
		return pos.Place(at, err)
	}
	return fmt.Errorf("%w (host %s)", err, host)
}

func ipv4(v any) error {
	s, ok := v.(string)
	if a, err := netip.ParseAddr(s); ok && err == nil && a.Is4() {
		return nil
	}
	return fmt.Errorf("%s is not an IPv4 address", quote(v))
}

// whole is v as an integer: an int, a whole float or a string of digits.
func whole(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s is not a whole number", quote(v))
}

func bounded(lo, hi int64) func(any) error {
	return func(v any) error {
		n, err := whole(v)
		if err != nil {
			return err
		}
		if n < lo || n > hi {
			return fmt.Errorf("%d is out of range (%d to %d)", n, lo, hi)
		}
		return nil
	}
}

func ports(v any) error {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for i, p := range list {
		if err := bounded(1, math.MaxUint16)(p); err != nil {
			return fmt.Errorf("port %d: %w", i+1, err)
		}
	}
	return nil
}

func scheduler(v any) error {
	if s, ok := v.(string); ok && slices.Contains(Schedulers, s) {
		return nil
	}
	return fmt.Errorf("%s is not an ipvsadm scheduler (%s)", quote(v), strings.Join(Schedulers, ", "))
}

// ifname checks a Linux interface name as the kernel does (dev_valid_name),
// in the characters that interface names use: at most 15, no "/", ":" or
// space.
var ifnameRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,15}$`)

func ifname(v any) error {
	if s, ok := v.(string); ok && ifnameRE.MatchString(s) && s != "." && s != ".." {
		return nil
	}
	return fmt.Errorf("%s is not a network interface name (up to 15 letters, digits, _ . @ -)", quote(v))
}

// dnsName is a host name of letter-digit-hyphen labels.
var dnsLabelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func dnsName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !dnsLabelRE.MatchString(l) {
			return false
		}
	}
	return true
}

// safePathRE is an absolute path of characters that need no quoting in
// nginx's configuration or a shell.
var safePathRE = regexp.MustCompile(`^/[A-Za-z0-9._/+@,=~-]*$`)

func safePath(v any) error {
	s, ok := v.(string)
	if !ok || !safePathRE.MatchString(s) || strings.Trim(s, "/") == "" || slices.Contains(strings.Split(s, "/"), "..") {
		return fmt.Errorf("%s is not an absolute path below / of letters, digits and . _ / + @ , = ~ - without ..", quote(v))
	}
	return nil
}

func checkSites(v any) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("sites must be a list of {name, root}, not %T", v)
	}
	var errs pos.List
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("sites[%d] must be a mapping with a name", i))
			continue
		}
		if name, _ := m["name"].(string); !dnsName(name) {
			errs = append(errs, fmt.Errorf("sites[%d].name %s is not a DNS name", i, quote(m["name"])))
		}
		if root, ok := m["root"]; ok && root != nil {
			if err := safePath(root); err != nil {
				errs = append(errs, fmt.Errorf("sites[%d].root %w", i, err))
			}
		}
	}
	return errs.OrNil()
}

// quote shows a value in an error: a string quoted, anything else as is.
func quote(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v", v)
}
