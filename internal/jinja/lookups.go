package jinja

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	gexec "github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"

	"lvslab/internal/infile"
)

// maxLookupBytes bounds what one lookup reads (a file, a command's output).
const maxLookupBytes = infile.Max

// pipeTimeout bounds a pipe lookup's command.
const pipeTimeout = 5 * time.Minute

// lookupFunc returns a lookup's results for its terms and keywords.
type lookupFunc func(e *gexec.Evaluator, terms []any, a args) ([]any, error)

// lookups are the lookup plugins lookup(), query() and q() know.
var lookups = map[string]lookupFunc{
	"env":         lookupEnv,
	"file":        lookupFile,
	"template":    lookupTemplate,
	"vars":        lookupVars,
	"password":    lookupPassword,
	"pipe":        lookupPipe,
	"first_found": lookupFirstFound,
}

// lookupCall is lookup (wantlist false: several results are joined with
// commas) or query (always a list).
func lookupCall(query bool) func(*gexec.Evaluator, *gexec.VarArgs) *gexec.Value {
	return func(e *gexec.Evaluator, params *gexec.VarArgs) *gexec.Value {
		kind := "lookup"
		if query {
			kind = "query"
		}
		a, err := bind(params, "name", "*", "**")
		if err != nil {
			return fail("%s: %v", kind, err)
		}
		name := a.str("name", "")
		fn, ok := lookups[name]
		if !ok {
			fn, ok = loopLookups[name]
		}
		if !ok {
			return fail("%s: lookup plugin (%s) not found", kind, name)
		}
		wantlist := query || a.bool("wantlist", false)
		delete(a.vals, "name")
		delete(a.vals, "wantlist")
		errorsMode := a.str("errors", "strict")
		delete(a.vals, "errors")
		res, err := fn(e, a.rest, a)
		if err != nil {
			switch errorsMode {
			case "ignore", "warn":
				if wantlist {
					return gexec.AsValue([]any{})
				}
				return gexec.AsValue(nil)
			}
			return fail("An unhandled exception occurred while running the lookup plugin '%s'. Error was a %T, original message: %v", name, err, err)
		}
		if wantlist || len(res) == 0 {
			return gexec.AsValue(res)
		}
		if len(res) == 1 {
			return out(res[0])
		}
		// As Ansible: strings are joined with commas; results that are
		// not all strings stay a list.
		parts := make([]string, len(res))
		for i, r := range res {
			s, ok := r.(string)
			if !ok {
				return gexec.AsValue(res)
			}
			parts[i] = s
		}
		return gexec.AsValue(strings.Join(parts, ","))
	}
}

// contextVar returns a variable of the evaluator's context.
func contextVar(e *gexec.Evaluator, name string) (any, bool) {
	v, ok := e.Environment.Context.Get(name)
	if !ok {
		return nil, false
	}
	return plain(gexec.ToValue(v)), true
}

// readBounded reads a file of at most infile.Max bytes.
func readBounded(path string) ([]byte, error) { return infile.ReadFile(path) }

