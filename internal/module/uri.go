package module

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// URI sends an HTTP request ON THE HOST, with curl, through the host's own
// network, as Ansible's uri: the registered status, url (after redirects),
// redirected, msg ("OK (N bytes)" with the Content-Length), every response
// header by its lower-case name with - as _ (content_type, server ...),
// cookies and cookies_string, content (with return_content) and json (when
// the response is JSON, whatever return_content). A status not in
// status_code fails the task ("Status code was 404 and not [200]: HTTP
// Error 404: Not Found").
//
// Arguments: url (required), method (GET), body, body_format (raw; json
// sends body, a string or a structure, as JSON and sets Content-Type;
// form-urlencoded sends a mapping as a form, keys sorted), headers,
// status_code (a list; 200), return_content (false), timeout (30 seconds),
// validate_certs (true), follow_redirects (safe: only GET and HEAD are
// followed; all/yes; none/no), url_username and url_password (basic
// authentication, given to curl on stdin, never on a command line; as
// Ansible's, sent only when the server asks with a 401, or on the first
// request with force_basic_auth; credentials in the URL are used alike). It
// changes nothing (changed is false), and, as in Ansible, check mode skips
// it. The body goes on stdin; one command.
type URI struct {
	URL             string            `yaml:"url"`
	Method          string            `yaml:"method"`
	Body            any               `yaml:"body"`
	BodyFormat      string            `yaml:"body_format"`
	Headers         map[string]string `yaml:"headers"`
	StatusCode      []int             `yaml:"status_code"`
	ReturnContent   bool              `yaml:"return_content"`
	Timeout         *int              `yaml:"timeout"`
	ValidateCerts   *bool             `yaml:"validate_certs"`
	FollowRedirects string            `yaml:"follow_redirects"`
	URLUsername     string            `yaml:"url_username"`
	URLPassword     string            `yaml:"url_password"`
	ForceBasicAuth  bool              `yaml:"force_basic_auth"`
}

// uriWant is what a uri task wants: the arguments with defaults, and the
// request body as sent.
type uriWant struct {
	URI
	body    string
	timeout int
}

// want fills the defaults, encodes the body and checks the arguments.
func (m *URI) want() (uriWant, error) {
	var p problems
	w := uriWant{URI: *m, timeout: httpArgs(m.URL, m.Timeout, 30, []string{"http", "https"}, &p)}
	w.Method = strings.ToUpper(orDefault(m.Method, "GET"))
	if strings.ContainsAny(w.Method, " \t\r\n'\"") {
		p.add("method %q is not an HTTP method", m.Method)
	}
	if len(w.StatusCode) == 0 {
		w.StatusCode = []int{200}
	}
	w.BodyFormat = orDefault(m.BodyFormat, "raw")
	w.FollowRedirects = orDefault(m.FollowRedirects, "safe")
	if !slices.Contains([]string{"safe", "all", "yes", "none", "no", "urllib2"}, w.FollowRedirects) {
		p.add("follow_redirects %q: want safe, all or none", m.FollowRedirects)
	}
	w.Headers = map[string]string{}
	for k, v := range m.Headers {
		if k == "" || strings.ContainsAny(k, ":\r\n") || strings.ContainsAny(v, "\r\n") {
			p.add("header %q is not a valid header", k)
		}
		w.Headers[k] = v
	}
	setType := func(t string) {
		for k := range w.Headers {
			if strings.EqualFold(k, "content-type") {
				return
			}
		}
		w.Headers["Content-Type"] = t
	}
	switch s, isText := m.Body.(string); w.BodyFormat {
	case "raw":
		if m.Body != nil && !isText {
			p.add("body must be a string with body_format raw")
		}
		w.body = s
	case "json":
		if isText {
			w.body = s
		} else if m.Body != nil {
			b, err := pyJSON(m.Body)
			if err != nil {
				p.add("body: %w", err)
			}
			w.body = b
		}
		setType("application/json")
	case "form-urlencoded":
		form, ok := m.Body.(map[string]any)
		switch {
		case isText:
			w.body = s
		case ok:
			v := url.Values{}
			for k, x := range form {
				v.Set(k, fmt.Sprint(x))
			}
			w.body = v.Encode()
		case m.Body != nil:
			p.add("failed to parse body as form_urlencoded: want a mapping")
		}
		setType("application/x-www-form-urlencoded")
	default:
		p.add("body_format %q: want raw, json or form-urlencoded", m.BodyFormat)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *URI) Validate() error { _, err := m.want(); return err }

// Apply sends the request with one command.
func (m *URI) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	if env.Check {
		return Result{Skipped: true, Msg: "remote module (ansible.legacy.uri) does not support check mode", Data: map[string]any{}}, nil
	}
	stdin := w.body
	if w.URLUsername != "" {
		stdin = curlUser(w.URLUsername, w.URLPassword) + w.body
	}
	out, err := h.Run(ctx, w.script(), host.RunOpts{Stdin: strings.NewReader(stdin)})
	if err != nil {
		return Result{}, fmt.Errorf("uri %s: %w", w.URL, err)
	}
	in := parseInspection(out.Stdout)
	switch {
	case in.kv["curl"] == "0":
		return Result{Failed: true, Msg: "curl is not installed on the host: uri needs it", Data: map[string]any{}}, nil
	case in.kv["rc"] != "0":
		return Result{Failed: true, Msg: "Status code was -1 and not " + intList(w.StatusCode) + ": Request failed: " + strings.TrimSpace(out.Stderr),
			Data: map[string]any{"status": -1, "url": w.URL, "elapsed": 0, "redirected": false}}, nil
	}
	return w.result(in), nil
}

