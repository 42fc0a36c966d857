package module

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"lvslab/internal/host"
)

// payload is the content a file module wants at a destination: bytes in
// memory (templates, edits), or a local file (copy src) that is hashed once
// per run whatever the number of hosts and streamed when sent, so that a
// large file costs neither memory per host nor a checksum per host.
type payload struct {
	data []byte // when path is ""
	path string
	size int64
	sum  string // hex sha256
}

func bytesPayload(b []byte) payload {
	s := sha256.Sum256(b)
	return payload{data: b, size: int64(len(b)), sum: hex.EncodeToString(s[:])}
}

// filePayload describes the local file p, its checksum from the run-wide
// cache when the file has not changed since it was computed.
func filePayload(p string) (payload, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return payload{}, err
	}
	if !fi.Mode().IsRegular() {
		return payload{}, fmt.Errorf("%s is not a regular file", p)
	}
	key := fmt.Sprintf("%s\x00%d\x00%d", p, fi.Size(), fi.ModTime().UnixNano())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		key += fmt.Sprintf("\x00%d\x00%d", st.Dev, st.Ino)
	}
	e, _ := localSums.LoadOrStore(key, &sumEntry{})
	ent := e.(*sumEntry)
	ent.once.Do(func() { ent.sum, ent.err = host.LocalSHA256(p) })
	if ent.err != nil {
		return payload{}, ent.err
	}
	return payload{path: p, size: fi.Size(), sum: ent.sum}, nil
}

// localSums caches the checksums of local source files for the run, keyed
// by path, size, modification time and inode.
var localSums sync.Map

type sumEntry struct {
	once sync.Once
	sum  string
	err  error
}

// open returns the content to send; close it after.
func (p payload) open() (io.Reader, func(), error) {
	if p.path == "" {
		return bytes.NewReader(p.data), func() {}, nil
	}
	f, err := os.Open(p.path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// diffText is the new content for --diff.
func (p payload) diffText() string {
	if p.path == "" {
		return diffBytes(p.data)
	}
	if p.size > diffLimit {
		return fmt.Sprintf("(%d bytes, not shown)\n", p.size)
	}
	b, err := os.ReadFile(p.path)
	if err != nil {
		return fmt.Sprintf("(%d bytes, unreadable: %v)\n", p.size, err)
	}
	return diffBytes(b)
}
