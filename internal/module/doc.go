// Package module holds the modules that converge a host, Ansible's
// modules in Go: each is decoded from a task's (already rendered)
// arguments, validated before the first connection, and applied to one
// host, honouring check mode.
//
// # The shape of every module
//
// A module is a struct of arguments and five steps, always the same:
//
//  1. Arguments. Exported fields with yaml tags; Registry.New decodes a
//     task's arguments into them strictly (an unknown key is an error with
//     its line and column). Nothing changes them afterwards.
//  2. Parse and default: want. A method `want() (xWant, error)` returns
//     what the task wants as a value: the arguments with the defaults
//     filled in (xWant embeds a copy of the struct), plus what was parsed
//     out of them (an address, a compiled expression, an ipvs.Service). It
//     collects EVERY problem in a problems value (p.add, p.addErr) and
//     returns p.err(), so that a task with three mistakes reports three.
//     Validate is `_, err := m.want(); return err`; Apply calls want again,
//     so a module built as a Go value works without Registry.New and no
//     state passes from Validate to Apply.
//  3. Inspect: one round trip. Everything the module needs to know of the
//     host comes back from ONE command, run with inspect and read into an
//     inspection: probes (probe(name, cmd), catFile(path) for a file, both
//     joined with probes(...)) come back with their output and exit
//     status, key=value lines in kv, a file's content after contentMark.
//     Facts come from env.Facts; where they may be missing, the inspect
//     command carries familyProbe and osFamily picks the answer.
//  4. Plan: pure. A method on xWant turns the inspection into the shell
//     steps that converge the host and the Result that says what they
//     change (Changed, Msg, Data with "commands"). It runs nothing, so
//     check mode is the same plan, not run, and a test can call it alone.
//  5. Apply: one command. runSteps(ctx, h, env, what, steps, res) joins
//     the steps with && and runs them as one command, or nothing in check
//     mode or when there is nothing to do; a step that fails fails the task
//     with its output registered.
//
// Modules that write files use the file writer instead of steps 3-5's
// helpers: probeScript/probeFile inspect the destination, writeFile plans
// (planWrite) and uploads. Modules that change nothing on the host (assert,
// debug, set_fact, cert on the controller, http_check) have steps 1, 2 and
// their own apply. Modules never print: what they have to say goes into
// Result.
//
// # Adding a module
//
// example_module_test.go is a complete module (hostname), written in this
// shape, with its tests; route.go is a real one of the same size. To add one:
//
//   - write x.go: the struct with its doc comment (what it does, its
//     arguments and their defaults, idempotence, check mode), want,
//     Validate, Apply, and the plan as a method of xWant;
//   - register it in builtins (builtins.go) under its task name;
//   - write x_test.go with a fake host (probeFake(probeOutput(fakeProbe{...})))
//     for each case: converged (one call, not changed, in check mode too),
//     each change (two calls; the commands compared with a golden file,
//     goldenShell(t, "lab/NAME", f.Calls, true), which go test -update
//     writes), check mode (one call, same Msg), bad arguments (every
//     problem reported); a row in TestModulesBuiltDirectly; and, where the
//     shell is subtle, a test that runs it (localExec, netnsExec).
//
// The helpers, one for each need: problems (validation errors), stateArg,
// boolArg and orDefault (arguments), quoteWords (shell words), probe,
// probes, catFile, inspect and inspection (the inspect command),
// osFamily, probeFamilies and hostFacts (the host's OS), unitText,
// unitProbes and unitSteps (a systemd unit that restores a setting at
// boot), writeStep (a file written by a step), runSteps and applied (the
// apply command).
package module
