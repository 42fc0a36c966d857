package module

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// GetURL downloads a URL to a file ON THE HOST, through the host's own
// network, with curl or, where there is no curl, wget (neither: the task
// fails saying so), as Ansible's get_url. The download goes to a temporary
// file beside dest and replaces dest only when its content differs
// (changed), after its checksum, when given, has been verified.
//
// Idempotence, as Ansible: an existing dest is left alone without
// downloading when force is false and checksum is given and matches; with
// force false and no checksum the request carries If-Modified-Since (dest's
// mtime), and a 304 answer leaves dest alone; otherwise the file is fetched
// and compared. dest may be a directory: the file is then named by the
// URL's last path element (Content-Disposition is not read). Check mode
// downloads nothing: changed unless dest is there and force is false (and
// its checksum matches when one is given).
//
// Arguments: url (http, https or ftp; required), dest (required), checksum
// ("ALGORITHM:HEX", algorithms md5, sha1, sha224, sha256, sha384, sha512),
// force (false), timeout (10 seconds), headers (a mapping), validate_certs
// (true), url_username and url_password (basic authentication, the
// password passed in a file, never on a command line; sent when the server
// asks, or on the first request with force_basic_auth, as uri's), and mode, owner,
// group, backup. Returned: url, dest, msg ("OK (N bytes)" or "file already
// exists"), status_code, checksum_src and checksum_dest (sha1), md5sum,
// size, elapsed, and the file's state, mode, uid, gid, owner, group.
type GetURL struct {
	URL            string            `yaml:"url"`
	Dest           string            `yaml:"dest"`
	Checksum       string            `yaml:"checksum"`
	Force          bool              `yaml:"force"`
	Timeout        *int              `yaml:"timeout"`
	Headers        map[string]string `yaml:"headers"`
	ValidateCerts  *bool             `yaml:"validate_certs"`
	URLUsername    string            `yaml:"url_username"`
	URLPassword    string            `yaml:"url_password"`
	ForceBasicAuth bool              `yaml:"force_basic_auth"`
	Mode           OctalMode         `yaml:"mode"`
	Owner          string            `yaml:"owner"`
	Group          string            `yaml:"group"`
	Backup         bool              `yaml:"backup"`
}

// getURLWant is what a get_url task wants: the arguments with defaults,
// and the checksum split into its algorithm and value.
type getURLWant struct {
	GetURL
	algo, sum string
	timeout   int
}

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

