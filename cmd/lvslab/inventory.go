package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"lvslab/internal/inventory"
	"lvslab/internal/vault"
)

// inventoryCommand is ansible-inventory: the resolved inventory in its
// output shapes.
func inventoryCommand() *cli.Command {
	return &cli.Command{
		Name:      "inventory",
		Usage:     "show the resolved inventory as ansible-inventory does (--list, --graph, --host)",
		ArgsUsage: "[GROUP]",
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "inventory", Aliases: []string{"i"}, Usage: "inventory `SOURCE`, repeatable as Ansible's -i", Value: cli.NewStringSlice(defaultInventory()...)},
			&cli.BoolFlag{Name: "list", Usage: "every group and host variables, as JSON (ansible-inventory --list)"},
			&cli.BoolFlag{Name: "graph", Usage: "the group tree from all or from GROUP (ansible-inventory --graph)"},
			&cli.StringFlag{Name: "host", Usage: "the variables of one `HOST`, as JSON (ansible-inventory --host)"},
			&cli.StringFlag{Name: "playbook-dir", Usage: "also read the group_vars and host_vars of this `DIR`, as a playbook there would"},
		}, vaultFlags()...),
		Action: func(c *cli.Context) error {
			if _, err := applyConfig(c); err != nil {
				return err
			}
			n := 0
			for _, f := range []bool{c.Bool("list"), c.Bool("graph"), c.IsSet("host")} {
				if f {
					n++
				}
			}
			if n != 1 {
				return badInput(errors.New("inventory: give one of --list, --graph or --host HOST"))
			}
			var sources []string
			for _, s := range c.StringSlice("inventory") {
				if s != "" {
					sources = append(sources, s)
				}
			}
			if len(sources) == 0 {
				return badInput(errors.New("no inventory: pass -i FILE"))
			}
			inv, err := inventory.Load(sources...)
			if err != nil {
				return badInput(err)
			}
			if d := c.String("playbook-dir"); d != "" {
				if err := inv.ReadPlaybookVars(d); err != nil {
					return badInput(err)
				}
			}
			switch {
			case c.Bool("list"):
				return writePyJSON(os.Stdout, listInventory(inv))
			case c.Bool("graph"):
				group := "all"
				if c.Args().Len() > 0 {
					group = c.Args().First()
				}
				if inv.Group(group) == nil {
					return badInput(fmt.Errorf("inventory --graph: %q is not a group", group))
				}
				_, err := fmt.Fprintln(os.Stdout, strings.Join(graph(inv, group, 0), "\n"))
				return err
			}
			h := c.String("host")
			vars := inv.HostVars(h)
			if vars == nil {
				return badInput(fmt.Errorf("inventory --host: no host %q in the inventory", h))
			}
			return writePyJSON(os.Stdout, ownVars(vars))
		},
	}
}

// magicVars are what HostVars adds that ansible-inventory does not print.
var magicVars = []string{"inventory_hostname", "inventory_hostname_short", "group_names", "groups", "inventory_file", "inventory_dir"}

func ownVars(vars map[string]any) map[string]any {
	for _, k := range magicVars {
		delete(vars, k)
	}
	return vars
}

// listInventory is ansible-inventory --list: every group reachable from
// all with its hosts and children (empty keys and empty groups left out),
// and _meta.hostvars of every host with variables.
func listInventory(inv *inventory.Inventory) map[string]any {
	out := map[string]any{}
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		g := inv.Group(name)
		entry := map[string]any{}
		if name != "all" && len(g.Hosts) > 0 {
			entry["hosts"] = g.Hosts
		}
		if len(g.Children) > 0 {
			entry["children"] = g.Children
		}
		for _, c := range g.Children {
			if !seen[c] {
				seen[c] = true
				visit(c)
			}
		}
		if len(entry) > 0 {
			out[name] = entry
		}
	}
	visit("all")
	hostvars := map[string]any{}
	for _, h := range inv.Hosts() {
		if v := ownVars(inv.HostVars(h)); len(v) > 0 {
			hostvars[h] = v
		}
	}
	out["_meta"] = map[string]any{"hostvars": hostvars}
	return out
}

// graph is ansible-inventory --graph: @group: lines, children first,
// then the group's own hosts, indented "  |" per level.
func graph(inv *inventory.Inventory, name string, depth int) []string {
	line := func(s string, d int) string {
		if d == 0 {
			return s
		}
		return strings.Repeat("  |", d) + "--" + s
	}
	g := inv.Group(name)
	out := []string{line("@"+name+":", depth)}
	for _, c := range g.Children {
		out = append(out, graph(inv, c, depth+1)...)
	}
	if name != "all" {
		for _, h := range g.Hosts {
			out = append(out, line(h, depth+1))
		}
	}
	return out
}

// writePyJSON writes v as Python's json.dumps(sort_keys=True, indent=4,
// ensure_ascii=False) does, as ansible-inventory prints: floats as
// Python's repr (1.0, 1e+16), a !vault value as {"__ansible_vault": text},
// never decrypted.
func writePyJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	pyJSON(&b, v, 0)
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

func pyJSON(b *bytes.Buffer, v any, depth int) {
	nl := func(d int) { b.WriteString("\n" + strings.Repeat("    ", d)) }
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			pyJSON(b, k, depth+1)
			b.WriteString(": ")
			pyJSON(b, x[k], depth+1)
		}
		nl(depth)
		b.WriteByte('}')
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = s
		}
		pyJSON(b, l, depth)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			pyJSON(b, e, depth+1)
		}
		nl(depth)
		b.WriteByte(']')
	case *vault.Value:
		pyJSON(b, map[string]any{"__ansible_vault": x.Text}, depth)
	case float64:
		switch {
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		case math.IsNaN(x):
			b.WriteString("NaN")
		case x != 0 && (math.Abs(x) >= 1e16 || math.Abs(x) < 1e-4):
			b.WriteString(strconv.FormatFloat(x, 'e', -1, 64)) // 1e+16, 1e-05 as Python
		default:
			s := strconv.FormatFloat(x, 'f', -1, 64)
			if !strings.Contains(s, ".") {
				s += ".0"
			}
			b.WriteString(s)
		}
	default:
		var e bytes.Buffer
		enc := json.NewEncoder(&e)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			enc.Encode(fmt.Sprint(x))
		}
		b.Write(bytes.TrimSuffix(e.Bytes(), []byte("\n")))
	}
}