// script returns the curl command: the response's headers and status,
// then its body in base64.
func (w uriWant) script() string {
	var b strings.Builder
	b.WriteString("command -v curl >/dev/null 2>&1 || { echo curl=0; exit 0; }\n")
	b.WriteString("t=$(mktemp -d) || exit 1; trap 'rm -rf -- \"$t\"' EXIT\n")
	if w.URLUsername != "" {
		// stdin: curlUser's line, then the body.
		b.WriteString("IFS= read -r c; printf '%s\\n' \"$c\" > \"$t/k\"; cat > \"$t/in\"\n")
	}
	fmt.Fprintf(&b, "curl -sS -X %s -D \"$t/h\" -o \"$t/b\" -w 'status=%%{http_code}\\nurl=%%{url_effective}\\n' --max-time %d", host.Quote(w.Method), w.timeout)
	if w.FollowRedirects == "all" || w.FollowRedirects == "yes" || w.FollowRedirects == "safe" && (w.Method == "GET" || w.Method == "HEAD") {
		b.WriteString(" -L")
	}
	if !boolArg(w.ValidateCerts, true) {
		b.WriteString(" -k")
	}
	keys := make([]string, 0, len(w.Headers))
	for k := range w.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(" -H " + host.Quote(k+": "+w.Headers[k]))
	}
	b.WriteString(curlAuth(w.URL, w.URLUsername, w.ForceBasicAuth))
	switch {
	case w.URLUsername != "":
		b.WriteString(" -K \"$t/k\"")
		if w.body != "" {
			b.WriteString(" --data-binary @\"$t/in\"")
		}
	case w.body != "":
		b.WriteString(" --data-binary @-")
	}
	if w.Method == "HEAD" {
		b.WriteString(" -I")
	}
	fmt.Fprintf(&b, " -- %s; echo \"rc=$?\"\n", host.Quote(w.URL))
	b.WriteString("sed 's/\\r$//; s/^/h=/' \"$t/h\" 2>/dev/null; printf 'body='; base64 -w0 < \"$t/b\" 2>/dev/null; echo\n")
	return b.String()
}

