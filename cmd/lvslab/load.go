package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"lvslab/internal/load"
	"lvslab/internal/loadreport"
	"lvslab/internal/loadrun"
	"lvslab/internal/lvs"
)

func loadCommand() *cli.Command {
	return &cli.Command{
		Name:  "load",
		Usage: "load the VIP (or one real server) with HTTP requests, as the write-up's ab step: rate, latency, failures, share per real server",
		Description: "Runs lvslab's own load generator on the client host (the first of the clients group; lvslab\n" +
			"puts its own binary there, checked by SHA-256) or, with --from controller, on this machine.\n" +
			"Each request opens a new TCP connection, as IPVS schedules connections (--keepalive reuses\n" +
			"them). Prints requests sent, completed and failed by cause, requests per second, latency\n" +
			"percentiles, bytes per second, the answers per real server (by the X-Real-Server header the\n" +
			"LNMP playbooks add) beside the share the scheduler predicts, and the director's IPVS counters\n" +
			"during the run (the agent's directory on the client: its lvslab_agent_dir, default\n" +
			loadrun.AgentDir + "). --to rs01 loads one real server directly (the one-server baseline);\n" +
			"--compare runs that baseline, then the VIP, and prints the scale-out factor; --ramp raises an\n" +
			"open-loop rate step by step until p99 passes --max-p99 or more than --max-failed percent fail,\n" +
			"and reports the highest rate sustained: the capacity. --report FILE draws the runs (.html,\n" +
			".svg or .png). Exits 2 when requests failed (outside a ramp) or the shares are off.",
		Flags: append(connFlags(),
			&cli.StringFlag{Name: "path", Value: "/test.html", Usage: "the `PATH` requested (/lnmp.php: nginx, PHP and MariaDB)"},
			&cli.IntFlag{Name: "port", Value: 80, Usage: "the VIP's `PORT` (443: https, with the first site's name as SNI unless --server-name)"},
			&cli.StringFlag{Name: "server-name", Usage: "Host header and TLS server name (default: the address; with --port 443 the first site)"},
			&cli.DurationFlag{Name: "duration", Aliases: []string{"t"}, Value: 20 * time.Second, Usage: "how long each run sends requests"},
			&cli.IntFlag{Name: "concurrency", Aliases: []string{"c"}, Value: 50, Usage: "requests in flight (closed loop, as ab -c)"},
			&cli.StringFlag{Name: "rate", Aliases: []string{"r"}, Usage: "open loop: `N`/s requests per second on a fixed schedule, whatever the answers (instead of --concurrency)"},
			&cli.StringFlag{Name: "to", Value: "vip", Usage: "what is loaded: vip, or a real server's inventory `NAME` (directly, not through the director)"},
			&cli.StringFlag{Name: "from", Value: "auto", Usage: "where the load starts: client (the first host of the clients group), controller (this machine), or auto (client when there is one)"},
			&cli.BoolFlag{Name: "keepalive", Aliases: []string{"k"}, Usage: "reuse connections (HTTP keep-alive); IPVS then schedules connections, not requests"},
			&cli.BoolFlag{Name: "compare", Usage: "run the one-server baseline (--to NAME, default the first real server), then the VIP, and print the scale-out factor"},
			&cli.BoolFlag{Name: "ramp", Usage: "raise an open-loop rate step by step until the rule fails; report the highest rate sustained (the capacity)"},
			&cli.StringFlag{Name: "ramp-start", Value: "50/s", Usage: "the ramp's first rate, `N`/s"},
			&cli.Float64Flag{Name: "ramp-factor", Value: 1.25, Usage: "each step's rate is the last one's times `F`"},
			&cli.DurationFlag{Name: "ramp-step", Value: 5 * time.Second, Usage: "how long each step of the ramp lasts"},
			&cli.IntFlag{Name: "ramp-steps", Value: 20, Usage: "at most this many steps (1 to 100)"},
			&cli.DurationFlag{Name: "max-p99", Value: 200 * time.Millisecond, Usage: "the ramp's bound on the 99th percentile latency of a step"},
			&cli.Float64Flag{Name: "max-failed", Value: 0.1, Usage: "the ramp's bound on failed requests of a step, in `PERCENT`"},
			&cli.DurationFlag{Name: "request-timeout", Value: 5 * time.Second, Usage: "a request that has no whole answer in this time fails (timeout)"},
			&cli.Float64Flag{Name: "tolerance", Value: 10, Usage: "allowed gap between a server's measured and predicted share, in percentage `POINTS`"},
			&cli.StringFlag{Name: "report", Usage: "draw the runs to `FILE`: .html, .svg or .png (requests per second, p99 and the load per real server over time)"},
		),
		Action: runLoad,
	}
}

// loadPlan is what the flags ask for, validated before any connection.
type loadPlan struct {
	opts    load.Options
	ramp    *load.RampOptions
	to      string
	from    string
	compare bool
	port    int
	path    string
	name    string
	report  string
	tol     float64
}

