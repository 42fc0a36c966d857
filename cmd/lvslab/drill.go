package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"lvslab/internal/drill"
	"lvslab/internal/load"
	"lvslab/internal/loadrun"
	"lvslab/internal/lvs"
)

func drillCommand() *cli.Command {
	return &cli.Command{
		Name:  "drill",
		Usage: "failover drill through the VIP: stop nginx on a real server, stop the MASTER director, reset it, while a steady load runs; print the timeline",
		Description: "A steady open-loop load runs from the client (lvslab's load generator, each request on a new\n" +
			"connection) while, in order:\n" +
			"  nginx   nginx is stopped on a real server (--server): keepalived's health check must take it\n" +
			"          out of the pool within --leave-bound, and no request may fail after that; nginx is\n" +
			"          started again and the real server must answer through the VIP within --return-bound;\n" +
			"  keepalived  keepalived is stopped on the MASTER director: another director must take the VIP\n" +
			"          and answer within --takeover-bound; it is started again and the directors must settle\n" +
			"          (every one running keepalived, one holding the VIP, every real server in its pool);\n" +
			"  poweroff  the MASTER is reset without a shutdown (sync, then sysrq b: the machine goes as in a\n" +
			"          power cut, and its firmware boots it again): another director must take the VIP within\n" +
			"          --takeover-bound; the MASTER must answer SSH within --boot-bound and the directors settle.\n" +
			"          A director that is a container is not reset (it would not come back): the step is skipped.\n" +
			"Every director's VRRP role and IPVS table are polled twice a second meanwhile. The timeline\n" +
			"shows when each fault was injected, when the pool and the VIP changed, the first and last failed\n" +
			"request of each step; the table, how long each step took against its bound and how many\n" +
			"requests failed. Zero bounds come from keepalived's timing in the inventory (lvs_check_interval,\n" +
			"lvs_check_timeout, lvs_check_retries, lvs_check_retry_delay, vrrp_advert_int) plus 5 s.\n" +
			"Without --ha (one director, no health checks) the nginx step fails, showing why, and the\n" +
			"director steps are skipped. Every fault is undone before the drill ends, interrupted or not.\n" +
			"Exits 2 when a step did not recover within its bound.",
		Flags: append(connFlags(),
			&cli.StringFlag{Name: "rate", Aliases: []string{"r"}, Value: "100/s", Usage: "the steady load: `N`/s requests per second (open loop, whatever the answers)"},
			&cli.StringFlag{Name: "path", Value: "/test.html", Usage: "the `PATH` requested"},
			&cli.IntFlag{Name: "port", Value: 80, Usage: "the VIP's `PORT` (443: https, with the first site's name as SNI)"},
			&cli.DurationFlag{Name: "request-timeout", Value: 2 * time.Second, Usage: "a request without a whole answer in this time fails"},
			&cli.StringFlag{Name: "from", Value: "auto", Usage: "where the load starts: client (the first host of the clients group), controller (this machine), or auto"},
			&cli.StringFlag{Name: "server", Usage: "the real server whose nginx is stopped (default: the first of a weight above 0)"},
			&cli.StringFlag{Name: "faults", Value: strings.Join(drill.Faults, ","), Usage: "the faults, in their order: nginx, keepalived, poweroff (comma-separated)"},
			&cli.DurationFlag{Name: "leave-bound", Usage: "nginx stopped -> the real server out of the pool (0: keepalived's check timing + 5s)"},
			&cli.DurationFlag{Name: "return-bound", Usage: "nginx started -> the real server answering again (0: a check interval and timeout + 5s)"},
			&cli.DurationFlag{Name: "takeover-bound", Usage: "the MASTER stopped -> another director answering through the VIP (0: 3 adverts + 1s + 5s)"},
			&cli.DurationFlag{Name: "boot-bound", Value: 5 * time.Minute, Usage: "the reset MASTER -> answering SSH again"},
			&cli.DurationFlag{Name: "settle", Value: 3 * time.Second, Usage: "how long the load must run without a failure to end a step"},
		),
		Action: runDrill,
	}
}

// drillPlan is what the flags ask for, checked before any connection.
func drillPlan(c *cli.Context) (drill.Options, loadPlan, error) {
	var errs []error
	o := drill.Options{LeaveBound: c.Duration("leave-bound"), ReturnBound: c.Duration("return-bound"),
		TakeoverBound: c.Duration("takeover-bound"), BootBound: c.Duration("boot-bound"), Settle: c.Duration("settle")}
	for _, f := range strings.Split(c.String("faults"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			o.Faults = append(o.Faults, f)
		}
	}
	if len(o.Faults) == 0 {
		errs = append(errs, errors.New("--faults: want one or more of "+strings.Join(drill.Faults, ", ")))
	}
	rate, err := parseRate(c.String("rate"))
	if err != nil {
		errs = append(errs, fmt.Errorf("--rate %w", err))
	}
	o.Load = load.Options{URL: "http://127.0.0.1/", Rate: rate, Duration: time.Minute, Timeout: c.Duration("request-timeout"),
		Interval: 500 * time.Millisecond}
	if err := o.Load.Validate(); err != nil {
		errs = append(errs, err)
	}
	o.Bounds()
	if err := o.Validate(); err != nil {
		errs = append(errs, err)
	}
	p := loadPlan{to: "vip", from: c.String("from"), port: c.Int("port"), path: c.String("path")}
	errs = append(errs, p.targetErrs()...)
	return o, p, errors.Join(errs...)
}

