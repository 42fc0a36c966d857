package module

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"lvslab/internal/host"
)

// YumRepository is Ansible's yum_repository: one section, [name], of a
// .repo file in reposdir (/etc/yum.repos.d), file.repo (file defaults to
// name). state present (the default) writes the section anew from the
// arguments (description is its name =, and one of baseurl, metalink or
// mirrorlist is required), absent removes it, and the file with its last
// section. The file is read and written as Python's RawConfigParser does
// for Ansible: the other sections are kept in their order and the comments
// dropped, the section written goes last with its keys sorted, "key =
// value" lines, booleans as 1 and 0, baseurl and gpgkey lists one value a
// line (continuation lines start with a tab), exclude and includepkgs
// lists joined by spaces, a blank line after each section. Idempotent as
// Ansible's: the file is rewritten only when its sections and keys (sorted,
// formatting aside) differ. mode, owner and group set the file's
// attributes. Check mode and --diff as the other file modules. It
// registers repo and state.
type YumRepository struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	File        string    `yaml:"file"`
	Reposdir    string    `yaml:"reposdir"`
	State       string    `yaml:"state"`
	Mode        OctalMode `yaml:"mode"`
	Owner       string    `yaml:"owner"`
	Group       string    `yaml:"group"`

	Baseurl     StrList `yaml:"baseurl"`
	Gpgkey      StrList `yaml:"gpgkey"`
	Exclude     StrList `yaml:"exclude"`
	Includepkgs StrList `yaml:"includepkgs"`

	Async             *bool `yaml:"async"`
	Enabled           *bool `yaml:"enabled"`
	Enablegroups      *bool `yaml:"enablegroups"`
	Gpgcheck          *bool `yaml:"gpgcheck"`
	ModuleHotfixes    *bool `yaml:"module_hotfixes"`
	Keepalive         *bool `yaml:"keepalive"`
	Protect           *bool `yaml:"protect"`
	RepoGpgcheck      *bool `yaml:"repo_gpgcheck"`
	S3Enabled         *bool `yaml:"s3_enabled"`
	SkipIfUnavailable *bool `yaml:"skip_if_unavailable"`
	SSLCheckCertPerms *bool `yaml:"ssl_check_cert_permissions"`
	Sslverify         *bool `yaml:"sslverify"`
	ValidateCerts     *bool `yaml:"validate_certs"` // alias of sslverify

	Bandwidth                  string `yaml:"bandwidth"`
	Cost                       string `yaml:"cost"`
	DeltarpmMetadataPercentage string `yaml:"deltarpm_metadata_percentage"`
	DeltarpmPercentage         string `yaml:"deltarpm_percentage"`
	Failovermethod             string `yaml:"failovermethod"`
	Gpgcakey                   string `yaml:"gpgcakey"`
	HTTPCaching                string `yaml:"http_caching"`
	Include                    string `yaml:"include"`
	IPResolve                  string `yaml:"ip_resolve"`
	Keepcache                  string `yaml:"keepcache"`
	MetadataExpire             string `yaml:"metadata_expire"`
	MetadataExpireFilter       string `yaml:"metadata_expire_filter"`
	Metalink                   string `yaml:"metalink"`
	Mirrorlist                 string `yaml:"mirrorlist"`
	MirrorlistExpire           string `yaml:"mirrorlist_expire"`
	Password                   string `yaml:"password"`
	Priority                   string `yaml:"priority"`
	Proxy                      string `yaml:"proxy"`
	ProxyPassword              string `yaml:"proxy_password"`
	ProxyUsername              string `yaml:"proxy_username"`
	Retries                    string `yaml:"retries"`
	Sslcacert                  string `yaml:"sslcacert"`
	CACert                     string `yaml:"ca_cert"` // alias of sslcacert
	Sslclientcert              string `yaml:"sslclientcert"`
	ClientCert                 string `yaml:"client_cert"` // alias of sslclientcert
	Sslclientkey               string `yaml:"sslclientkey"`
	ClientKey                  string `yaml:"client_key"` // alias of sslclientkey
	Throttle                   string `yaml:"throttle"`
	Timeout                    string `yaml:"timeout"`
	UIRepoidVars               string `yaml:"ui_repoid_vars"`
	Username                   string `yaml:"username"`
}

// yumRepoWant is what a yum_repository task wants: the file and the
// section's keys and values.
type yumRepoWant struct {
	YumRepository
	dest string
	keys [][2]string // sorted by key
}

// yumRepoChoices are the arguments that take one of a few values.
var yumRepoChoices = map[string][]string{
	"failovermethod":         {"roundrobin", "priority"},
	"http_caching":           {"all", "packages", "none"},
	"ip_resolve":             {"4", "6", "IPv4", "IPv6", "whatever"},
	"keepcache":              {"0", "1"},
	"metadata_expire_filter": {"never", "read-only:past", "read-only:present", "read-only:future"},
}