// parseRate reads "800", "800/s" or "800/1s".
func parseRate(s string) (float64, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimSuffix(strings.TrimSuffix(v, "/1s"), "/s")
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r <= 0 {
		return 0, fmt.Errorf("%q: want requests per second above 0, such as 800/s", s)
	}
	return r, nil
}

func loadPlanFrom(c *cli.Context) (loadPlan, error) {
	p := loadPlan{to: c.String("to"), from: c.String("from"), compare: c.Bool("compare"), port: c.Int("port"),
		path: c.String("path"), name: c.String("server-name"), report: c.String("report"), tol: c.Float64("tolerance")}
	var errs []error
	p.opts = load.Options{URL: "http://127.0.0.1/", Duration: c.Duration("duration"), Concurrency: c.Int("concurrency"),
		KeepAlive: c.Bool("keepalive"), Timeout: c.Duration("request-timeout")}
	if c.IsSet("rate") {
		r, err := parseRate(c.String("rate"))
		if err != nil {
			errs = append(errs, fmt.Errorf("--rate %w", err))
		}
		p.opts.Rate = r
	}
	if p.opts.Concurrency < 1 && p.opts.Rate == 0 {
		errs = append(errs, fmt.Errorf("--concurrency %d: want 1 to %d", p.opts.Concurrency, load.MaxConcurrency))
	}
	if err := p.opts.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Bool("ramp") {
		start, err := parseRate(c.String("ramp-start"))
		if err != nil {
			errs = append(errs, fmt.Errorf("--ramp-start %w", err))
		}
		p.ramp = &load.RampOptions{Start: start, Factor: c.Float64("ramp-factor"), Step: c.Duration("ramp-step"),
			MaxSteps: c.Int("ramp-steps"),
			Rule:     load.RampRule{MaxP99: c.Duration("max-p99"), MaxFailRatio: c.Float64("max-failed") / 100}}
		if err := p.ramp.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, p.targetErrs()...)
	if p.report != "" {
		switch strings.ToLower(filepath.Ext(p.report)) {
		case ".html", ".svg", ".png":
		default:
			errs = append(errs, fmt.Errorf("--report %s: want a .html, .svg or .png file", p.report))
		}
	}
	return p, errors.Join(errs...)
}

// targetErrs are the problems of --path, --port and --from.
func (p loadPlan) targetErrs() []error {
	var errs []error
	if !strings.HasPrefix(p.path, "/") {
		errs = append(errs, fmt.Errorf("--path %q must start with /", p.path))
	}
	if p.port < 1 || p.port > 65535 {
		errs = append(errs, fmt.Errorf("--port %d: want 1 to 65535", p.port))
	}
	switch p.from {
	case "auto", "client", "controller":
	default:
		errs = append(errs, fmt.Errorf("--from must be client, controller or auto, not %q", p.from))
	}
	return errs
}

func runLoad(c *cli.Context) error {
	ctx := c.Context
	plan, err := loadPlanFrom(c)
	if err != nil {
		return badInput(err)
	}
	s, err := newSession(c, false, false)
	if err != nil {
		return err
	}
	// What the inventory alone says is checked before any connection.
	if cfg, err := lvs.NewConfig(s.inv, s.opts.ExtraVars); err != nil {
		return badInput(err)
	} else if err := plan.check(cfg); err != nil {
		return badInput(err)
	}
	director, cfg, err := s.director(ctx)
	if err != nil {
		return err
	}
	defer director.Close()
	targets, err := plan.targets(cfg)
	if err != nil {
		return badInput(err)
	}
	src, closeSrc, err := s.loadSource(ctx, cfg, plan.from)
	if err != nil {
		return err
	}
	defer closeSrc()
	jsonOut := c.String("output") == "json"
	live := &loadrun.Live{W: os.Stderr, TTY: term.IsTerminal(int(os.Stderr.Fd()))}
	d := &loadrun.Driver{Config: cfg, Source: src, Director: director, Tolerance: plan.tol,
		On: func(_ loadrun.Target, ev load.Event) { live.Event(ev) }}
	for _, t := range targets {
		if err := d.Preflight(ctx, t, plan.opts); err != nil {
			return s.loadErr(ctx, err)
		}
	}
	var results []loadrun.Result
	for _, t := range targets {
		live.Start(t.Label)
		r, err := d.Run(ctx, t, plan.opts, plan.ramp)
		live.Done()
		if err != nil {
			return s.loadErr(ctx, err)
		}
		results = append(results, r)
		if jsonOut {
			if err := json.NewEncoder(os.Stdout).Encode(r.JSON(cfg)); err != nil {
				return err
			}
		}
	}
	if jsonOut {
		if ev := loadrun.CompareJSON(results); ev != nil {
			if err := json.NewEncoder(os.Stdout).Encode(ev); err != nil {
				return err
			}
		}
	} else {
		fmt.Fprintln(os.Stdout, "\nLOAD ***")
		loadrun.Write(os.Stdout, cfg, results)
	}
	if plan.report != "" {
		if err := loadreport.Write(plan.report, reportTitle(cfg, results), reportRuns(results, plan.ramp)); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		fmt.Fprintf(os.Stderr, "lvslab: report written to %s\n", plan.report)
	}
	return loadVerdict(results)
}