// result builds Ansible's registered values from what curl printed.
func (w uriWant) result(in inspection) Result {
	status, _ := strconv.Atoi(in.kv["status"])
	data := map[string]any{"status": status, "url": in.kv["url"], "redirected": in.kv["url"] != w.URL, "elapsed": 0, "changed": false}
	cookies, reason := map[string]any{}, ""
	var cookieList []string
	for _, h := range in.values("h") {
		if strings.HasPrefix(h, "HTTP/") { // a new response (after a redirect): its headers only
			for k := range data {
				if !slices.Contains([]string{"status", "url", "redirected", "elapsed", "changed"}, k) {
					delete(data, k)
				}
			}
			if f := strings.SplitN(h, " ", 3); len(f) == 3 {
				reason = f[2]
			}
			continue
		}
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			continue
		}
		k, v = strings.ReplaceAll(strings.ToLower(k), "-", "_"), strings.TrimSpace(v)
		if k == "set_cookie" {
			if nv, _, _ := strings.Cut(v, ";"); strings.Contains(nv, "=") {
				n, val, _ := strings.Cut(nv, "=")
				cookies[n] = val
				cookieList = append(cookieList, nv)
			}
		}
		if old, dup := data[k].(string); dup && k != "status" {
			v = old + ", " + v
		}
		data[k] = v
	}
	data["cookies"], data["cookies_string"] = cookies, strings.Join(cookieList, "; ")
	delete(data, "changed")
	body, _ := base64.StdEncoding.DecodeString(in.kv["body"])
	ct, _ := data["content_type"].(string)
	sub := ct
	if _, s, ok := strings.Cut(strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0])), "/"); ok {
		sub = s
	}
	if _, suffix, ok := strings.Cut(sub, "+"); ok {
		sub = suffix
	}
	if sub == "json" || sub == "javascript" {
		var js any
		if json.Unmarshal(body, &js) == nil {
			data["json"] = js
		}
	}
	if w.ReturnContent {
		data["content"] = string(body)
	}
	res := Result{Data: data, Msg: "OK (" + orDefault(fmt.Sprint(orAny(data["content_length"], "unknown")), "unknown") + " bytes)"}
	if status >= 400 {
		// urllib's error: the body is kept apart unless it was read as content.
		res.Msg = fmt.Sprintf("HTTP Error %d: %s", status, reason)
		if _, isJSON := data["json"]; !isJSON && !w.ReturnContent && slices.Contains(w.StatusCode, status) {
			data["body"] = string(body)
		}
	}
	if !slices.Contains(w.StatusCode, status) {
		res.Failed = true
		res.Msg = fmt.Sprintf("Status code was %d and not %s: HTTP Error %d: %s", status, intList(w.StatusCode), status, reason)
	}
	return res
}

func orAny(v, def any) any {
	if v == nil {
		return def
	}
	return v
}

// intList prints a list of ints as Python prints one: [200, 201].
func intList(l []int) string {
	s := make([]string, len(l))
	for i, n := range l {
		s[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// pyJSON encodes v as Python's json.dumps does by default (", " and ": "
// separators, non-ASCII as \u escapes); mapping keys are sorted (a
// YAML mapping's order is not kept).
func pyJSON(v any) (string, error) {
	var b strings.Builder
	var enc func(v any) error
	enc = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := enc(k); err != nil {
					return err
				}
				b.WriteString(": ")
				if err := enc(x[k]); err != nil {
					return err
				}
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := enc(e); err != nil {
					return err
				}
			}
			b.WriteByte(']')
		case string:
			q, _ := json.Marshal(x)
			for _, r := range strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(q)) {
				if r > 127 {
					if r > 0xffff {
						r -= 0x10000
						fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
						continue
					}
					fmt.Fprintf(&b, `\u%04x`, r)
					continue
				}
				b.WriteRune(r)
			}
		default:
			q, err := json.Marshal(x)
			if err != nil {
				return err
			}
			b.Write(q)
		}
		return nil
	}
	err := enc(v)
	return b.String(), err
}

// httpArgs checks the url of uri and get_url (one of schemes) and returns
// the timeout argument, def when not given.
func httpArgs(rawURL string, timeout *int, def int, schemes []string, p *problems) int {
	t := def
	if timeout != nil {
		t = *timeout
	}
	if t <= 0 {
		p.add("timeout must be positive")
	}
	if u, err := url.Parse(rawURL); rawURL == "" || err != nil || !slices.Contains(schemes, u.Scheme) || u.Host == "" {
		p.add("url must be an %s URL", strings.Join(schemes, " or "))
	}
	return t
}

// curlUser is the curl configuration line (curl -K) of basic
// authentication's user and password: they never go on a command line.
func curlUser(user, password string) string {
	return "user = \"" + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`).Replace(user+":"+password) + "\"\n"
}

// curlAuth is curl's flag for when the credentials of a request (user, or
// in the URL) are sent, as Ansible's urls: on the first request with
// force_basic_auth, else only when the server asks for them (a 401 with
// its scheme), which --anyauth does.
func curlAuth(rawURL, user string, force bool) string {
	if force || !hasCredentials(rawURL, user) {
		return ""
	}
	return " --anyauth"
}

// hasCredentials tells whether a request carries credentials: a user, or
// one in the URL.
func hasCredentials(rawURL, user string) bool {
	u, err := url.Parse(rawURL)
	return user != "" || err == nil && u.User != nil
}
