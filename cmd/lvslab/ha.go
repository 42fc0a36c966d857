package main

import (
	"context"
	"fmt"
	"os"

	"lvslab/internal/host"
	"lvslab/internal/lvs"
)

// haMaster asks every director of --ha (first, already connected, among
// them) for its role and returns the one that holds the VIP, the VRRP
// MASTER, connected, with cfg.Director naming it; the others are closed.
func (s *session) haMaster(ctx context.Context, first host.Executor, cfg lvs.Config) (host.Executor, lvs.Config, []lvs.Role, error) {
	var roles []lvs.Role
	var master host.Executor
	for i, name := range cfg.Directors {
		h := first
		if i > 0 {
			var err error
			if h, err = s.dial(ctx, name); err != nil {
				if master != nil {
					master.Close()
				}
				return nil, cfg, nil, err
			}
		}
		res, err := h.Run(ctx, lvs.RoleCommand, host.RunOpts{})
		if err != nil {
			h.Close()
			if master != nil {
				master.Close()
			}
			return nil, cfg, nil, s.hostErr(ctx, err)
		}
		r := lvs.ParseRole(name, res.Stdout, cfg.VIP)
		roles = append(roles, r)
		if r.HasVIP && master == nil {
			master, cfg.Director = h, name
			continue
		}
		h.Close()
	}
	if master == nil {
		lvs.RoleTable(roles).WriteTo(os.Stderr)
		return nil, cfg, roles, statusFailed(fmt.Errorf("no director holds the VIP %s: no VRRP MASTER", cfg.VIP))
	}
	return master, cfg, roles, nil
}
