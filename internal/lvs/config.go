package lvs

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"lvslab/internal/ansible"
	"lvslab/internal/tmpl"
)

// Modes are the LVS modes the playbooks bring up.
var Modes = []string{"nat", "dr", "fwmark", "tun"}

// directModes are the modes whose real servers answer the client directly
// and hold the VIP themselves (vip_dr when the inventory gives it).
var directModes = []string{"dr", "fwmark", "tun"}

// Site is one nginx virtual host of the inventory's sites.
type Site struct {
	Name string
	Root string
}

// Config is what the lab commands read from the inventory, derived exactly
// as playbooks/vars/lvs.yml derives it for the playbooks.
type Config struct {
	Mode        string
	VIP         string // the VIP of Mode
	Ports       []int  // vip_ports, plus 443 with ssl
	SSL         bool
	Scheduler   string
	Persistence int // seconds; 0: none
	FWMark      int
	Sites       []Site
	Director    string   // inventory name of the director (with HA: the MASTER, once known)
	Directors   []string // the director group, in inventory order
	HA          bool     // lvs_ha: keepalived on every director owns the VIP and the virtual services
	DIP         string
	Clients     []string // the clients group, in inventory order (may be empty)
	Servers     []Server // the realservers group, in inventory order
}

// Inventory is what Config needs from an inventory.
type Inventory interface {
	Match(pattern string) ([]string, error)
	HostVars(name string) map[string]any
}

// NewConfig reads the lab's configuration from inv, with extra (the -e
// variables and the command's flags, such as lvs_mode) on top of every
// host's variables.
func NewConfig(inv Inventory, extra map[string]any) (Config, error) {
	var c Config
	directors, err := inv.Match("director")
	if err != nil || len(directors) == 0 {
		return c, errors.New("the inventory has no director group (with one host)")
	}
	servers, err := inv.Match("realservers")
	if err != nil || len(servers) == 0 {
		return c, errors.New("the inventory has no realservers group")
	}
	if clients, err := inv.Match("clients"); err == nil {
		c.Clients = clients
	}
	c.Director, c.Directors = directors[0], directors
	d, err := hostVars(inv, c.Director, extra)
	if err != nil {
		return c, err
	}
	// The checks of each variable first; what fails one is not read again.
	seen, bad := map[string]bool{}, map[string]bool{}
	errs := validateHost(inv, extra, c.Director, d, seen, bad)
	c.Mode = str(d["lvs_mode"], "nat")
	if !slices.Contains(Modes, c.Mode) {
		errs = append(errs, fmt.Errorf("lvs_mode must be nat, dr, fwmark or tun, not %q", c.Mode))
	}
	c.HA = ansible.Truthy(d["lvs_ha"])
	c.VIP = str(d["vip"], "")
	if vdr := str(d["vip_dr"], ""); vdr != "" && slices.Contains(directModes, c.Mode) {
		c.VIP = vdr
	}
	if c.VIP == "" {
		errs = append(errs, errors.New("vip is not set"))
	}
	c.DIP = str(d["dip"], "")
	c.SSL = ansible.Truthy(d["ssl"])
	if c.Ports, err = ints(d["vip_ports"], []int{80}); err != nil && !bad["vip_ports"] {
		errs = append(errs, fmt.Errorf("vip_ports: %w", err))
	}
	if c.SSL && !slices.Contains(c.Ports, 443) {
		c.Ports = append(c.Ports, 443)
	}
	if c.Mode == "fwmark" {
		c.Scheduler = str(d["fwmark_scheduler"], "rr")
	} else {
		c.Scheduler = str(d["scheduler"], "wrr")
	}
	if c.Persistence, err = integer(d["persistence_timeout"], 0); err != nil && !bad["persistence_timeout"] {
		errs = append(errs, fmt.Errorf("persistence_timeout: %w", err))
	}
	if c.Mode == "fwmark" && c.Persistence == 0 {
		c.Persistence = 300
	}
	if c.FWMark, err = integer(d["fwmark"], 99); err != nil && !bad["fwmark"] {
		errs = append(errs, fmt.Errorf("fwmark: %w", err))
	}
	if c.Sites, err = sites(d["sites"]); err != nil && !bad["sites"] {
		errs = append(errs, err)
	}
	for _, name := range servers {
		v, err := hostVars(inv, name, extra)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sbad := map[string]bool{}
		errs = append(errs, validateHost(inv, extra, name, v, seen, sbad)...)
		s := Server{Name: name, Addr: str(v["rip"], str(v["ansible_host"], name)), Weight: 1}
		if w, ok := v["weight"]; ok {
			if s.Weight, err = integer(w, 1); err != nil && !sbad["weight"] {
				errs = append(errs, fmt.Errorf("weight of %s: %w", name, err))
			}
		}
		c.Servers = append(c.Servers, s)
	}
	return c, errors.Join(errs...)
}

