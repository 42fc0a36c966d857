package module

import (
	"context"
	"fmt"
	"strconv"

	"lvslab/internal/host"
)

// EditPath is the path argument of blockinfile and replace, with
// Ansible's aliases.
type EditPath struct {
	Path     string `yaml:"path"`
	Dest     string `yaml:"dest"`     // alias of path
	DestFile string `yaml:"destfile"` // alias of path
	Name     string `yaml:"name"`     // alias of path
}

// path returns the path given under any of its names.
func (e EditPath) path() string {
	return orDefault(orDefault(orDefault(e.Path, e.Dest), e.DestFile), e.Name)
}

// textEdit is the shape of the modules that edit a text file in place
// (blockinfile, ini_file, replace): one probe reads the file (through a
// symbolic link, as Ansible writes the real file), edit computes the new
// content here, and the shared file writer uploads it (atomic, backup,
// validate, diff, mode/owner/group) only when it differs.
type textEdit struct {
	path   string
	attrs  FileAttrs
	create bool // a missing file is edited as empty, else missing is the outcome
	// missing is the outcome when the file does not exist and create is
	// false: a failure (failed) or ok, with its message.
	missing struct {
		failed bool
		msg    string
	}
	// plainMsg reports edit's message as it is (ini_file), without
	// Ansible's check_file_attrs words about changed attributes.
	plainMsg bool
	// edit returns the new content and the task's message; keep says to
	// leave the file alone whatever the content (with msg, a failure when
	// failed).
	edit func(old string, exists bool) (content, msg string, keep, failed bool)
}

// run converges the file.
func (e textEdit) run(ctx context.Context, h host.Executor, env *Env, what string) (Result, error) {
	st, err := probeFile(ctx, h, what+" "+e.path, probeScript(e.path, probeOpts{Content: true, Limit: -1, Follow: true}))
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"path": e.path}}
	switch {
	case st.Other == "directory":
		res.Data["rc"] = 256
		return failRes(res, "Path %s is a directory !", e.path), nil
	case st.Other != "":
		return failRes(res, "%s is a %s, not a regular file", e.path, st.Other), nil
	case !st.Exists && !e.create:
		if e.missing.failed {
			res.Data["rc"] = 257
			return failRes(res, "%s", e.missing.msg), nil
		}
		res.Msg = e.missing.msg
		return res, nil
	}
	content, msg, keep, failed := e.edit(string(st.Content), st.Exists)
	if keep {
		res.Msg, res.Failed = msg, failed
		return res, nil
	}
	wres, err := writeFile(ctx, h, env, st, writeOpts{FileAttrs: e.attrs}, bytesPayload([]byte(content)))
	switch {
	case !wres.Failed && e.plainMsg:
		wres.Msg = msg
	case wres.Changed && !wres.Failed:
		// Ansible's check_file_attrs adds to the message when the mode,
		// owner or group change (a new file is made 0644).
		a := e.attrs
		attrs := a.Mode.Set && a.Mode.Bits != 0o644
		if st.Exists {
			attrs = attrCmd(st.Path, a.Mode, a.Owner, a.Group, st.Mode, [2]string{st.UID, st.Owner}, [2]string{st.GID, st.Group}, false) != ""
		}
		switch {
		case msg == "":
			wres.Msg = "ownership, perms or SE linux context changed"
		case attrs:
			wres.Msg = msg + " and ownership, perms or SE linux context changed"
		default:
			wres.Msg = msg
		}
	}
	wres.Data["path"] = e.path
	if e.plainMsg && st.Exists && !wres.Failed {
		e.pathInfo(wres.Data, st, len(content))
	}
	return wres, err
}

// pathInfo adds what Ansible's exit_json adds to a result with a path: the
// file's state, mode, owner and group (as they are after the task), and size.
func (e textEdit) pathInfo(data map[string]any, st fileState, size int) {
	uid, _ := strconv.Atoi(st.UID)
	gid, _ := strconv.Atoi(st.GID)
	mode := st.Mode
	if e.attrs.Mode.Set {
		mode = e.attrs.Mode.Bits
	}
	data["state"], data["mode"], data["size"] = "file", fmt.Sprintf("%04o", mode), size
	data["uid"], data["gid"], data["owner"], data["group"] = uid, gid, st.Owner, st.Group
	if e.attrs.Owner != "" || e.attrs.Group != "" {
		delete(data, "uid")
		delete(data, "gid")
		delete(data, "owner")
		delete(data, "group")
	}
}
