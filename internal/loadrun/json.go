package loadrun

import "lvslab/internal/lvs"

// JSON returns a run as the "load" event of --output json: every figure of
// the text output (the fields are listed in the README).
func (r Result) JSON(c lvs.Config) map[string]any {
	ev := map[string]any{
		"event": "load", "target": r.Target.Name, "label": r.Target.Label, "url": r.Target.URL, "via": r.Target.Via,
		"from": r.From, "mode": c.Mode, "scheduler": c.Scheduler, "summary": r.Summary,
		"shares": r.Shares.JSON(), "shares_ok": r.Shares.OK(), "expectation": r.Target.Expect.Why,
	}
	if r.Ramp != nil {
		ev["ramp"] = r.Ramp
	}
	if r.Director != nil {
		ev["director"] = directorJSON(r.Director)
	}
	return ev
}

// CompareJSON is the "compare" event that follows two runs.
func CompareJSON(results []Result) map[string]any {
	if len(results) != 2 {
		return nil
	}
	a, b := rate(results[0]), rate(results[1])
	ev := map[string]any{"event": "compare", "baseline": results[0].Target.Name, "baseline_rps": a,
		"vip_rps": b, "real_servers": active(results[1].Target.Servers)}
	if a > 0 {
		ev["factor"] = b / a
	}
	return ev
}

func directorJSON(ds []lvs.ServiceDelta) []map[string]any {
	out := make([]map[string]any, 0, len(ds))
	for _, d := range ds {
		dests := make([]map[string]any, 0, len(d.Dests))
		for _, x := range d.Dests {
			m := countersJSON(x.Stats)
			m["addr"] = x.Addr
			dests = append(dests, m)
		}
		m := countersJSON(d.Stats)
		m["service"] = d.Key
		m["dests"] = dests
		out = append(out, m)
	}
	return out
}

func countersJSON(c lvs.Counters) map[string]any {
	return map[string]any{"conns": c[lvs.Conns], "in_pkts": c[lvs.InPkts], "out_pkts": c[lvs.OutPkts],
		"in_bytes": c[lvs.InBytes], "out_bytes": c[lvs.OutBytes]}
}
