package module

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"lvslab/internal/host"
)

// Fetch copies a file of the host to the controller, as Ansible's fetch:
// to dest/HOST/SRC (HOST the inventory name, SRC the full remote path), or
// with flat to dest itself (dest ending in / takes the file's base name).
// A relative dest is under the playbook's directory. The file is copied
// only when its sha1 differs from the local copy's (changed), downloaded
// to a temporary file beside dest and renamed into place once its
// checksum is the remote one (validate_checksum). A missing remote file
// fails the task with fail_on_missing (the default), else it is ok with
// Ansible's message; a directory always fails.
//
// Arguments: src, dest (both required), flat (false), fail_on_missing
// (true), validate_checksum (true). Returned: dest, checksum, md5sum,
// remote_checksum and remote_md5sum (null) when copied; file, dest,
// checksum, md5sum when already there. As in Ansible, check mode skips the
// task.
type Fetch struct {
	Src              string `yaml:"src"`
	Dest             string `yaml:"dest"`
	Flat             bool   `yaml:"flat"`
	FailOnMissing    *bool  `yaml:"fail_on_missing"`
	ValidateChecksum *bool  `yaml:"validate_checksum"`
}

// fetchWant is what a fetch task wants (its arguments need no defaults
// but the two booleans').
type fetchWant struct{ Fetch }

// want checks the arguments.
func (m *Fetch) want() (fetchWant, error) {
	var p problems
	if m.Src == "" || m.Dest == "" {
		p.add("src and dest are required")
	}
	return fetchWant{*m}, p.err()
}

// Validate reports every problem of the arguments.
func (m *Fetch) Validate() error { _, err := m.want(); return err }

// local returns the controller path that src goes to.
func (w fetchWant) local(env *Env) (string, error) {
	dest := w.Dest
	if !w.Flat {
		dest = w.Dest + "/" + env.Host + "/" + w.Src
	} else if strings.HasSuffix(dest, "/") {
		dest += filepath.Base(w.Src)
	} else if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		return "", fmt.Errorf("dest is an existing directory, use a trailing slash if you want to fetch src into that directory")
	}
	if !filepath.IsAbs(dest) {
		dest = filepath.Join(env.BaseDir, dest)
	}
	dest = filepath.Clean(dest)
	base := filepath.Clean(w.Dest)
	if !filepath.IsAbs(base) {
		base = filepath.Join(env.BaseDir, base)
	}
	if !strings.HasPrefix(dest, base) {
		return "", fmt.Errorf("detected directory traversal, expected to be contained in '%s' but got '%s'", w.Dest, dest)
	}
	return dest, nil
}

// Apply compares the checksums with one command and, when they differ,
// downloads the file.
func (m *Fetch) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	if env.Check {
		return Result{Skipped: true, Msg: "check mode not (yet) supported for this module", Data: map[string]any{}}, nil
	}
	in, err := inspect(ctx, h, "fetch "+w.Src, remoteRead(w.Src, "printf 'sum='; sha1sum < \"$p\""))
	if err == nil {
		err = in.failure("fetch " + w.Src)
	}
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"file": w.Src}}
	switch in.kv["kind"] {
	case "directory":
		return failRes(res, "remote file is a directory, fetch cannot work on directories"), nil
	case "missing":
		res.Msg, res.Failed = "the remote file does not exist, not transferring, ignored", boolArg(w.FailOnMissing, true)
		return res, nil
	case "unreadable":
		res.Msg, res.Failed = remoteReadProblem(in, w.Src), boolArg(w.FailOnMissing, true)
		return res, nil
	}
	remote, _, _ := strings.Cut(in.kv["sum"], " ")
	dest, err := w.local(env)
	if err != nil {
		return failRes(res, "%s", err), nil
	}
	res.Data["dest"] = dest
	sha, md, _ := fetchSums(dest)
	if sha == remote {
		res.Data["checksum"], res.Data["md5sum"] = sha, md
		return res, nil
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return Result{}, fmt.Errorf("fetch: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".lvslab-fetch-*")
	if err != nil {
		return Result{}, fmt.Errorf("fetch: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = h.Download(ctx, w.Src, tmp, host.Become{})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", w.Src, err)
	}
	sha, md, err = fetchSums(tmp.Name())
	if err != nil {
		return Result{}, fmt.Errorf("fetch: %w", err)
	}
	res.Data = map[string]any{"dest": dest, "checksum": sha, "md5sum": md, "remote_checksum": remote, "remote_md5sum": nil}
	if boolArg(w.ValidateChecksum, true) && sha != remote {
		res.Data["file"] = w.Src
		return failRes(res, "checksum mismatch"), nil
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return Result{}, fmt.Errorf("fetch: %w", err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return Result{}, fmt.Errorf("fetch: %w", err)
	}
	res.Changed = true
	return res, nil
}

// fetchSums returns the sha1 and md5 of a local file, or nils when it cannot be read.
func fetchSums(p string) (any, any, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	s, m := sha1.New(), md5.New()
	if _, err := io.Copy(io.MultiWriter(s, m), f); err != nil {
		return nil, nil, err
	}
	return hex.EncodeToString(s.Sum(nil)), hex.EncodeToString(m.Sum(nil)), nil
}