// check is what the plan needs of the inventory: the host --to names, a
// client unless the load starts on the controller.
func (p loadPlan) check(cfg lvs.Config) error {
	var errs []error
	if _, err := p.targets(cfg); err != nil {
		errs = append(errs, err)
	}
	if p.from == "client" && len(cfg.Clients) == 0 {
		errs = append(errs, errors.New("--from client: the inventory has no clients group (add one, or load --from controller)"))
	}
	return errors.Join(errs...)
}

// targets are the runs the plan asks for, in order: the baseline first.
func (p loadPlan) targets(cfg lvs.Config) ([]loadrun.Target, error) {
	name := p.name
	if name == "" && p.port == 443 && len(cfg.Sites) > 0 {
		name = cfg.Sites[0].Name
	}
	vip := loadrun.VIPTarget(cfg, p.port, p.path, name)
	server := func(n string) (loadrun.Target, error) {
		for _, s := range cfg.Servers {
			if s.Name == n {
				return loadrun.ServerTarget(cfg, s, p.port, p.path, name), nil
			}
		}
		names := make([]string, len(cfg.Servers))
		for i, s := range cfg.Servers {
			names[i] = s.Name
		}
		return loadrun.Target{}, fmt.Errorf("--to %s: not vip nor a real server of the inventory (%s)", n, strings.Join(names, ", "))
	}
	switch {
	case p.compare:
		base := p.to
		if base == "vip" {
			base = ""
			for _, s := range cfg.Servers {
				if s.Weight > 0 {
					base = s.Name
					break
				}
			}
		}
		t, err := server(base)
		if err != nil {
			return nil, err
		}
		return []loadrun.Target{t, vip}, nil
	case p.to == "vip":
		return []loadrun.Target{vip}, nil
	}
	t, err := server(p.to)
	if err != nil {
		return nil, err
	}
	return []loadrun.Target{t}, nil
}

// loadSource is where the load starts: the controller, or the first client
// with the load agent put in place.
func (s *session) loadSource(ctx context.Context, cfg lvs.Config, from string) (loadrun.Source, func(), error) {
	if from == "controller" || (from == "auto" && len(cfg.Clients) == 0) {
		return loadrun.Local{}, func() {}, nil
	}
	name := cfg.Clients[0]
	client, err := s.dial(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	self, err := os.Executable()
	if err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("find lvslab's own binary: %w", err)
	}
	start := time.Now()
	dir := loadrun.AgentDir
	if d, ok := s.inv.HostVars(name)["lvslab_agent_dir"].(string); ok && d != "" {
		dir = d
	}
	path, uploaded, err := loadrun.Deploy(ctx, client, name, self, dir)
	if err != nil {
		client.Close()
		return nil, nil, s.hostErr(ctx, err)
	}
	if uploaded {
		fmt.Fprintf(os.Stderr, "lvslab: load agent put on %s at %s in %s\n", name, path, time.Since(start).Round(time.Millisecond))
	}
	return loadrun.Remote{Host: name, Exec: client, Path: path}, func() { client.Close() }, nil
}

// loadErr maps a target that does not answer to exit 2, the rest as hostErr.
func (s *session) loadErr(ctx context.Context, err error) error {
	var na *loadrun.NotAnsweringError
	if errors.As(err, &na) {
		fmt.Fprintln(os.Stderr, "lvslab:", err)
		return &exitError{code: exitFailed, err: err}
	}
	return s.hostErr(ctx, err)
}

// loadVerdict fails the command when requests failed outside a ramp or the
// shares are off the prediction.
func loadVerdict(results []loadrun.Result) error {
	var why []string
	for _, r := range results {
		if r.Ramp == nil && r.Summary.Failed > 0 {
			why = append(why, fmt.Sprintf("%s: %d of %d requests failed", r.Target.Label, r.Summary.Failed, r.Summary.Sent))
		}
		for _, f := range r.Shares.Failures {
			if r.Ramp == nil || !strings.Contains(f, "requests failed") {
				why = append(why, r.Target.Label+": "+f)
			}
		}
	}
	if len(why) == 0 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "lvslab: load failed:\n  %s\n", strings.Join(why, "\n  "))
	return &exitError{code: exitFailed, err: fmt.Errorf("load: %d problem(s)", len(why))}
}

func reportTitle(cfg lvs.Config, results []loadrun.Result) string {
	return fmt.Sprintf("lvslab load: %s mode, %d real servers, from %s", cfg.Mode, len(cfg.Servers), results[0].From)
}

func reportRuns(results []loadrun.Result, ramp *load.RampOptions) []loadreport.Run {
	runs := make([]loadreport.Run, len(results))
	for i, r := range results {
		runs[i] = loadreport.Run{Label: r.Target.Label, Summary: r.Summary, Ramp: r.Ramp}
		if ramp != nil {
			runs[i].Rule = ramp.Rule
		}
		if r.Target.Expect.Predicted {
			runs[i].Expected = r.Target.Expect.Shares
		}
	}
	return runs
}
