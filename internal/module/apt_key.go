package module

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"lvslab/internal/host"
)

// AptKey is Ansible's apt_key: it adds an OpenPGP key to apt's keyring
// (/etc/apt/trusted.gpg, or keyring) or removes one, with apt-key and gpg
// on the host as ansible-core 2.14's apt_key does (a host without apt-key,
// Debian 13 say, fails the task as Ansible's does: put the key in
// /etc/apt/keyrings with get_url or copy and name it in signed-by).
//
// The key comes from one of url (downloaded on the host with curl or wget;
// validate_certs false skips the certificate check), data (the key itself,
// armored), file (a key file on the host) or keyserver (with id); they
// exclude each other. id (8, 16 or more hex digits, 0x allowed) names the
// key; without it the key's id is read from the key with gpg (in a
// throwaway home directory). state present (the default) converges when
// the key (by its 16-digit id, or its 8-digit one when id has 8) is among
// the keyring's keys and subkeys; absent removes it (apt-key del). One
// inspection lists the keys (and reads the key's id); check mode and --diff
// report the key ids before and after. It registers id, key_id, fp,
// short_id and before, and after when it changed something.
type AptKey struct {
	ID            string `yaml:"id"`
	URL           string `yaml:"url"`
	Data          string `yaml:"data"`
	File          string `yaml:"file"`
	Keyring       string `yaml:"keyring"`
	Keyserver     string `yaml:"keyserver"`
	State         string `yaml:"state"`
	ValidateCerts *bool  `yaml:"validate_certs"`
}

// aptKeyWant is what an apt_key task wants: the arguments defaulted and
// the id, when given, in Ansible's three forms.
type aptKeyWant struct {
	AptKey
	ids aptKeyIDs
}

// aptKeyIDs are a key id's forms (parse_key_id): the last 8 digits (for
// apt-key del), the last 16 (compared with the listing) and all of them.
type aptKeyIDs struct{ short, fp, full string }

// parseAptKeyID checks a key id and returns its forms.
func parseAptKeyID(id string) (aptKeyIDs, error) {
	k := strings.ToUpper(strings.TrimSpace(id))
	k = strings.TrimPrefix(k, "0X")
	if !allHex(k) {
		return aptKeyIDs{}, fmt.Errorf("id %q is not a hexadecimal key id", id)
	}
	if n := len(k); n != 8 && n != 16 && n <= 16 {
		return aptKeyIDs{}, fmt.Errorf("id %q: a key id has 8, 16 or more than 16 hexadecimal digits", id)
	}
	return aptKeyIDs{short: k[len(k)-8:], fp: k[max(0, len(k)-16):], full: k}, nil
}

// allHex reports whether s is hexadecimal digits only.
func allHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789ABCDEFabcdef", r) {
			return false
		}
	}
	return s != ""
}

// want defaults and checks the arguments, reporting every problem.
func (m *AptKey) want() (aptKeyWant, error) {
	var p problems
	w := aptKeyWant{AptKey: *m}
	w.State = stateArg(m.State, &p)
	var sources []string
	for _, s := range []struct{ name, v string }{{"data", m.Data}, {"file", m.File}, {"keyserver", m.Keyserver}, {"url", m.URL}} {
		if s.v != "" {
			sources = append(sources, s.name)
		}
	}
	if len(sources) > 1 {
		p.add("%s are mutually exclusive", strings.Join(sources, " and "))
	}
	if m.ID != "" {
		ids, err := parseAptKeyID(m.ID)
		p.addErr(err)
		w.ids = ids
	} else {
		switch {
		case m.Keyserver != "":
			p.add("keyserver needs id: the key to receive")
		case len(sources) == 0:
			p.add("id is required (or url, data or file to read it from)")
		}
	}
	if m.URL != "" {
		if u, err := url.Parse(m.URL); err != nil || !slices.Contains([]string{"http", "https", "ftp"}, u.Scheme) || u.Host == "" {
			p.add("url %q is not an http, https or ftp URL", m.URL)
		}
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *AptKey) Validate() error { _, err := m.want(); return err }

// Apply converges the key: one inspection, then at most one command, which
// lists the keys again to check that the change took.
func (m *AptKey) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	ps := []string{"for b in apt-key gpg; do command -v $b >/dev/null 2>&1 && echo \"bin:$b=1\"; done", probe("keys", w.listCmd())}
	if w.ID == "" {
		ps = append(ps, probe("key", w.showCmd()))
	}
	in, err := inspect(ctx, h, "apt keys", probes(ps...))
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{}}
	for _, b := range []string{"apt-key", "gpg"} {
		if in.kv["bin:"+b] != "1" {
			return failRes(res, "Failed to find required executable %q on the host (ansible-core 2.14's apt_key needs apt-key and gpg)", b), nil
		}
	}
	ids := w.ids
	if w.ID == "" {
		keys := aptKeysOf(in.out["key"], false)
		what := map[bool]string{true: "inline data", false: orDefault(w.File, w.URL)}[w.Data != ""]
		if !in.ok("key") || len(keys) == 0 {
			return failRes(res, "Unable to extract key from '%s': %s", what, strings.TrimSpace(in.out["key"])), nil
		}
		if ids, err = parseAptKeyID(keys[0]); err != nil {
			return failRes(res, "Invalid key_id %q read from '%s'", keys[0], what), nil
		}
		res.Data["id"] = keys[0]
	} else {
		res.Data["id"] = w.ID
	}
	if !in.ok("keys") {
		return failRes(res, "Unable to list public keys: %s", strings.TrimSpace(in.out["keys"])), nil
	}
	short := len(ids.full) == 8
	before := aptKeysOf(in.out["keys"], short)
	res.Data["short_id"], res.Data["fp"], res.Data["key_id"], res.Data["before"] = ids.short, ids.fp, ids.full, before
	steps, after := w.plan(ids, before)
	if len(steps) == 0 {
		return res, nil
	}
	res.Changed = true
	if env.Diff {
		res.Diff = []FileDiff{{Path: orDefault(w.Keyring, "apt keys"), Before: aptKeyList(before), After: aptKeyList(after)}}
	}
	if env.Check {
		return res, nil
	}
	out, err := h.Run(ctx, strings.Join(steps, " && ")+" && "+probe("after", w.listCmd()), host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("apply apt_key: %w", err)
	}
	ain := parseInspection(out.Stdout)
	out.Stdout = strings.TrimSpace(strings.Split(out.Stdout, probeMarker)[0])
	if res = applied(res, "apt_key", out); res.Failed {
		return res, nil
	}
	got := aptKeysOf(ain.out["after"], short)
	res.Data["after"] = got
	if slices.Contains(got, ids.fp) != (w.State == "present") {
		verb := map[bool]string{true: "failed to add the key", false: "the key was not removed"}[w.State == "present"]
		return failRes(res, "apt-key did not return an error, but %s (check that the id is correct and *not* a subkey)", verb), nil
	}
	return res, nil
}

