package module

import (
	"context"
	"regexp"
	"strings"

	"lvslab/internal/host"
)

// RpmKey is Ansible's rpm_key: it imports an OpenPGP key into the rpm
// database (rpm --import) or removes one (rpm --erase --allmatches
// gpg-pubkey-ID), with rpm and gpg (or gpg2) on the host, as ansible-core
// 2.14's rpm_key does. key is, in Ansible's order, a URL (downloaded on the
// host with curl or wget, validate_certs false skipping the certificate
// check; it must hold an armored public key), a key id (8 or more hex
// digits, 0x allowed: enough for state absent, or for present when the key
// is there already) or a key file on the host. fingerprint, with state
// present, must be the key's (spaces aside) before it is imported. Present
// converges when the key's id is among the ids of the imported keys (and
// subkeys), absent when it is not. One inspection reads the key and the
// imported keys (gpg in a throwaway home directory); check mode reports
// what would change.
type RpmKey struct {
	Key           string `yaml:"key"`
	State         string `yaml:"state"`
	Fingerprint   string `yaml:"fingerprint"`
	ValidateCerts *bool  `yaml:"validate_certs"`
}

// rpmKeyWant is what an rpm_key task wants: the arguments defaulted, and
// how key is given.
type rpmKeyWant struct {
	RpmKey
	kind string // url, id or file
}

// rpmKeyIDRE is Ansible's is_keyid, matched at the start of key.
var rpmKeyIDRE = regexp.MustCompile(`(?i)^(0x)?[0-9a-f]{8}`)

// want defaults and checks the arguments, reporting every problem.
func (m *RpmKey) want() (rpmKeyWant, error) {
	var p problems
	w := rpmKeyWant{RpmKey: *m}
	w.State = stateArg(m.State, &p)
	w.Key = strings.TrimSpace(m.Key)
	w.Fingerprint = strings.ToUpper(strings.ReplaceAll(m.Fingerprint, " ", ""))
	switch {
	case w.Key == "":
		p.add("key is required")
	case strings.Contains(w.Key, "://"):
		w.kind = "url"
	case rpmKeyIDRE.MatchString(w.Key):
		w.kind = "id"
	default:
		w.kind = "file"
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *RpmKey) Validate() error { _, err := m.want(); return err }

// Apply converges the key: one inspection, then at most one command.
func (m *RpmKey) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	gpg := "$(command -v gpg || command -v gpg2) --no-tty --batch --no-options --homedir \"$t\" --with-colons --fixed-list-mode --with-fingerprint"
	inGpgHome := func(cmd string) string {
		return "( t=$(mktemp -d) || exit 1; trap 'rm -rf \"$t\"' EXIT; " + cmd + " )"
	}
	ps := []string{
		"command -v rpm >/dev/null 2>&1 && echo bin:rpm=1; { command -v gpg || command -v gpg2; } >/dev/null 2>&1 && echo bin:gpg=1",
		probe("imported", inGpgHome("rpm -q gpg-pubkey >/dev/null 2>&1 || exit 0; rpm -q gpg-pubkey --qf '%{description}' | "+gpg+" - 2>&1")),
	}
	switch w.kind {
	case "url":
		ps = append(ps, probe("key", inGpgHome(hostDownload("rpm_key", w.Key, "\"$t/key\"", !boolArg(w.ValidateCerts, true))+
			" || exit 1; grep -q -e '-----BEGIN PGP PUBLIC KEY BLOCK-----' \"$t/key\" || { echo notpubkey=1; exit 0; }; "+gpg+" \"$t/key\" 2>&1")))
	case "file":
		ps = append(ps, probe("key", inGpgHome("[ -f "+host.Quote(w.Key)+" ] || { echo nofile=1; exit 0; }; "+gpg+" "+host.Quote(w.Key)+" 2>&1")))
	}
	in, err := inspect(ctx, h, "rpm keys", probes(ps...))
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{}}
	for _, b := range []string{"rpm", "gpg"} {
		if in.kv["bin:"+b] != "1" {
			return failRes(res, "Failed to find required executable %q on the host (ansible-core 2.14's rpm_key needs rpm and gpg)", b), nil
		}
	}
	keyOut := in.out["key"]
	kv := parseInspection(keyOut).kv
	switch {
	case kv["nofile"] == "1":
		return failRes(res, "Not a valid key %s", w.Key), nil
	case kv["notpubkey"] == "1":
		return failRes(res, "Not a public key: %s", w.Key), nil
	case w.kind != "id" && !in.ok("key"):
		return failRes(res, "%s", strings.TrimSpace(keyOut)), nil
	case !in.ok("imported"):
		return failRes(res, "%s", strings.TrimSpace(in.out["imported"])), nil
	}
	id, fpr := w.Key, ""
	if w.kind != "id" {
		id, fpr = gpgColonField(keyOut, "pub:", 4), gpgColonField(keyOut, "fpr:", 9)
		if id == "" {
			return failRes(res, "Unexpected gpg output"), nil
		}
	}
	id = strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(id)), "0X"), "0x")
	imported := false
	for _, l := range strings.Split(in.out["imported"], "\n") {
		if f := strings.Split(l, ":"); len(f) > 4 && f[4] != "" && strings.Contains(f[4], id) {
			imported = true
		}
	}
	var step string
	switch {
	case w.State == "present" && !imported:
		if w.kind == "id" {
			return failRes(res, "When importing a key, a valid file must be given"), nil
		}
		if w.Fingerprint != "" && w.Fingerprint != fpr {
			return failRes(res, "The specified fingerprint, '%s', does not match the key fingerprint '%s'", w.Fingerprint, fpr), nil
		}
		step = "rpm --import " + host.Quote(w.Key)
		if w.kind == "url" {
			step = inGpgHome(hostDownload("rpm_key", w.Key, "\"$t/key\"", !boolArg(w.ValidateCerts, true)) + " && rpm --import \"$t/key\"")
		}
	case w.State == "absent" && imported:
		step = "rpm --erase --allmatches " + host.Quote("gpg-pubkey-"+strings.ToLower(id[max(0, len(id)-8):]))
	default:
		return res, nil
	}
	res.Changed = true
	return runSteps(ctx, h, env, "rpm_key", []string{step}, res)
}

// gpgColonField returns field i of the first line of gpg's colon listing
// out that starts with prefix, or "".
func gpgColonField(out, prefix string, i int) string {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, prefix) {
			if f := strings.Split(l, ":"); len(f) > i {
				return f[i]
			}
		}
	}
	return ""
}