// ServedPorts are the VIP's ports that nginx serves on the real servers:
// vip_ports, but 443 only with ssl (nginx listens there only then).
func (c Config) ServedPorts() []int {
	var ports []int
	for _, p := range c.Ports {
		if p != 443 || c.SSL {
			ports = append(ports, p)
		}
	}
	return ports
}

// StateFile is where the director records the mode that is up
// (tasks/lab-state.yml); StateCommand prints it.
const (
	StateFile    = "/var/lib/lvslab/lab-state"
	StateCommand = "cat " + StateFile + " 2>/dev/null; true"
)

// ParseState reads the director's record of what is up: lvs_mode, ssl and
// lvs_ha, as variables; nothing when there is no record.
func ParseState(out string) map[string]any {
	vars := map[string]any{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		switch {
		case !ok || strings.HasPrefix(k, "#"):
		case k == "lvs_mode" && slices.Contains(Modes, v):
			vars[k] = v
		case k == "ssl" || k == "lvs_ha":
			vars[k] = ansible.Truthy(v)
		}
	}
	return vars
}

// Expect is what the configuration's scheduler and weights predict for one
// client's requests.
func (c Config) Expect() Expectation { return Expect(c.Scheduler, c.Persistence, c.Servers) }

// HasPort reports whether the VIP serves port p.
func (c Config) HasPort(p int) bool { return slices.Contains(c.Ports, p) }

// labKeys are the variables NewConfig reads.
var labKeys = []string{"lvs_mode", "lvs_ha", "vip", "vip_dr", "dip", "ssl", "vip_ports", "fwmark_scheduler", "scheduler",
	"persistence_timeout", "fwmark", "sites", "rip", "ansible_host", "weight"}

// hostVars returns name's variables with extra on top, templates resolved
// (rip: "{{ ansible_host }}"). A lab variable that does not render is an
// error; others are left to whatever uses them.
func hostVars(inv Inventory, name string, extra map[string]any) (map[string]any, error) {
	vars := inv.HostVars(name)
	for k, v := range extra {
		vars[k] = v
	}
	if err := tmpl.Resolve(name, vars); err != nil {
		return nil, err
	}
	for _, k := range labKeys {
		if ve, ok := vars[k].(*tmpl.VarError); ok {
			return nil, ve
		}
	}
	return vars, nil
}

func str(v any, def string) string {
	switch x := v.(type) {
	case nil:
		return def
	case string:
		if x == "" {
			return def
		}
		return x
	}
	return fmt.Sprint(v)
}

func integer(v any, def int) (int, error) {
	if v == nil || v == "" {
		return def, nil
	}
	if n, ok := ansible.ParseInt(v); ok {
		return n, nil
	}
	if s, ok := v.(string); ok {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

func ints(v any, def []int) ([]int, error) {
	if v == nil {
		return def, nil
	}
	list, ok := v.([]any)
	if !ok {
		n, err := integer(v, 0)
		if err != nil {
			return nil, err
		}
		return []int{n}, nil
	}
	var out []int
	for _, x := range list {
		n, err := integer(x, 0)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func sites(v any) ([]Site, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("sites must be a list of {name, root}, not %T", v)
	}
	var out []Site
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok || str(m["name"], "") == "" {
			return nil, fmt.Errorf("sites[%d] must be a mapping with a name", i)
		}
		out = append(out, Site{Name: str(m["name"], ""), Root: str(m["root"], "")})
	}
	return out, nil
}