// want defaults and checks the arguments, reporting every problem.
func (m *YumRepository) want() (yumRepoWant, error) {
	var p problems
	w := yumRepoWant{YumRepository: *m}
	w.State = stateArg(m.State, &p)
	w.Reposdir = orDefault(m.Reposdir, "/etc/yum.repos.d")
	w.File = orDefault(m.File, m.Name)
	switch {
	case m.Name == "":
		p.add("name is required")
	case strings.ContainsAny(m.Name, "[]\n"):
		p.add("name %q cannot be a section name", m.Name)
	}
	if strings.ContainsAny(w.File, "/\x00") {
		p.add("file %q must be a file name, not a path", w.File)
	}
	if w.State == "present" {
		if len(m.Baseurl) == 0 && m.Metalink == "" && m.Mirrorlist == "" {
			p.add("Parameter 'baseurl', 'metalink' or 'mirrorlist' is required.")
		}
		if m.Description == "" {
			p.add("Parameter 'description' is required.")
		}
	}
	w.dest = path.Join(w.Reposdir, w.File+".repo")
	bools := map[string]*bool{
		"async": m.Async, "enabled": m.Enabled, "enablegroups": m.Enablegroups, "gpgcheck": m.Gpgcheck,
		"module_hotfixes": m.ModuleHotfixes, "keepalive": m.Keepalive, "protect": m.Protect, "repo_gpgcheck": m.RepoGpgcheck,
		"s3_enabled": m.S3Enabled, "skip_if_unavailable": m.SkipIfUnavailable, "ssl_check_cert_permissions": m.SSLCheckCertPerms,
		"sslverify": orDefault(m.Sslverify, m.ValidateCerts),
	}
	strs := map[string]string{
		"name": m.Description, "bandwidth": m.Bandwidth, "cost": m.Cost, "deltarpm_metadata_percentage": m.DeltarpmMetadataPercentage,
		"deltarpm_percentage": m.DeltarpmPercentage, "failovermethod": m.Failovermethod, "gpgcakey": m.Gpgcakey,
		"http_caching": m.HTTPCaching, "include": m.Include, "ip_resolve": m.IPResolve, "keepcache": m.Keepcache,
		"metadata_expire": m.MetadataExpire, "metadata_expire_filter": m.MetadataExpireFilter, "metalink": m.Metalink,
		"mirrorlist": m.Mirrorlist, "mirrorlist_expire": m.MirrorlistExpire, "password": m.Password, "priority": m.Priority,
		"proxy": m.Proxy, "proxy_password": m.ProxyPassword, "proxy_username": m.ProxyUsername, "retries": m.Retries,
		"sslcacert": orDefault(m.Sslcacert, m.CACert), "sslclientcert": orDefault(m.Sslclientcert, m.ClientCert),
		"sslclientkey": orDefault(m.Sslclientkey, m.ClientKey), "throttle": m.Throttle, "timeout": m.Timeout,
		"ui_repoid_vars": m.UIRepoidVars, "username": m.Username,
		"baseurl": strings.Join(m.Baseurl, "\n"), "gpgkey": strings.Join(m.Gpgkey, "\n"),
		"exclude": strings.Join(m.Exclude, " "), "includepkgs": strings.Join(m.Includepkgs, " "),
	}
	for k, b := range bools {
		if b != nil {
			strs[k] = map[bool]string{true: "1", false: "0"}[*b]
		}
	}
	for k, choices := range yumRepoChoices {
		if v := strs[k]; v != "" && !slices.Contains(choices, v) {
			p.add("%s must be one of %s, not %q", k, strings.Join(choices, ", "), v)
		}
	}
	for k, v := range strs {
		if v != "" {
			w.keys = append(w.keys, [2]string{k, v})
		}
	}
	sort.Slice(w.keys, func(i, j int) bool { return w.keys[i][0] < w.keys[j][0] })
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *YumRepository) Validate() error { _, err := m.want(); return err }

