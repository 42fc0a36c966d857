package lvs

import (
	"fmt"
	"time"

	"lvslab/internal/ansible"
)

// HATiming is how fast keepalived (--ha) notices a failure, from the
// variables playbooks/vars/ha.yml reads (with the same defaults): its
// health checks of the real servers and its VRRP adverts.
type HATiming struct {
	CheckInterval time.Duration // lvs_check_interval: delay_loop
	CheckTimeout  time.Duration // lvs_check_timeout: connect_timeout
	CheckRetries  int           // lvs_check_retries: retry
	RetryDelay    time.Duration // lvs_check_retry_delay: delay_before_retry
	AdvertInt     time.Duration // vrrp_advert_int: advert_int
	// NoPreempt (lvs_nopreempt): a MASTER back does not take the VIP again.
	NoPreempt bool
}

// NewHATiming reads the timing of the first director's variables, with
// extra on top.
func NewHATiming(inv Inventory, extra map[string]any) (HATiming, error) {
	directors, err := inv.Match("director")
	if err != nil || len(directors) == 0 {
		return HATiming{}, fmt.Errorf("the inventory has no director group (with one host)")
	}
	vars, err := hostVars(inv, directors[0], extra)
	if err != nil {
		return HATiming{}, err
	}
	seconds := func(key string, def int) (time.Duration, error) {
		n, err := integer(vars[key], def)
		if err == nil && (n < 1 || n > 3600) {
			err = fmt.Errorf("%d: want 1 to 3600 seconds", n)
		}
		if err != nil {
			return 0, fmt.Errorf("%s of %s: %w", key, directors[0], err)
		}
		return time.Duration(n) * time.Second, nil
	}
	var t HATiming
	if t.CheckInterval, err = seconds("lvs_check_interval", 3); err != nil {
		return t, err
	}
	if t.CheckTimeout, err = seconds("lvs_check_timeout", 3); err != nil {
		return t, err
	}
	if t.RetryDelay, err = seconds("lvs_check_retry_delay", 1); err != nil {
		return t, err
	}
	if t.AdvertInt, err = seconds("vrrp_advert_int", 1); err != nil {
		return t, err
	}
	if t.CheckRetries, err = integer(vars["lvs_check_retries"], 2); err != nil || t.CheckRetries < 0 || t.CheckRetries > 100 {
		return t, fmt.Errorf("lvs_check_retries of %s: want 0 to 100", directors[0])
	}
	t.NoPreempt = ansible.Truthy(vars["lvs_nopreempt"])
	return t, nil
}

// Detect is the longest a failed real server stays in the pool: until the
// next check, then the check and every retry timing out.
func (t HATiming) Detect() time.Duration {
	return t.CheckInterval + t.CheckTimeout + time.Duration(t.CheckRetries)*(t.RetryDelay+t.CheckTimeout)
}

// Return is the longest a real server that answers again stays out of the
// pool: until the next check, and that check.
func (t HATiming) Return() time.Duration { return t.CheckInterval + t.CheckTimeout }

// Takeover is the longest a BACKUP waits for a MASTER that went silent:
// keepalived's master-down interval, three adverts and a skew under one.
func (t HATiming) Takeover() time.Duration { return 3*t.AdvertInt + time.Second }
