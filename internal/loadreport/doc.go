// Package loadreport draws the picture of `lvslab load` runs: the baseline
// (one real server directly) beside the VIP, so that a person sees at a
// glance that N real servers behind the director carry about N times what
// one carries.
//
// The picture has a headline (the scale-out factor of two runs, else the
// requests per second or a ramp's capacity) and three kinds of chart sharing
// one time axis: requests per second per run (for a ramp also the offered
// rate, the failed steps and the capacity found), p99 latency per run (for a
// ramp also the rule's bound), and for each run the requests per second of
// every real server, stacked. Intervals with failed requests are marked in a
// strip under the first chart.
//
// The same picture is written as SVG, as PNG (rasterized with
// golang.org/x/image) or inside a self-contained HTML page that adds a
// summary table per run. Output is deterministic and bounded whatever the
// input: long runs are drawn with merged intervals (at most 600 points a
// run), at most 12 real servers a run are drawn (the rest as "others"),
// texts are shortened and at most 8 runs are accepted.
//
// No runs is an error; runs without intervals give a valid picture whose
// charts say "no intervals".
package loadreport
