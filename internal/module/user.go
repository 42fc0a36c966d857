package module

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// User makes a local user account exist with the given attributes, or
// not, with useradd, usermod and userdel, as Ansible's user. One inspect
// command (getent passwd and shadow, id -Gn, the primary group asked for),
// then at most one command; check mode runs only the first. Only what
// differs is changed: usermod gets just those options.
//
// Arguments: name (required), state (present or absent), uid, group (the
// primary group, a name or a gid; it must exist), groups (supplementary
// groups, a list or a comma-separated string; with append false, the
// default, the user is in exactly those, "" none; with append true they
// are added), shell, home, create_home (alias createhome; true: useradd
// -m), move_home (false: usermod -d -m), system (false: useradd -r),
// comment, password (the crypt(3) hash, as Ansible: compared with
// /etc/shadow's and set with chpasswd -e on stdin, never on a command line
// nor in any output), update_password (always; on_create), remove and
// force (state absent: userdel -r, -f), non_unique. Returned as Ansible:
// name, state, uid, group (the gid), groups, comment, home, shell, system,
// create_home (made) or append and move_home (kept), password
// "NOT_LOGGING_PASSWORD" when given; for absent force and remove.
type User struct {
	Name           string  `yaml:"name"`
	State          string  `yaml:"state"`
	UID            *int    `yaml:"uid"`
	Group          string  `yaml:"group"`
	Groups         StrList `yaml:"groups"`
	Append         bool    `yaml:"append"`
	Shell          string  `yaml:"shell"`
	Home           string  `yaml:"home"`
	CreateHome     *bool   `yaml:"create_home"`
	CreateHomeOld  *bool   `yaml:"createhome"` // alias of create_home
	MoveHome       bool    `yaml:"move_home"`
	System         bool    `yaml:"system"`
	Comment        *string `yaml:"comment"`
	Password       string  `yaml:"password"`
	UpdatePassword string  `yaml:"update_password"`
	Remove         bool    `yaml:"remove"`
	Force          bool    `yaml:"force"`
	NonUnique      bool    `yaml:"non_unique"`
}

// userWant is what a user task wants: the arguments with aliases and
// defaults, the supplementary groups as a list.
type userWant struct {
	User
	groups    []string
	setGroups bool // groups was given
}

// want fills the defaults and checks the arguments.
func (m *User) want() (userWant, error) {
	var p problems
	w := userWant{User: *m, setGroups: m.Groups != nil}
	w.State = stateArg(m.State, &p)
	if !accountName.MatchString(m.Name) || len(m.Name) > 32 {
		p.add("name %q is not a user name", m.Name)
	}
	if m.UID != nil && *m.UID < 0 {
		p.add("uid must not be negative")
	}
	for _, g := range commaList(m.Groups) {
		if g = strings.TrimSpace(g); g != "" {
			w.groups = append(w.groups, g)
		}
	}
	for _, g := range append(slices.Clone(w.groups), m.Group) {
		if g != "" && !accountName.MatchString(g) && !isDigits(g) {
			p.add("group %q is not a group name", g)
		}
	}
	w.UpdatePassword = orDefault(m.UpdatePassword, "always")
	if w.UpdatePassword != "always" && w.UpdatePassword != "on_create" {
		p.add("update_password %q: want always or on_create", m.UpdatePassword)
	}
	if strings.ContainsAny(m.Password, ":\n") {
		p.add("password must be a crypt(3) hash (no ':' nor newline)")
	}
	for name, v := range map[string]string{"shell": m.Shell, "home": m.Home} {
		if strings.ContainsAny(v, ":\n") {
			p.add("%s must not hold ':' nor a newline", name)
		}
	}
	if m.Comment != nil && strings.ContainsAny(*m.Comment, ":\n") {
		p.add("comment must not hold ':' nor a newline")
	}
	c := boolArg(m.CreateHome, boolArg(m.CreateHomeOld, true))
	w.CreateHome = &c
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *User) Validate() error { _, err := m.want(); return err }

// userState is the account as the host has it.
type userState struct {
	exists                         bool
	uid, gid, comment, home, shell string
	hash                           string
	groups                         []string // supplementary, by name
	wantGID                        string   // the gid of the group asked for ("" unknown)
}

// Apply converges the account: one inspect command, then at most one.
func (m *User) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	q := host.Quote(w.Name)
	p := []string{probe("passwd", "getent passwd "+q), probe("groups", "id -Gn "+q+" 2>/dev/null")}
	if w.Password != "" {
		p = append(p, probe("shadow", "getent shadow "+q+" | cut -d: -f2"))
	}
	if w.Group != "" {
		p = append(p, probe("group", "getent group "+host.Quote(w.Group)))
	}
	in, err := inspect(ctx, h, "user "+w.Name, probes(p...))
	if err != nil {
		return Result{}, err
	}
	st := userStateOf(in)
	if w.State == "present" && w.Group != "" && st.wantGID == "" {
		return Result{Failed: true, Msg: fmt.Sprintf("Group %s does not exist", w.Group), Data: map[string]any{"name": w.Name}}, nil
	}
	steps, stdin := w.plan(st)
	res := Result{Changed: len(steps) > 0, Data: w.data(st, env.Check)}
	if len(steps) == 0 || env.Check {
		return res, nil
	}
	if w.State == "present" {
		steps = append(steps, "getent passwd "+q) // the uid and gid it got
	}
	out, err := h.Run(ctx, strings.Join(steps, " && "), host.RunOpts{Stdin: strings.NewReader(stdin)})
	if err != nil {
		return res, fmt.Errorf("apply user: %w", err)
	}
	res = applied(res, "user", out)
	if f := strings.Split(strings.TrimSpace(lastLines(out.Stdout, 1)), ":"); w.State == "present" && len(f) == 7 {
		res.Data["uid"], _ = strconv.Atoi(f[2])
		res.Data["group"], _ = strconv.Atoi(f[3])
		res.Data["home"] = f[5]
	}
	delete(res.Data, "stdout")
	delete(res.Data, "rc")
	if s := res.Data["stderr"]; s == "" {
		delete(res.Data, "stderr")
	}
	return res, nil
}

