package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/lvs"
)

// haSettle bounds how long haMaster waits for a VRRP MASTER while
// keepalived runs but no director holds the VIP yet: an election after a
// start or reload (keepalived's master-down timer is 3 adverts and a skew,
// under 4 s at its default advert_int of 1 s).
const haSettle = 20 * time.Second

// haMaster asks every director of --ha (first, already connected, among
// them) for its role and returns the one that holds the VIP, the VRRP
// MASTER, connected, with cfg.Director naming it; the others are closed.
// While keepalived runs on a director and none holds the VIP it asks again,
// once a second, for up to haSettle.
func (s *session) haMaster(ctx context.Context, first host.Executor, cfg lvs.Config) (host.Executor, lvs.Config, []lvs.Role, error) {
	hosts := []host.Executor{first}
	closeAll := func(keep host.Executor) {
		for _, h := range hosts {
			if h != keep {
				h.Close()
			}
		}
	}
	for _, name := range cfg.Directors[1:] {
		h, err := s.dial(ctx, name)
		if err != nil {
			closeAll(nil)
			return nil, cfg, nil, err
		}
		hosts = append(hosts, h)
	}
	deadline := time.Now().Add(haSettle)
	for {
		var roles []lvs.Role
		electing := false
		for i, h := range hosts {
			res, err := h.Run(ctx, lvs.RoleCommand, host.RunOpts{})
			if err != nil {
				closeAll(nil)
				return nil, cfg, nil, s.hostErr(ctx, err)
			}
			r := lvs.ParseRole(cfg.Directors[i], res.Stdout, cfg.VIP)
			roles = append(roles, r)
			electing = electing || r.Keepalived
		}
		for i, r := range roles {
			if r.HasVIP {
				cfg.Director = cfg.Directors[i]
				closeAll(hosts[i])
				return hosts[i], cfg, roles, nil
			}
		}
		if !electing || time.Now().After(deadline) {
			closeAll(nil)
			lvs.RoleTable(roles).WriteTo(os.Stderr)
			return nil, cfg, roles, statusFailed(fmt.Errorf("no director holds the VIP %s: no VRRP MASTER", cfg.VIP))
		}
		select {
		case <-ctx.Done():
			closeAll(nil)
			return nil, cfg, roles, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
