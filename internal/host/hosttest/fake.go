// Package hosttest provides a recording fake Executor for module unit tests.
package hosttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sync"

	"lvslab/internal/host"
)

// File is a file uploaded to or preset on the fake host.
type File struct {
	Data  []byte
	Mode  fs.FileMode
	Owner string
	Group string
}

type rule struct {
	re  *regexp.Regexp
	res host.Result
	err error
	fn  func(cmd string) (host.Result, error)
}

// Fake is a recording Executor. Commands are answered by the most recently
// added matching rule (exit 0 with no output when none matches); uploads land
// in Files. It is safe for concurrent use.
type Fake struct {
	mu    sync.Mutex
	rules []rule
	// Calls records every operation in order: commands as they were run,
	// uploads as "upload PATH", downloads as "download PATH".
	Calls []string
	// Stdins records the stdin given to each command (empty when none), by index in Calls.
	Stdins map[int]string
	// Becomes records the Become of each operation, by index in Calls.
	Becomes map[int]host.Become
	Files   map[string]File
	Closed  bool
}

// New returns an empty Fake.
func New() *Fake {
	return &Fake{Files: map[string]File{}, Stdins: map[int]string{}, Becomes: map[int]host.Become{}}
}

// On answers commands matching the regular expression pattern with res.
func (f *Fake) On(pattern string, res host.Result) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule{re: regexp.MustCompile(pattern), res: res})
	return f
}

// OnErr answers commands matching pattern with err.
func (f *Fake) OnErr(pattern string, err error) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule{re: regexp.MustCompile(pattern), err: err})
	return f
}

// OnFunc answers commands matching pattern by calling fn.
func (f *Fake) OnFunc(pattern string, fn func(cmd string) (host.Result, error)) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule{re: regexp.MustCompile(pattern), fn: fn})
	return f
}

// Run records cmd and answers it from the rules.
func (f *Fake) Run(ctx context.Context, cmd string, opts host.RunOpts) (host.Result, error) {
	if err := ctx.Err(); err != nil {
		return host.Result{}, err
	}
	var stdin string
	if opts.Stdin != nil {
		b, _ := io.ReadAll(opts.Stdin)
		stdin = string(b)
	}
	f.mu.Lock()
	f.Calls = append(f.Calls, cmd)
	f.Stdins[len(f.Calls)-1] = stdin
	f.Becomes[len(f.Calls)-1] = opts.Become
	var match *rule
	for i := len(f.rules) - 1; i >= 0; i-- {
		if f.rules[i].re.MatchString(cmd) {
			r := f.rules[i]
			match = &r
			break
		}
	}
	f.mu.Unlock()
	if match == nil {
		return host.Result{}, nil
	}
	if match.fn != nil {
		return match.fn(cmd)
	}
	return match.res, match.err
}

// Upload records the upload and stores the file.
func (f *Fake) Upload(ctx context.Context, r io.Reader, dst string, opts host.FileOpts) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, "upload "+dst)
	f.Becomes[len(f.Calls)-1] = opts.Become
	f.Files[dst] = File{Data: data, Mode: opts.Mode, Owner: opts.Owner, Group: opts.Group}
	return nil
}

// Download records the download and writes the stored file to w.
func (f *Fake) Download(ctx context.Context, src string, w io.Writer, become host.Become) error {
	f.mu.Lock()
	f.Calls = append(f.Calls, "download "+src)
	file, ok := f.Files[src]
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s: %w", src, fs.ErrNotExist)
	}
	_, err := io.Copy(w, bytes.NewReader(file.Data))
	return err
}

// Close marks the fake closed.
func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Closed = true
	return nil
}

// Commands returns the recorded calls.
func (f *Fake) Commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.Calls...)
}