// plan returns the commands that converge the keyring whose keys are
// before, and the keys it holds afterwards; none when it is converged.
func (w aptKeyWant) plan(ids aptKeyIDs, before []string) ([]string, []string) {
	want := ids.fp
	if len(ids.full) == 8 {
		want = ids.short
	}
	have := slices.Contains(before, want)
	if w.State == "absent" {
		if !slices.Contains(before, ids.fp) {
			return nil, before
		}
		return []string{w.aptKey() + " del " + host.Quote(ids.short)}, slices.DeleteFunc(slices.Clone(before), func(k string) bool { return k == ids.fp })
	}
	if have {
		return nil, before
	}
	after := append(slices.Clone(before), want)
	switch {
	case w.File != "":
		return []string{w.aptKey() + " add " + host.Quote(w.File)}, after
	case w.Keyserver != "":
		return []string{w.aptKey() + " adv --no-tty --keyserver " + host.Quote(w.Keyserver) + " --recv " + host.Quote(ids.full)}, after
	}
	return []string{w.source() + " | " + w.aptKey() + " add -"}, after
}

// aptKey is apt-key with the keyring option, in the C locale.
func (w aptKeyWant) aptKey() string {
	cmd := "LC_ALL=C apt-key"
	if w.Keyring != "" {
		cmd += " --keyring " + host.Quote(w.Keyring)
	}
	return cmd
}

// listCmd lists the keys of the keyring; nothing for a keyring that is
// not there (apt-key would create it, in check mode too).
func (w aptKeyWant) listCmd() string {
	list := w.aptKey() + " adv --list-public-keys --keyid-format=long 2>&1"
	if w.Keyring == "" {
		return list
	}
	return "if [ -e " + host.Quote(w.Keyring) + " ]; then " + list + "; fi"
}

// showCmd prints the key's keys in gpg's colon format, read in a
// throwaway home directory (as Ansible's gpg --with-colons, without
// touching root's).
func (w aptKeyWant) showCmd() string {
	return "( t=$(mktemp -d) || exit 1; " + w.source() + " | gpg --batch --no-options --homedir \"$t\" --with-colons --show-keys 2>&1; r=$?; rm -rf \"$t\"; exit $r )"
}

// source is the shell command that prints the key: the file, the data or
// the download.
func (w aptKeyWant) source() string {
	switch {
	case w.File != "":
		return "cat -- " + host.Quote(w.File)
	case w.Data != "":
		return "printf '%s' " + host.Quote(w.Data)
	}
	return hostDownload("apt_key", w.URL, "-", !boolArg(w.ValidateCerts, true))
}

// aptKeysOf reads the key ids of a listing (apt-key's long format, or
// gpg's colon format) as Ansible's parse_output_for_keys does: pub and sub
// lines not expired; short keeps their last 8 digits.
func aptKeysOf(out string, short bool) []string {
	found := []string{}
	for _, l := range strings.Split(out, "\n") {
		if !(strings.HasPrefix(l, "pub") || strings.HasPrefix(l, "sub")) || strings.Contains(l, "expired") {
			continue
		}
		var code string
		if f := strings.Fields(l); len(f) > 1 && strings.Count(f[1], "/") == 1 {
			_, code, _ = strings.Cut(f[1], "/")
		} else if c := strings.Split(l, ":"); len(c) > 4 {
			code = c[4]
		} else {
			continue
		}
		if short && len(code) > 8 {
			code = code[len(code)-8:]
		}
		found = append(found, code)
	}
	return found
}

// aptKeyList is a list of key ids as a diff shows it: one a line.
func aptKeyList(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return strings.Join(keys, "\n") + "\n"
}
