package load

import (
	"bytes"
	"errors"
	"io"
	"net"
)

// Bounds of the answer parser: a header line must fit the read buffer, and
// the whole header must fit maxHeader.
const (
	bufSize   = 8 << 10
	maxHeader = 64 << 10
)

// errMalformed is an answer that is not HTTP/1.x as lvslab reads it.
var errMalformed = errors.New("malformed answer")

// reader reads the answers of one connection through one fixed buffer,
// reused from connection to connection.
type reader struct {
	nc   net.Conn
	buf  []byte
	r, w int   // buffered: buf[r:w]
	n    int64 // bytes read from nc since the last take
}

func (b *reader) reset(nc net.Conn) {
	if b.buf == nil {
		b.buf = make([]byte, bufSize)
	}
	b.nc, b.r, b.w = nc, 0, 0
}

// take returns the bytes read since its last call.
func (b *reader) take() int64 {
	n := b.n
	b.n = 0
	return n
}

// fill reads at least one more byte into the buffer.
func (b *reader) fill() error {
	if b.r > 0 {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	if b.w == len(b.buf) {
		return errMalformed // a line longer than the buffer
	}
	for {
		n, err := b.nc.Read(b.buf[b.w:])
		b.w += n
		b.n += int64(n)
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// line returns the next line without its end of line; it is valid until
// the next read.
func (b *reader) line() ([]byte, error) {
	from := b.r
	for {
		if i := bytes.IndexByte(b.buf[from:b.w], '\n'); i >= 0 {
			l := b.buf[b.r : from+i]
			b.r = from + i + 1
			if len(l) > 0 && l[len(l)-1] == '\r' {
				l = l[:len(l)-1]
			}
			return l, nil
		}
		from = b.w - b.r // where the search resumes once fill has moved the data
		if err := b.fill(); err != nil {
			if err == io.EOF && b.w > b.r {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		from += b.r
	}
}

// discard reads and drops n bytes.
func (b *reader) discard(n int64) error {
	for n > 0 {
		if b.r == b.w {
			b.r, b.w = 0, 0
			if err := b.fill(); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		k := min(n, int64(b.w-b.r))
		b.r += int(k)
		n -= k
	}
	return nil
}

// drain reads and drops everything up to the end of the stream.
func (b *reader) drain() error {
	for {
		b.r, b.w = 0, 0
		if err := b.fill(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// answer is what the header of an answer says.
type answer struct {
	status  int
	server  []byte // the ServerHeader's value, valid until the next read
	named   bool   // a ServerHeader was present
	length  int64  // Content-Length, -1 when absent
	chunked bool
	close   bool // the connection cannot carry another request
}

// readAnswer reads a status line and the header that follows (skipping
// 1xx answers), then the body, and reports the header. server is copied
// through intern before the body is read.
func (b *reader) readAnswer(intern func([]byte) string) (status int, server string, close bool, err error) {
	var a answer
	for {
		if a, err = b.readHead(); err != nil {
			return 0, "", true, err
		}
		if a.status >= 200 || a.status == 101 {
			break
		}
	}
	server = Unnamed
	if a.named && len(a.server) > 0 {
		server = intern(a.server)
	}
	switch {
	case a.status == 204 || a.status == 304 || a.status == 101:
	case a.chunked:
		err = b.chunks()
	case a.length >= 0:
		err = b.discard(a.length)
	default:
		a.close = true
		err = b.drain()
	}
	return a.status, server, a.close || a.status == 101, err
}

// readHead reads a status line and header fields.
func (b *reader) readHead() (a answer, err error) {
	a.length = -1
	l, err := b.line()
	if err != nil {
		return a, err
	}
	// HTTP/1.x SSS reason
	if len(l) < 12 || !bytes.HasPrefix(l, []byte("HTTP/1.")) || l[8] != ' ' || (len(l) > 12 && l[12] != ' ') {
		return a, errMalformed
	}
	for _, c := range l[9:12] {
		if c < '0' || c > '9' {
			return a, errMalformed
		}
		a.status = a.status*10 + int(c-'0')
	}
	if a.status < 100 {
		return a, errMalformed
	}
	http10 := l[7] == '0'
	keepAlive := false
	size := len(l)
	for {
		if l, err = b.line(); err != nil {
			return a, err
		}
		if len(l) == 0 {
			break
		}
		if size += len(l); size > maxHeader {
			return a, errMalformed
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			return a, errMalformed
		}
		name, value := l[:colon], bytes.TrimSpace(l[colon+1:])
		switch {
		case fold(name, "content-length"):
			n, ok := atoi(value)
			if !ok || (a.length >= 0 && a.length != n) {
				return a, errMalformed
			}
			a.length = n
		case fold(name, "transfer-encoding"):
			a.chunked = a.chunked || hasToken(value, "chunked")
		case fold(name, "connection"):
			a.close = a.close || hasToken(value, "close")
			keepAlive = keepAlive || hasToken(value, "keep-alive")
		case fold(name, ServerHeader):
			a.server, a.named = value, true
		}
	}
	a.close = a.close || (http10 && !keepAlive)
	return a, nil
}

// chunks reads a chunked body and its trailer.
func (b *reader) chunks() error {
	for {
		l, err := b.line()
		if err != nil {
			return eof(err)
		}
		if i := bytes.IndexByte(l, ';'); i >= 0 {
			l = l[:i]
		}
		n, ok := hextoi(bytes.TrimSpace(l))
		if !ok {
			return errMalformed
		}
		if n == 0 {
			break
		}
		if err := b.discard(n); err != nil {
			return err
		}
		if l, err = b.line(); err != nil {
			return eof(err)
		}
		if len(l) != 0 {
			return errMalformed
		}
	}
	for size := 0; ; { // trailer
		l, err := b.line()
		if err != nil {
			return eof(err)
		}
		if len(l) == 0 {
			return nil
		}
		if size += len(l); size > maxHeader {
			return errMalformed
		}
	}
}

// eof turns the end of the stream in the middle of an answer into
// io.ErrUnexpectedEOF.
func eof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// fold reports whether b equals the ASCII string s, ignoring case.
func fold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasToken reports whether the comma-separated list v holds token t
// (ignoring case).
func hasToken(v []byte, t string) bool {
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		if fold(bytes.TrimSpace(item), t) {
			return true
		}
	}
	return false
}

// atoi parses a non-negative decimal of at most 18 digits.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// hextoi parses a hexadecimal chunk size of at most 15 digits.
func hextoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= lower(c) && lower(c) <= 'f':
			d = lower(c) - 'a' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}