// want fills the defaults and checks the arguments.
func (m *GetURL) want() (getURLWant, error) {
	var p problems
	w := getURLWant{GetURL: *m, timeout: httpArgs(m.URL, m.Timeout, 10, []string{"http", "https", "ftp"}, &p)}
	if m.Dest == "" {
		p.add("dest is required")
	}
	if m.Checksum != "" {
		algo, sum, ok := strings.Cut(m.Checksum, ":")
		w.algo, w.sum = algo, strings.ToLower(regexp.MustCompile(`\W+`).ReplaceAllString(sum, ""))
		switch {
		case !ok:
			p.add("The checksum parameter has to be in format <algorithm>:<checksum>")
		case !slices.Contains(statAlgorithms, algo):
			p.add("checksum algorithm %q: want one of %s", algo, strings.Join(statAlgorithms, ", "))
		case strings.Contains(sum, "://"):
			p.add("checksum: a checksum URL is not supported, give the value")
		case !hexRE.MatchString(w.sum):
			p.add("The checksum format is invalid")
		}
	}
	for k := range m.Headers {
		if k == "" || strings.ContainsAny(k, ":\r\n") || strings.ContainsAny(m.Headers[k], "\r\n") {
			p.add("header %q is not a valid header", k)
		}
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *GetURL) Validate() error { _, err := m.want(); return err }

// Apply inspects dest and the download tools with one command, then
// downloads, verifies and moves with one more.
func (m *GetURL) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "get_url "+w.Dest, w.inspectScript())
	if err == nil {
		err = in.failure("get_url " + w.Dest)
	}
	if err != nil {
		return Result{}, err
	}
	dest := w.Dest
	if in.kv["isdir"] == "1" {
		dest = strings.TrimSuffix(dest, "/") + "/" + orDefault(path.Base(mustURL(w.URL).Path), "index.html")
	}
	res := Result{Data: map[string]any{"url": w.URL, "dest": dest, "elapsed": 0, "checksum_dest": nil}}
	exists := in.kv["exists"] == "1" && in.kv["isdir"] != "1"
	switch {
	case in.kv["tool"] == "":
		return failRes(res, "neither curl nor wget is installed on the host: get_url needs one"), nil
	case exists && !w.Force && w.sum != "" && in.kv["dsum"] == w.sum:
		res.Msg = "file already exists"
		return w.attrs(ctx, h, env, res, in)
	case env.Check && exists && !w.Force && w.sum == "":
		res.Msg = "file already exists"
		return res, nil
	case env.Check:
		return w.head(ctx, h, in.kv["tool"], res)
	}
	stdin := w.URLPassword
	if in.kv["tool"] == "curl" {
		stdin = curlUser(w.URLUsername, w.URLPassword)
	}
	out, err := h.Run(ctx, w.downloadScript(in.kv["tool"], dest, exists && !w.Force && w.sum == ""), host.RunOpts{Stdin: strings.NewReader(stdin)})
	if err != nil {
		return Result{}, fmt.Errorf("get_url %s: %w", w.URL, err)
	}
	got := parseInspection(out.Stdout)
	status, _ := strconv.Atoi(got.kv["status"])
	res.Data["status_code"] = status
	switch {
	case got.kv["rc"] != "0" && status != 304:
		res.Data["response"] = orDefault(strings.TrimSpace(out.Stderr), "exit "+got.kv["rc"])
		return failRes(res, "Request failed"), nil
	case status == 304:
		res.Msg = "HTTP Error 304: Not Modified"
		return res, nil
	case out.ExitCode != 0:
		return Result{}, cmdErr("get_url "+w.URL, out, nil)
	}
	res.Data["checksum_src"] = firstWord(got.kv["src"])
	if d := firstWord(got.kv["dest"]); d != "" {
		res.Data["checksum_dest"] = d
	}
	if w.sum != "" && firstWord(got.kv["sum"]) != w.sum {
		// As Ansible, which moves the file into place and then removes it.
		res.Changed = true
		return failRes(res, "The checksum for %s did not match %s; it was %s.", dest, w.sum, firstWord(got.kv["sum"])), nil
	}
	res.Changed = got.kv["moved"] == "1"
	res.Msg = "OK (" + got.kv["size"] + " bytes)"
	res.Data["md5sum"] = firstWord(got.kv["md5"])
	if b := got.kv["backup_file"]; b != "" {
		res.Data["backup_file"] = b
	}
	w.pathInfo(res.Data, got.kv["st"])
	return res, nil
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

func firstWord(s string) string { f, _, _ := strings.Cut(s, " "); return f }

// inspectScript reports the download tool, whether dest is a directory or
// exists, and dest's checksum by the given algorithm.
func (w getURLWant) inspectScript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s\n", host.Quote(w.Dest))
	b.WriteString("if command -v curl >/dev/null 2>&1; then echo tool=curl; elif command -v wget >/dev/null 2>&1; then echo tool=wget; fi\n")
	b.WriteString("if [ -d \"$d\" ]; then echo isdir=1; elif [ -e \"$d\" ]; then echo exists=1\n")
	fmt.Fprintf(&b, "  stat -c 'st=%s' -- \"$d\"\n", statFormat)
	if w.sum != "" {
		fmt.Fprintf(&b, "  printf 'dsum='; %ssum < \"$d\" | cut -d' ' -f1\n", w.algo)
	}
	b.WriteString("fi\nexit 0\n")
	return b.String()
}

