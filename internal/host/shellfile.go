package host

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// shellRun runs a shell line with stdin and output, returning its exit
// status; the SSH and local executors each give theirs.
type shellRun func(line string, stdin io.Reader, stdout, stderr io.Writer) (int, error)

// shellUpload writes r to dst with uploadScript through run (op names the
// operation in errors).
func shellUpload(op string, r io.Reader, dst string, mode fs.FileMode, owner string, run shellRun) error {
	size, body, cleanup, err := sized(r)
	if err != nil {
		return fmt.Errorf("%s: read source: %w", op, err)
	}
	defer cleanup()
	var stderr bytes.Buffer
	code, err := run(uploadScript(dst, size, mode, owner), body, io.Discard, &stderr)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if code != 0 {
		return fmt.Errorf("%s: exit status %d: %s", op, code, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// shellDownload copies src to w with cat through run; a missing src is an
// error matching fs.ErrNotExist.
func shellDownload(op, src string, w io.Writer, run shellRun) error {
	var stderr bytes.Buffer
	code, err := run("cat -- "+Quote(src), nil, w, &stderr)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if code != 0 {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "No such file") {
			return fmt.Errorf("%s: %s: %w", op, msg, fs.ErrNotExist)
		}
		return fmt.Errorf("%s: exit status %d: %s", op, code, msg)
	}
	return nil
}
