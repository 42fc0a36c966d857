package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"lvslab/internal/lab"
)

// labCommand is the `lvslab lab` command: the built-in local lab.
func labCommand() *cli.Command {
	name := &cli.StringFlag{Name: "name", Value: lab.DefaultName,
		Usage: "the lab's name (its network namespace); labs of different names run side by side"}
	rsCPU := &cli.IntFlag{Name: "rs-cpu", Value: 0,
		Usage: "cap each real server's CPU at `PCT` percent of one CPU (10: a tenth of a core; up to 100 x CPUs; 0: no cap), " +
			"so that one real server saturates at a known rate and N of them carry about N times as much"}
	return &cli.Command{
		Name:  "lab",
		Usage: "create, change, destroy or inspect the built-in local lab",
		Description: "Real hosts on this machine: the real servers and the client are systemd-nspawn\n" +
			"containers, the director a container where the kernel has IPVS, else a qemu VM;\n" +
			"--realserver vm makes the real servers VMs too (for the tun mode on a kernel without ipip).\n" +
			"Everything lives in network namespaces; the inventory is " + ".lvslab/inventory.yml.",
		Subcommands: []*cli.Command{
			{
				Name:  "create",
				Usage: "build (or rebuild) the lab and write .lvslab/inventory.yml",
				Flags: []cli.Flag{
					name,
					&cli.IntFlag{Name: "realservers", Value: 2, Usage: "number of real servers"},
					&cli.IntFlag{Name: "directors", Value: 1, Usage: "number of directors (2 or more for `up --ha`: lvs-server, lvs-server2 ... on both bridges, the VIP and DIP floating; the inventory then sets lvs_ha: true)"},
					&cli.StringFlag{Name: "director", Value: lab.DirectorAuto, Usage: "auto, container or vm"},
					&cli.StringFlag{Name: "realserver", Value: lab.RealServerAuto,
						Usage: "`KIND` of the real servers: auto, container or vm. vm boots each real server as a qemu VM with Debian's own kernel " +
							"(same addresses, names and keys; about 640 MiB and a slow boot each without KVM), what 'up --mode tun' needs " +
							"where this machine's kernel has no ipip (containers share it, so no tunl0); auto is container, and says so when tun cannot work"},
					&cli.BoolFlag{Name: "keep-on-error", Usage: "leave a failed lab in place for inspection"},
					rsCPU,
				},
				Action: labCreate,
			},
			{
				Name:      "set",
				Usage:     "change a running lab: --rs-cpu sets every real server's CPU cap",
				UsageText: "lvslab lab set --rs-cpu PCT [--name NAME]",
				Flags:     []cli.Flag{name, rsCPU},
				Action:    labSet,
			},
			{
				Name:   "destroy",
				Usage:  "stop the lab and remove everything it made (the cache and the SSH key stay)",
				Flags:  []cli.Flag{name},
				Action: labDestroy,
			},
			{
				Name:   "status",
				Usage:  "list the lab's hosts, addresses and state",
				Flags:  []cli.Flag{name, &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
				Action: labStatus,
			},
		},
	}
}

func labCreate(c *cli.Context) error {
	ctx := c.Context
	l, err := lab.Create(ctx, lab.Options{
		Name:        c.String("name"),
		RealServers: c.Int("realservers"),
		Directors:   c.Int("directors"),
		Director:    c.String("director"),
		RealServer:  c.String("realserver"),
		RSCPU:       c.Int("rs-cpu"),
		KeepOnError: c.Bool("keep-on-error"),
	}, os.Stderr)
	if errors.Is(err, lab.ErrInvalid) {
		return badInput(fmt.Errorf("lab create: %w", err))
	}
	if err != nil {
		return fmt.Errorf("lab create: %w", err)
	}
	fmt.Printf("inventory: %s\n", l.Paths.Inventory())
	fmt.Printf("try:       ip netns exec %s ssh -i %s -o UserKnownHostsFile=%s root@%s\n",
		l.Paths.Name, l.Paths.Key(), l.Paths.KnownHosts(), l.Hosts[0].MgmtAddr())
	return nil
}

func labSet(c *cli.Context) error {
	if !c.IsSet("rs-cpu") {
		return badInput(errors.New("lab set: nothing to change: give --rs-cpu PCT"))
	}
	ch, err := lab.SetRSCPU(c.Context, c.String("name"), c.Int("rs-cpu"), os.Stderr)
	if ch != nil {
		for _, h := range ch.Hosts {
			moved := ""
			if h.Moved > 0 {
				moved = fmt.Sprintf("; moved %d processes into %s", h.Moved, h.Cgroup)
			}
			fmt.Printf("%s: cpu cap %s (was %s)%s\n", h.Name, cpuCap(ch.To), cpuCap(h.Was), moved)
		}
	}
	if errors.Is(err, lab.ErrNoLab) || errors.Is(err, lab.ErrInvalid) {
		return badInput(fmt.Errorf("lab set: %w", err))
	}
	if err != nil {
		return fmt.Errorf("lab set: %w", err)
	}
	fmt.Printf("lab %s: real servers' cpu cap %s (was %s)\n", ch.Lab, cpuCap(ch.To), cpuCap(ch.From))
	return nil
}

// cpuCap shows a CPU cap in percent of one CPU; "-" for none.
func cpuCap(pct int) string {
	if pct == 0 {
		return "-"
	}
	return fmt.Sprintf("%d%%", pct)
}

func labDestroy(c *cli.Context) error {
	ctx := c.Context
	err := lab.DestroyNamed(ctx, c.String("name"), os.Stderr)
	if errors.Is(err, lab.ErrInvalid) {
		return badInput(fmt.Errorf("lab destroy: %w", err))
	}
	if err != nil {
		return fmt.Errorf("lab destroy: %w", err)
	}
	return nil
}

func labStatus(c *cli.Context) error {
	ctx := c.Context
	r, err := lab.StatusNamed(ctx, c.String("name"))
	if errors.Is(err, lab.ErrNoLab) || errors.Is(err, lab.ErrInvalid) {
		return badInput(fmt.Errorf("lab status: %w", err))
	}
	if err != nil {
		return fmt.Errorf("lab status: %w", err)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printStatus(r)
	}
	for _, h := range r.Hosts {
		if !h.SSH {
			return &exitError{code: exitUnreachable, err: fmt.Errorf("lab status: %s is unreachable", h.Name)}
		}
	}
	return nil
}

func printStatus(r *lab.Report) {
	rs := r.Lab.RealServer
	if rs == "" {
		rs = lab.KindContainer
	}
	fmt.Printf("lab: director %s, real servers %s, created %s, apt relay %s\n", r.Lab.Director, rs,
		r.Lab.Created.Format("2006-01-02 15:04:05"), map[bool]string{true: "running", false: "DOWN"}[r.Relay])
	fmt.Printf("inventory: %s (hosts dialled from netns %s)\n\n", r.Lab.Paths.Inventory(), r.Lab.Paths.Name)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tGROUP\tKIND\tCPU\tSSH ADDRESS\tLAB ADDRESSES\tSTATE\tSSH")
	for _, h := range r.Hosts {
		var addrs []string
		for _, n := range h.NICs {
			if n.Bridge != lab.BridgeMgmt {
				addrs = append(addrs, n.Name+" "+n.Addr)
			}
		}
		state := "stopped"
		if h.Running {
			state = "running"
		}
		ssh := "ok"
		if !h.SSH {
			ssh = "FAIL: " + h.SSHError
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Group, h.Kind, cpuCap(h.CPU), h.MgmtAddr(), strings.Join(addrs, ", "), state, ssh)
	}
	tw.Flush()
}