// drillServer is the real server --server names, else the first of a
// weight above 0.
func drillServer(cfg lvs.Config, name string) (lvs.Server, error) {
	var names []string
	for _, s := range cfg.Servers {
		if (name == "" && s.Weight > 0) || s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	if name == "" {
		return lvs.Server{}, errors.New("no real server has a weight above 0")
	}
	return lvs.Server{}, fmt.Errorf("--server %s: not a real server of the inventory (%s)", name, strings.Join(names, ", "))
}

func runDrill(c *cli.Context) error {
	ctx := c.Context
	o, plan, err := drillPlan(c)
	if err != nil {
		return badInput(err)
	}
	s, err := newSession(c, false, false)
	if err != nil {
		return err
	}
	// What the inventory alone says, before any connection.
	cfg, err := lvs.NewConfig(s.inv, s.opts.ExtraVars)
	if err != nil {
		return badInput(err)
	}
	if err := plan.check(cfg); err != nil {
		return badInput(err)
	}
	if _, err := drillServer(cfg, c.String("server")); err != nil {
		return badInput(err)
	}
	if o.Timing, err = lvs.NewHATiming(s.inv, s.opts.ExtraVars); err != nil {
		return badInput(err)
	}
	o.LeaveBound, o.ReturnBound, o.TakeoverBound = c.Duration("leave-bound"), c.Duration("return-bound"), c.Duration("takeover-bound")
	o.Bounds()
	director, cfg, err := s.director(ctx)
	if err != nil {
		return err
	}
	director.Close()
	if o.Server, err = drillServer(cfg, c.String("server")); err != nil {
		return badInput(err)
	}
	targets, err := plan.targets(cfg)
	if err != nil {
		return badInput(err)
	}
	t := targets[0]
	o.Config, o.Load.URL, o.Load.Host, o.Port = cfg, t.URL, t.Host, plan.port
	src, closeSrc, err := s.loadSource(ctx, cfg, plan.from)
	if err != nil {
		return err
	}
	defer closeSrc()
	d := &loadrun.Driver{Config: cfg, Source: src}
	if err := d.Preflight(ctx, t, o.Load); err != nil {
		return s.loadErr(ctx, err)
	}
	o.Source = src
	o.Dial = s.connect
	jsonOut := c.String("output") == "json"
	o.Progress = func(ev drill.Event) {
		fmt.Fprintf(os.Stderr, "lvslab: drill %s %-8s %s\n", ev.At.Format("15:04:05.0"), ev.Kind, ev.Text)
	}
	fmt.Fprintf(os.Stderr, "lvslab: drill: %s mode, VIP %s held by %s; faults %s; bounds: leave %s, return %s, takeover %s, boot %s\n",
		cfg.Mode, cfg.VIP, cfg.Director, strings.Join(o.Faults, ", "), o.LeaveBound, o.ReturnBound, o.TakeoverBound, o.BootBound)
	rep, err := drill.Run(ctx, o)
	if rep != nil {
		if jsonOut {
			if jerr := json.NewEncoder(os.Stdout).Encode(rep.JSON()); jerr != nil {
				return jerr
			}
		} else {
			fmt.Fprintln(os.Stdout, "\nDRILL ***")
			rep.Write(os.Stdout)
		}
	}
	if err != nil {
		if errors.Is(err, drill.ErrNotSteady) {
			fmt.Fprintln(os.Stderr, "lvslab: drill:", err)
			return &exitError{code: exitFailed, err: err}
		}
		return s.hostErr(ctx, err)
	}
	if failed := rep.Failed(); len(failed) > 0 {
		var why []string
		for _, f := range failed {
			why = append(why, f.Name+": "+f.Why)
		}
		fmt.Fprintf(os.Stderr, "lvslab: drill failed:\n  %s\n", strings.Join(why, "\n  "))
		return &exitError{code: exitFailed, err: fmt.Errorf("drill: %d step(s) did not recover", len(failed))}
	}
	if !jsonOut {
		fmt.Fprintln(os.Stdout, "\ndrill: every step recovered within its bound")
	}
	return nil
}
