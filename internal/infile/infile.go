// Package infile reads the files lvslab takes as input (inventories,
// playbooks, task and vars files, -e @file, known_hosts) with a bound on
// their size, so that a device such as /dev/zero or a huge file is an
// error naming it rather than a run out of memory.
package infile

import (
	"fmt"
	"io"
	"os"
)

// Max is the largest input file lvslab reads: 16 MiB.
const Max = 16 << 20

// ReadFile reads path as os.ReadFile does, but at most Max bytes: a longer
// file (or an endless one, as /dev/zero) is an error naming it. Directories
// are refused with a *fs.PathError as os.ReadFile refuses them.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, Max+1))
	if err != nil {
		return nil, err
	}
	if len(b) > Max {
		return nil, fmt.Errorf("%s: larger than %d MiB, the bound of an input file", path, Max>>20)
	}
	return b, nil
}
