package runner

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"

	"lvslab/internal/playbook"
	"lvslab/internal/pos"
)

// orderHosts puts a play's hosts in its order: inventory (as they are),
// reverse_inventory, sorted, reverse_sorted or shuffle.
func orderHosts(order string, names []string) []string {
	out := append([]string(nil), names...)
	switch order {
	case "reverse_inventory":
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	case "sorted":
		sort.Strings(out)
	case "reverse_sorted":
		sort.Sort(sort.Reverse(sort.StringSlice(out)))
	case "shuffle":
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

// batches splits a play's hosts as serial says, as Ansible's
// get_batch_size: each step a number of hosts or a percentage of them all
// (rounded down, at least one), the last step repeated until every host
// has had its batch; no serial (or 0) is one batch of every host.
func batches(serial []playbook.SerialStep, names []string) [][]string {
	if len(serial) == 0 || len(names) == 0 {
		return [][]string{names}
	}
	var out [][]string
	rest := names
	for i := 0; len(rest) > 0; i++ {
		s := serial[min(i, len(serial)-1)]
		n := int(s.N)
		if s.Percent {
			n = int(math.Floor(s.N / 100 * float64(len(names))))
			n = max(n, 1)
		}
		if n <= 0 || n > len(rest) {
			n = len(rest)
		}
		out = append(out, rest[:n])
		rest = rest[n:]
	}
	return out
}

// runPlayBatches runs a play on its hosts in their order, batch by batch
// (serial): each batch the whole play, handlers included. A batch whose
// every host failed ends the play, as in Ansible.
func (r *Runner) runPlayBatches(ctx context.Context, play *playbook.Play) error {
	if err := r.promptVars(play); err != nil {
		return err
	}
	names, err := r.targets(play.Hosts)
	if err != nil {
		return err
	}
	bs := batches(play.Serial, orderHosts(play.Order, names))
	defer func() { r.batch = nil }()
	for _, b := range bs {
		r.batch = b
		if err := r.runPlay(ctx, play); err != nil || r.stopAll {
			return err
		}
		failed := 0
		for _, n := range b {
			r.mu.Lock()
			hs := r.hosts[n]
			r.mu.Unlock()
			if hs != nil && (hs.failed || hs.unreachable) {
				failed++
			}
		}
		if len(bs) > 1 && failed == len(b) {
			return nil
		}
	}
	return nil
}

// batchOf returns the hosts of the batch under way, in the play's order.
func (r *Runner) batchOf(play *playbook.Play, names []string) []string {
	if r.batch != nil {
		return r.batch
	}
	return orderHosts(play.Order, names)
}

// promptVars gives each vars_prompt of the play its value: lvslab never
// prompts, so it comes from -e, else from its default; a prompt with
// neither is bad input naming the play.
func (r *Runner) promptVars(play *playbook.Play) error {
	var errs pos.List
	for _, vp := range play.VarsPrompt {
		if _, ok := r.opts.ExtraVars[vp.Name]; ok {
			continue
		}
		if !vp.HasDef {
			title := play.Name
			if title == "" {
				title = play.Hosts
			}
			errs.Errorf(vp.Pos, "play %q: vars_prompt %q has no value: lvslab does not prompt; give it with -e %s=VALUE", title, vp.Name, vp.Name)
			continue
		}
		if play.Vars == nil {
			play.Vars = map[string]any{}
		}
		if _, set := play.Vars[vp.Name]; !set {
			play.Vars[vp.Name] = vp.Default
		}
	}
	return errs.OrNil()
}

// prompts reports, before the run, every vars_prompt that has no value.
func (v *validator) prompts(play *playbook.Play) {
	if err := v.r.promptVars(play); err != nil {
		for _, e := range err.(pos.List) {
			v.add(play.Pos, e)
		}
	}
}

// inBatch returns the names of the serial batch under way (all of them
// when there is no serial).
func (r *Runner) inBatch(names []string) []string {
	if r.batch == nil {
		return names
	}
	in := map[string]bool{}
	for _, n := range names {
		in[n] = true
	}
	var out []string
	for _, b := range r.batch { // in the play's order
		if in[b] {
			out = append(out, b)
		}
	}
	return out
}