// findFile resolves a relative path as Ansible's lookups do: in
// playbook_dir's files/ (or templates/ for the template lookup), then in
// playbook_dir itself.
func findFile(e *gexec.Evaluator, sub, name string) (string, error) {
	name = expandUser(name)
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("could not locate file in lookup: %s", name)
		}
		return name, nil
	}
	dir, _ := contextVar(e, "playbook_dir")
	base := str(dir)
	if dir == nil {
		base, _ = os.Getwd()
	}
	// A role's task looks in the role first, as Ansible's search path
	// (ansible_search_path) has role_path before the playbook's directory.
	bases := []string{base}
	if role, _ := contextVar(e, "role_path"); role != nil && str(role) != "" {
		bases = []string{str(role), base}
	}
	for _, b := range bases {
		for _, p := range []string{filepath.Join(b, sub, name), filepath.Join(b, name)} {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("could not locate file in lookup: %s", name)
}

func lookupEnv(_ *gexec.Evaluator, terms []any, a args) ([]any, error) {
	res := []any{}
	for _, t := range terms {
		v, ok := os.LookupEnv(str(t))
		if !ok {
			v = a.str("default", "")
		}
		res = append(res, v)
	}
	return res, nil
}

func lookupFile(e *gexec.Evaluator, terms []any, a args) ([]any, error) {
	res := []any{}
	for _, t := range terms {
		p, err := findFile(e, "files", str(t))
		if err != nil {
			return nil, err
		}
		b, err := readBounded(p)
		if err != nil {
			return nil, err
		}
		s := string(b)
		if a.bool("rstrip", true) {
			s = strings.TrimRight(s, " \t\r\n\v\f")
		}
		if a.bool("lstrip", false) {
			s = strings.TrimLeft(s, " \t\r\n\v\f")
		}
		res = append(res, s)
	}
	return res, nil
}

// lookupTemplate renders files with the evaluator's environment and
// configuration; template_vars are added to the context.
func lookupTemplate(e *gexec.Evaluator, terms []any, a args) ([]any, error) {
	res := []any{}
	for _, t := range terms {
		p, err := findFile(e, "templates", str(t))
		if err != nil {
			return nil, err
		}
		b, err := readBounded(p)
		if err != nil {
			return nil, err
		}
		loader, err := loaders.NewFileSystemLoader(filepath.Dir(p))
		if err != nil {
			return nil, err
		}
		shifted, err := loaders.NewShiftedLoader(p, bytes.NewReader(b), loader)
		if err != nil {
			return nil, err
		}
		cfg := e.Config.Inherit()
		cfg.KeepTrailingNewline = true
		tpl, err := gexec.NewTemplate(p, cfg, shifted, e.Environment)
		if err != nil {
			return nil, err
		}
		data := gexec.EmptyContext()
		if vars, ok := a.get("template_vars", nil).(*gexec.Dict); ok {
			keys, vals := dictItems(vars)
			for i := range keys {
				data.Set(str(keys[i]), vals[i])
			}
		}
		s, err := tpl.ExecuteToString(data)
		if err != nil {
			return nil, err
		}
		res = append(res, s)
	}
	return res, nil
}

func lookupVars(e *gexec.Evaluator, terms []any, a args) ([]any, error) {
	res := []any{}
	for _, t := range terms {
		v, ok := contextVar(e, str(t))
		if !ok {
			if a.has("default") {
				res = append(res, a.get("default", nil))
				continue
			}
			return nil, fmt.Errorf("No variable found with this name: %s", str(t))
		}
		res = append(res, v)
	}
	return res, nil
}

// passwordChars are the character sets password's chars= names.
var passwordChars = map[string]string{
	"ascii_letters":   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"ascii_lowercase": "abcdefghijklmnopqrstuvwxyz",
	"ascii_uppercase": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"digits":          "0123456789",
	"hexdigits":       "0123456789abcdefABCDEF",
	"octdigits":       "01234567",
	"punctuation":     "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
}

// lookupPassword is Ansible's password lookup: "path key=value ..." terms;
// the file is created with a random password when missing (mode 0600),
// and its first line is returned. /dev/null is never written.
func lookupPassword(_ *gexec.Evaluator, terms []any, a args) ([]any, error) {
	res := []any{}
	for _, t := range terms {
		fields := strings.Fields(str(t))
		if len(fields) == 0 {
			return nil, errors.New("password: empty term")
		}
		opts := args{vals: map[string]any{}}
		for k, v := range a.vals {
			opts.vals[k] = v
		}
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return nil, fmt.Errorf("password: unrecognized parameter %s", f)
			}
			opts.vals[k] = v
		}
		length, err := opts.int("length", 20)
		if err != nil || length <= 0 {
			return nil, fmt.Errorf("password: bad length %v", opts.get("length", nil))
		}
		path := expandUser(fields[0])
		if b, err := readBounded(path); err == nil && path != "/dev/null" {
			line, _, _ := strings.Cut(string(b), "\n")
			pw, _, _ := strings.Cut(line, " salt=")
			res = append(res, pw)
			continue
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		pw, err := randomPassword(length, opts.get("chars", nil))
		if err != nil {
			return nil, err
		}
		if path != "/dev/null" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
				return nil, err
			}
		}
		res = append(res, pw)
	}
	return res, nil
}