// downloadScript fetches the URL with tool into a temporary file beside
// dest, prints its status, checksums and size, and moves it over dest when
// it differs. The password, if any, comes on stdin.
func (w getURLWant) downloadScript(tool, dest string, ifModified bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s\nt=$(mktemp \"${d%%/*}/.lvslab-get_url.XXXXXX\") || exit 1\ntrap 'rm -f -- \"$t\"' EXIT\n", host.Quote(dest))
	var hdrs []string
	for k, v := range w.Headers {
		hdrs = append(hdrs, k+": "+v)
	}
	sort.Strings(hdrs)
	if ifModified {
		hdrs = append(hdrs, "If-Modified-Since: $(date -u -R -r \"$d\" | sed 's/+0000/GMT/')")
	}
	hq := func(flag, h string) string {
		if strings.Contains(h, "$(date") {
			return " " + flag + " \"" + h + "\""
		}
		return " " + flag + " " + host.Quote(h)
	}
	insecure := !boolArg(w.ValidateCerts, true)
	switch tool {
	case "curl":
		b.WriteString("s=$(curl -sS -f -L -o \"$t\" -w '%{http_code}'")
		fmt.Fprintf(&b, " --max-time %d", w.timeout)
		if insecure {
			b.WriteString(" -k")
		}
		if w.URLUsername != "" {
			b.WriteString(" -K -") // the user line comes on stdin
		}
		b.WriteString(curlAuth(w.URL, w.URLUsername, w.ForceBasicAuth))
		for _, h := range hdrs {
			b.WriteString(hq("-H", h))
		}
	default:
		b.WriteString("wget -q -S -O \"$t\"")
		fmt.Fprintf(&b, " -T %d", w.timeout)
		if insecure {
			b.WriteString(" --no-check-certificate")
		}
		if w.URLUsername != "" {
			b.WriteString(" --user=" + host.Quote(w.URLUsername) + " --password=\"$(cat)\"")
		}
		if w.ForceBasicAuth && hasCredentials(w.URL, w.URLUsername) {
			b.WriteString(" --auth-no-challenge") // wget's default waits for the 401
		}
		for _, h := range hdrs {
			b.WriteString(hq("--header", h))
		}
	}
	fmt.Fprintf(&b, " -- %s", host.Quote(w.URL))
	if tool != "curl" {
		b.WriteString(" 2>\"$t.h\"; rc=$?; s=$(sed -n 's/^  HTTP\\/[0-9.]* \\([0-9]*\\).*/\\1/p' \"$t.h\" | tail -n1); grep -v '^  ' \"$t.h\" >&2; rm -f -- \"$t.h\"\n")
	} else {
		b.WriteString("); rc=$?\n")
	}
	b.WriteString("echo \"status=$s\"; echo \"rc=$rc\"; [ $rc -eq 0 ] && [ \"$s\" != 304 ] || exit 0\n")
	b.WriteString("printf 'src='; sha1sum < \"$t\"; printf 'md5='; md5sum < \"$t\"; echo \"size=$(stat -c %s -- \"$t\")\"\n")
	if w.sum != "" {
		fmt.Fprintf(&b, "printf 'sum='; %ssum < \"$t\"\n", w.algo)
		fmt.Fprintf(&b, "[ \"$(%ssum < \"$t\" | cut -d' ' -f1)\" = %s ] || { rm -f -- \"$d\"; exit 0; }\n", w.algo, w.sum)
	}
	b.WriteString("if [ -e \"$d\" ]; then printf 'dest='; sha1sum < \"$d\"; fi\n")
	b.WriteString("if [ ! -f \"$d\" ] || ! cmp -s -- \"$t\" \"$d\"; then\n")
	if w.Backup {
		b.WriteString("  if [ -f \"$d\" ]; then " + strings.ReplaceAll(backupCmd(dest), host.Quote(dest), "\"$d\"") + " || exit 1; fi\n")
	}
	b.WriteString("  if [ -e \"$d\" ]; then chmod --reference=\"$d\" -- \"$t\" && chown --reference=\"$d\" -- \"$t\"; else chmod 0644 -- \"$t\"; fi\n")
	b.WriteString("  mv -f -- \"$t\" \"$d\" || exit 1; echo moved=1\nfi\n")
	if a := attrCmd("$d", w.Mode, w.Owner, w.Group, 0, [2]string{}, [2]string{}, false); a != "" {
		b.WriteString(strings.ReplaceAll(a, host.Quote("$d"), "\"$d\"") + " || exit 1\n")
	}
	fmt.Fprintf(&b, "stat -c 'st=%s' -- \"$d\"\n", statFormat)
	return b.String()
}