func userStateOf(in inspection) userState {
	st := userState{}
	if f := strings.Split(in.text("passwd"), ":"); in.ok("passwd") && len(f) == 7 {
		st.exists, st.uid, st.gid, st.comment, st.home, st.shell = true, f[2], f[3], f[4], f[5], f[6]
	}
	if g := strings.Fields(in.text("groups")); len(g) > 1 {
		st.groups = g[1:]
	}
	st.hash = in.text("shadow")
	if f := strings.Split(in.text("group"), ":"); in.ok("group") && len(f) >= 3 {
		st.wantGID = f[2]
	}
	return st
}

// plan returns the steps that converge the account and their stdin (the
// password line for chpasswd).
func (w userWant) plan(st userState) ([]string, string) {
	if w.State == "absent" {
		if !st.exists {
			return nil, ""
		}
		o := []string{}
		if w.Remove {
			o = append(o, "-r")
		}
		if w.Force {
			o = append(o, "-f")
		}
		// userdel exits 12 when only the mail spool or home is missing.
		return []string{"{ userdel " + quoteWords(append(o, w.Name)) + "; rc=$?; [ $rc -eq 0 ] || [ $rc -eq 12 ]; }"}, ""
	}
	var o []string
	if w.NonUnique {
		o = append(o, "-o")
	}
	if w.UID != nil && (!st.exists || st.uid != strconv.Itoa(*w.UID)) {
		o = append(o, "-u", strconv.Itoa(*w.UID))
	}
	if w.Group != "" && (!st.exists || st.gid != st.wantGID) {
		o = append(o, "-g", w.Group)
	}
	if w.Shell != "" && (!st.exists || st.shell != w.Shell) {
		o = append(o, "-s", w.Shell)
	}
	if w.Comment != nil && (!st.exists || st.comment != *w.Comment) {
		o = append(o, "-c", *w.Comment)
	}
	if w.Home != "" && (!st.exists || st.home != w.Home) {
		o = append(o, "-d", w.Home)
		if st.exists && w.MoveHome {
			o = append(o, "-m")
		}
	}
	if groups, ok := w.groupsArg(st); ok {
		o = append(o, "-G", groups)
		if st.exists && w.Append {
			o = append(o, "-a")
		}
	}
	var steps []string
	switch {
	case !st.exists:
		if w.System {
			o = append(o, "-r")
		}
		if *w.CreateHome {
			o = append(o, "-m")
		} else {
			o = append(o, "-M")
		}
		steps = append(steps, "useradd "+quoteWords(append(o, w.Name)))
	case len(o) > 0 && !(len(o) == 1 && o[0] == "-o"):
		steps = append(steps, "usermod "+quoteWords(append(o, w.Name)))
	}
	if w.Password != "" && (!st.exists || w.UpdatePassword == "always" && st.hash != w.Password) {
		steps = append(steps, "chpasswd -e")
		return steps, w.Name + ":" + w.Password + "\n"
	}
	return steps, ""
}

// groupsArg returns usermod's -G value when the supplementary groups differ.
func (w userWant) groupsArg(st userState) (string, bool) {
	if !w.setGroups {
		return "", false
	}
	want := w.groups
	if w.Append {
		var missing []string
		for _, g := range want {
			if !slices.Contains(st.groups, g) {
				missing = append(missing, g)
			}
		}
		return strings.Join(missing, ","), len(missing) > 0
	}
	have := slices.Clone(st.groups)
	slices.Sort(have)
	sorted := slices.Clone(want)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if st.exists && slices.Equal(have, sorted) || !st.exists && len(want) == 0 {
		return "", false
	}
	return strings.Join(want, ","), true
}

// data returns Ansible's registered values of the account: in check mode
// an existing account's shell, home and comment as they are, as Ansible.
func (w userWant) data(st userState, check bool) map[string]any {
	d := map[string]any{"name": w.Name, "state": w.State}
	if w.State == "absent" {
		d["force"], d["remove"] = w.Force, w.Remove
		return d
	}
	atoi := func(s string) any {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil
		}
		return n
	}
	d["uid"], d["group"], d["home"], d["shell"], d["comment"] = atoi(st.uid), atoi(st.gid), st.home, st.shell, st.comment
	if w.UID != nil {
		d["uid"] = *w.UID
	}
	if w.Group != "" {
		d["group"] = atoi(st.wantGID)
	}
	if !check || !st.exists {
		if w.Shell != "" {
			d["shell"] = w.Shell
		}
		if w.Home != "" {
			d["home"] = w.Home
		}
		if w.Comment != nil {
			d["comment"] = *w.Comment
		}
	}
	if w.setGroups {
		d["groups"] = strings.Join(w.groups, ",")
	}
	if w.Password != "" {
		d["password"] = "NOT_LOGGING_PASSWORD"
	}
	if st.exists {
		d["append"], d["move_home"] = w.Append, w.MoveHome
	} else {
		d["system"], d["create_home"] = w.System, *w.CreateHome
	}
	return d
}