// Apply converges the section: one probe that reads the file, then at most
// one upload (or the file's removal).
func (m *YumRepository) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	script := "if [ -d " + host.Quote(w.Reposdir) + " ]; then echo reposdir=1; fi\n" + probeScript(w.dest, probeOpts{Content: true, Limit: -1, Follow: true})
	st, err := probeFile(ctx, h, "yum_repository "+w.dest, script)
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"repo": w.Name, "state": w.State}}
	if st.Extra["reposdir"] != "1" {
		return failRes(res, "Repo directory '%s' does not exist.", w.Reposdir), nil
	}
	if st.Other != "" {
		return failRes(res, "%s is a %s, not a regular file", w.dest, st.Other), nil
	}
	before, err := parseRepoFile(string(st.Content))
	if err != nil {
		return failRes(res, "%s: %v", w.dest, err), nil
	}
	after := w.edit(before)
	if after.dump() == before.dump() {
		if !st.Exists {
			return res, nil
		}
		after = nil // only the attributes, at most
	}
	if st.Exists && len(after) == 0 && after != nil {
		res.Changed = true
		if env.Diff {
			res.Diff = []FileDiff{{Path: w.dest, Before: string(st.Content)}}
		}
		return runSteps(ctx, h, env, "yum_repository", []string{"rm -f -- " + host.Quote(st.Path)}, res)
	}
	content := string(st.Content)
	if after != nil {
		content = after.write()
	}
	attrs := FileAttrs{Mode: w.Mode, Owner: w.Owner, Group: w.Group}
	wres, err := writeFile(ctx, h, env, st, writeOpts{FileAttrs: attrs}, bytesPayload([]byte(content)))
	res.Changed, res.Failed, res.Msg, res.Diff = wres.Changed, wres.Failed, wres.Msg, wres.Diff
	return res, err
}

// repoSection is one section of a .repo file: its name and its keys in
// their order.
type repoSection struct {
	name string
	keys [][2]string
}

// repoFile is a .repo file's sections in their order.
type repoFile []repoSection

// edit returns the sections with the task's section removed and, with state
// present, written anew at the end.
func (w yumRepoWant) edit(f repoFile) repoFile {
	out := slices.DeleteFunc(slices.Clone(f), func(s repoSection) bool { return s.name == w.Name })
	if w.State == "present" {
		out = append(out, repoSection{w.Name, w.keys})
	}
	return out
}

// write is the file as RawConfigParser.write writes it.
func (f repoFile) write() string {
	var b strings.Builder
	for _, s := range f {
		fmt.Fprintf(&b, "[%s]\n", s.name)
		for _, kv := range s.keys {
			fmt.Fprintf(&b, "%s = %s\n", kv[0], strings.ReplaceAll(kv[1], "\n", "\n\t"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// dump is Ansible's YumRepo.dump: the sections and their keys sorted, what
// it compares to tell a change.
func (f repoFile) dump() string {
	s := slices.Clone(f)
	sort.SliceStable(s, func(i, j int) bool { return s[i].name < s[j].name })
	var b strings.Builder
	for _, sec := range s {
		keys := slices.Clone(sec.keys)
		sort.SliceStable(keys, func(i, j int) bool { return keys[i][0] < keys[j][0] })
		fmt.Fprintf(&b, "[%s]\n", sec.name)
		for _, kv := range keys {
			fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
		}
		b.WriteString("\n")
	}
	return b.String()
}

var (
	repoSectionRE = regexp.MustCompile(`^\[(.+)\]`)
	repoOptionRE  = regexp.MustCompile(`^(.*?)\s*([=:])\s*(.*)$`)
)

// parseRepoFile reads a .repo file as RawConfigParser does: sections,
// "key = value" or "key: value" options (keys lowercased), indented
// continuation lines, # and ; comment lines; a duplicate section or key,
// or an option before the first section, is an error as it is Python's.
func parseRepoFile(text string) (repoFile, error) {
	var f repoFile
	var cur *repoSection
	var vals []string // the current option's lines
	indent := 0
	flush := func() {
		if cur != nil && len(vals) > 0 {
			cur.keys[len(cur.keys)-1][1] = strings.TrimRight(strings.Join(vals, "\n"), " \t\n")
		}
		vals = nil
	}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			continue
		}
		if t == "" {
			if vals != nil {
				vals = append(vals, "")
			}
			continue
		}
		lead := len(line) - len(strings.TrimLeft(line, " \t"))
		if vals != nil && lead > indent {
			vals = append(vals, t)
			continue
		}
		flush()
		indent = lead
		if m := repoSectionRE.FindStringSubmatch(t); m != nil {
			if slices.ContainsFunc(f, func(s repoSection) bool { return s.name == m[1] }) {
				return nil, fmt.Errorf("line %d: section %q already exists", i+1, m[1])
			}
			f = append(f, repoSection{name: m[1]})
			cur = &f[len(f)-1]
			continue
		}
		m := repoOptionRE.FindStringSubmatch(t)
		switch {
		case cur == nil:
			return nil, fmt.Errorf("line %d: file contains no section headers", i+1)
		case m == nil || strings.TrimSpace(m[1]) == "":
			return nil, fmt.Errorf("line %d: %q is not key = value", i+1, t)
		}
		key := strings.ToLower(strings.TrimRight(m[1], " \t"))
		if slices.ContainsFunc(cur.keys, func(kv [2]string) bool { return kv[0] == key }) {
			return nil, fmt.Errorf("line %d: option %q in section %q already exists", i+1, key, cur.name)
		}
		cur.keys = append(cur.keys, [2]string{key, ""})
		vals = []string{m[3]}
	}
	flush()
	return f, nil
}
