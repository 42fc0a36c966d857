package module

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// aptDebWant is what an apt task with deb wants: the .deb files (deb is a
// path on the host or an http(s)/ftp URL, several separated by commas),
// each installed with apt-get (which installs what it depends on from the
// repositories) unless the package it holds is installed at its version
// already, as Ansible's install_deb decides. A URL is downloaded on the
// host, with curl or wget, once to read the package's name and version and
// once to install it. deb goes with state present only, and not with name.
type aptDebWant struct {
	Apt
	debs  []string
	extra pkgExtra
}

// debWant checks the arguments of an apt task with deb.
func (a *Apt) debWant() (aptDebWant, error) {
	var p problems
	w := aptDebWant{Apt: *a, extra: a.pkg().extra}
	if len(a.Name)+len(a.Pkg)+len(a.Package) > 0 {
		p.add("deb and name are mutually exclusive")
	}
	if a.State != "" && a.State != "present" && a.State != "installed" {
		p.add("deb only supports state=present")
	}
	for _, d := range strings.Split(a.Deb, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if strings.Contains(d, "://") {
			if u, err := url.Parse(d); err != nil || u.Host == "" || !(u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ftp") {
				p.add("deb %q is not an http, https or ftp URL", d)
			}
		} else if !strings.HasPrefix(d, "/") && !strings.HasPrefix(d, ".") {
			d = "./" + d // apt-get takes a path, not a name
		}
		w.debs = append(w.debs, d)
	}
	if len(w.debs) == 0 {
		p.add("deb names no file")
	}
	return w, p.err()
}

// applyDeb installs the .deb files that are not installed at their version:
// one inspection, then at most one command.
func (a *Apt) applyDeb(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := a.debWant()
	if err != nil {
		return Result{}, err
	}
	var ps []string
	for i, d := range w.debs {
		ps = append(ps, probe("deb"+strconv.Itoa(i), w.fieldsCmd(d)))
	}
	in, err := inspect(ctx, h, "deb "+a.Deb, probes(ps...))
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"pkg_mgr": "apt"}}
	var todo, names []string
	for i, d := range w.debs {
		name := "deb" + strconv.Itoa(i)
		kv := parseInspection(in.out[name]).kv
		if !in.ok(name) || kv["package"] == "" {
			return failRes(res, "Unable to install package: %s: %s", d, strings.TrimSpace(in.out[name])), nil
		}
		if kv["same"] != "1" {
			todo = append(todo, d)
			names = append(names, kv["package"]+"="+kv["version"])
		}
	}
	res.Data["packages"] = names
	if len(todo) == 0 {
		return res, nil
	}
	res.Changed, res.Msg = true, "installed "+strings.Join(names, ", ")
	if env.Check {
		res.Msg = "would install " + strings.Join(names, ", ")
		return res, nil
	}
	out, err := runPkg(ctx, h, "apt", w.installCmd(todo))
	if err != nil {
		return res, fmt.Errorf("apply apt deb: %w", err)
	}
	res = applied(res, "apt-get install", out)
	res.Data["stdout_lines"] = outLines(trimNL(out.Stdout))
	return res, nil
}

// fieldsCmd prints package=, version= and, when that version is installed,
// same=1, of one .deb.
func (w aptDebWant) fieldsCmd(deb string) string {
	get, f := "", host.Quote(deb)
	if strings.Contains(deb, "://") {
		get, f = hostDownload("apt", deb, `"$t/p.deb"`, false)+" || exit 1; ", "\"$t/p.deb\""
	}
	return "( t=$(mktemp -d) || exit 1; trap 'rm -rf \"$t\"' EXIT; " + get +
		"p=$(dpkg-deb -f " + f + " Package) && v=$(dpkg-deb -f " + f + " Version) || exit 1; " +
		"echo \"package=$p\"; echo \"version=$v\"; " +
		"s=$(dpkg-query -W -f '${Status} ${Version}' \"$p\" 2>/dev/null); case \"$s\" in *' ok installed '*) dpkg --compare-versions \"$v\" eq \"${s##* }\" && echo same=1;; esac; exit 0 )"
}

// installCmd installs the .deb files (URLs downloaded first).
func (w aptDebWant) installCmd(debs []string) string {
	var gets, files []string
	for i, d := range debs {
		if strings.Contains(d, "://") {
			f := fmt.Sprintf("$t/%d.deb", i)
			gets = append(gets, hostDownload("apt", d, `"`+f+`"`, false))
			d = "\"" + f + "\""
		} else {
			d = host.Quote(d)
		}
		files = append(files, d)
	}
	install := aptEnv + "apt-get install " + aptOpts + w.extra.aptInstallOpts() + " " + strings.Join(files, " ")
	if len(gets) == 0 {
		return install
	}
	return "( t=$(mktemp -d) || exit 1; trap 'rm -rf \"$t\"' EXIT; " + strings.Join(gets, " && ") + " && " + install + " )"
}

// hostDownload is the shell command that downloads u on the host to out
// (a shell word; "-" is stdout) with curl or, where there is none, wget;
// insecure skips the certificate check. what names the module in the
// error when neither is there.
func hostDownload(what, u, out string, insecure bool) string {
	curl, wget := "curl -sS -f -L", "wget -q"
	if insecure {
		curl, wget = curl+" -k", wget+" --no-check-certificate"
	}
	q := host.Quote(u)
	return "{ if command -v curl >/dev/null 2>&1; then " + curl + " -o " + out + " " + q +
		"; elif command -v wget >/dev/null 2>&1; then " + wget + " -O " + out + " " + q +
		"; else echo '" + what + ": neither curl nor wget is installed on the host' >&2; false; fi; }"
}