// randomPassword draws length characters from chars (names of
// passwordChars, or literal characters; ascii_letters, digits and ".,:-_"
// by default).
func randomPassword(length int, chars any) (string, error) {
	names := []string{"ascii_letters", "digits", ".,:-_"}
	switch c := chars.(type) {
	case string:
		names = strings.Split(c, ",")
	case []any:
		names = nil
		for _, x := range c {
			names = append(names, str(x))
		}
	}
	var set strings.Builder
	for _, n := range names {
		if s, ok := passwordChars[n]; ok {
			set.WriteString(s)
		} else {
			set.WriteString(n)
		}
	}
	alphabet := []rune(set.String())
	if len(alphabet) == 0 {
		return "", errors.New("password: no characters to choose from")
	}
	out := make([]rune, length)
	for i := range out {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		out[i] = alphabet[n.Int64()]
	}
	return string(out), nil
}

// limitedBuffer keeps at most maxLookupBytes and records an overflow
// (the buffer is a field, not embedded, so that io.Copy cannot bypass
// Write through bytes.Buffer's ReadFrom).
type limitedBuffer struct {
	buf  bytes.Buffer
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > maxLookupBytes {
		b.over = true
		return 0, fmt.Errorf("output larger than %d bytes", maxLookupBytes)
	}
	return b.buf.Write(p)
}

// lookupPipe runs each term with /bin/sh on the controller and returns
// its standard output without trailing whitespace.
func lookupPipe(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	res := []any{}
	for _, t := range terms {
		ctx, cancel := context.WithTimeout(context.Background(), pipeTimeout)
		var stdout limitedBuffer
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", str(t))
		cmd.Stdout = &stdout
		err := cmd.Run()
		cancel()
		if stdout.over {
			return nil, fmt.Errorf("pipe: the output of %s is larger than %d bytes", pyQuote(str(t)), maxLookupBytes)
		}
		if err != nil {
			return nil, fmt.Errorf("lookup_plugin.pipe(%s) returned %v", str(t), err)
		}
		res = append(res, strings.TrimRight(stdout.buf.String(), " \t\r\n\v\f"))
	}
	return res, nil
}

// lookupFirstFound returns the first file that exists among the terms
// (or files= and paths=), relative names resolved as for file.
func lookupFirstFound(e *gexec.Evaluator, terms []any, a args) ([]any, error) {
	var files, paths []string
	var add func(dst *[]string, x any)
	add = func(dst *[]string, x any) {
		switch x := x.(type) {
		case []any:
			for _, y := range x {
				*dst = append(*dst, str(y))
			}
		case *gexec.Dict:
			f, _ := dictGet(x, "files")
			p, _ := dictGet(x, "paths")
			add(&files, f)
			add(&paths, p)
		case nil:
		default:
			for _, s := range strings.FieldsFunc(str(x), func(r rune) bool { return r == ',' || r == ';' }) {
				*dst = append(*dst, s)
			}
		}
	}
	for _, t := range terms {
		add(&files, t)
	}
	add(&files, a.get("files", nil))
	add(&paths, a.get("paths", nil))
	candidates := files
	if len(paths) > 0 {
		candidates = nil
		for _, p := range paths {
			for _, f := range files {
				candidates = append(candidates, filepath.Join(p, f))
			}
		}
	}
	for _, c := range candidates {
		if p, err := findFile(e, "files", c); err == nil {
			return []any{p}, nil
		}
	}
	if a.bool("skip", false) {
		return []any{}, nil
	}
	return nil, errors.New("No file was found when using first_found.")
}