// head is check mode's request, as Ansible's: a HEAD request (with curl;
// none with wget) whose Content-Length is reported, and changed.
func (w getURLWant) head(ctx context.Context, h host.Executor, tool string, res Result) (Result, error) {
	res.Changed = true
	if tool != "curl" {
		return res, nil
	}
	cmd := fmt.Sprintf("curl -sS -f -L -I -o /dev/null -D - -w 'status=%%{http_code}\\n' --max-time %d", w.timeout)
	if !boolArg(w.ValidateCerts, true) {
		cmd += " -k"
	}
	for k, v := range w.Headers {
		cmd += " -H " + host.Quote(k+": "+v)
	}
	var opts host.RunOpts
	if w.URLUsername != "" {
		cmd += " -K -" // the user line comes on stdin
		opts.Stdin = strings.NewReader(curlUser(w.URLUsername, w.URLPassword))
	}
	cmd += curlAuth(w.URL, w.URLUsername, w.ForceBasicAuth)
	out, err := h.Run(ctx, cmd+" -- "+host.Quote(w.URL), opts)
	if err != nil {
		return Result{}, fmt.Errorf("get_url %s: %w", w.URL, err)
	}
	if out.ExitCode != 0 {
		res.Changed, res.Data["response"] = false, strings.TrimSpace(out.Stderr)
		return failRes(res, "Request failed"), nil
	}
	n := "unknown"
	for _, l := range strings.Split(out.Stdout, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "content-length") {
			n = strings.TrimSpace(v)
		}
	}
	res.Msg = "OK (" + n + " bytes)"
	return res, nil
}

// attrs gives an existing, already downloaded dest the wanted mode, owner
// and group.
func (w getURLWant) attrs(ctx context.Context, h host.Executor, env *Env, res Result, in inspection) (Result, error) {
	st, _ := statFields(in.kv["st"])
	var cmd string
	if st != nil {
		mode, _ := strconv.ParseUint(st["mode"].(string), 8, 32)
		cmd = attrCmd(w.Dest, w.Mode, w.Owner, w.Group, uint32(mode), [2]string{fmt.Sprint(st["uid"]), fmt.Sprint(st["pw_name"])}, [2]string{fmt.Sprint(st["gid"]), fmt.Sprint(st["gr_name"])}, false)
	}
	w.pathInfo(res.Data, in.kv["st"])
	if cmd == "" {
		return res, nil
	}
	res.Changed, res.Msg = true, "file already exists but file attributes changed"
	if env.Check {
		return res, nil
	}
	return runSteps(ctx, h, env, "get_url", []string{cmd}, res)
}

// pathInfo adds the file's state, mode, owner and group as Ansible's
// exit_json does for a result with dest.
func (w getURLWant) pathInfo(data map[string]any, line string) {
	st, err := statFields(line)
	if err != nil {
		return
	}
	data["state"], data["mode"], data["size"], data["uid"], data["gid"] = "file", st["mode"], st["size"], st["uid"], st["gid"]
	data["owner"], data["group"] = st["pw_name"], st["gr_name"]
}
