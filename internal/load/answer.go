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
	r, w int    // buffered: buf[r:w]
	n    int64  // bytes read from nc since the last take
	name []byte // readAnswer's parser.name, kept from answer to answer
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

// space returns the free end of the buffer, moving the buffered bytes to
// its start first; errMalformed when a line fills the whole buffer.
func (b *reader) space() ([]byte, error) {
	if b.r == b.w {
		b.r, b.w = 0, 0
	} else if b.r > 0 {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	if b.w == len(b.buf) {
		return nil, errMalformed // a line longer than the buffer
	}
	return b.buf[b.w:], nil
}

// got counts n more bytes read into the space.
func (b *reader) got(n int) {
	b.w += n
	b.n += int64(n)
}

// fill reads at least one more byte into the buffer.
func (b *reader) fill() error {
	p, err := b.space()
	if err != nil {
		return err
	}
	for {
		n, err := b.nc.Read(p)
		b.got(n)
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
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

// readAnswer reads a status line and the header that follows (skipping
// 1xx answers), then the body, and reports the header: the status (0 when
// no whole header was read), the ServerHeader's value through intern
// (Unnamed without), and whether the connection cannot carry another
// request.
func (b *reader) readAnswer(intern func([]byte) string) (status int, server string, close bool, err error) {
	p := parser{intern: intern, name: b.name[:0]}
	defer func() { b.name = p.name }()
	for {
		done, err := b.parse(&p)
		if err == nil && !done {
			if err = b.fill(); err == io.EOF {
				done, err = p.eof(b)
			}
		}
		if err != nil {
			return p.status, p.server, true, err
		}
		if done {
			return p.status, p.server, p.close, nil
		}
	}
}

// parser reads one answer incrementally from the bytes buffered in a
// reader, whatever reads brought them: parse consumes what it can and says
// when the answer is whole, so that the same code serves a blocking
// connection (readAnswer) and an event loop.
type parser struct {
	intern func([]byte) string
	st     parseState
	a      answer
	http10 bool
	keep   bool   // Connection: keep-alive
	name   []byte // the ServerHeader's value, copied: the buffer moves
	size   int    // bytes of the header (or trailer) so far
	left   int64  // bytes of the body (or chunk) still to come

	// Once the header is whole:
	status int
	server string
	close  bool // the connection cannot carry another request
}

type parseState uint8

const (
	stStatus     parseState = iota // the status line
	stField                        // a header field, or its end
	stBody                         // Content-Length bytes
	stChunkSize                    // a chunk-size line
	stChunkData                    // a chunk's bytes
	stChunkEnd                     // the CRLF after a chunk
	stTrailer                      // the trailer's fields, or its end
	stUntilClose                   // a body up to the end of the stream
)

// answer is what the header of an answer says.
type answer struct {
	status  int
	named   bool  // a ServerHeader was present
	length  int64 // Content-Length, -1 when absent
	chunked bool
	close   bool // the connection cannot carry another request
}

// line returns the next whole buffered line without its end of line, or
// nil when no whole line is buffered; it is valid until the next read.
func (b *reader) line() []byte {
	i := bytes.IndexByte(b.buf[b.r:b.w], '\n')
	if i < 0 {
		return nil
	}
	l := b.buf[b.r : b.r+i]
	b.r += i + 1
	if len(l) > 0 && l[len(l)-1] == '\r' {
		l = l[:len(l)-1]
	}
	return l
}

// skip consumes up to p.left buffered bytes of a body or chunk and reports
// whether none is left.
func (b *reader) skip(p *parser) bool {
	k := min(p.left, int64(b.w-b.r))
	b.r += int(k)
	p.left -= k
	return p.left == 0
}

// parse consumes the buffered bytes of the answer p is reading, up to its
// end, and reports whether it is whole.
func (b *reader) parse(p *parser) (done bool, err error) {
	for {
		switch p.st {
		case stBody:
			return b.skip(p), nil
		case stChunkData:
			if !b.skip(p) {
				return false, nil
			}
			p.st = stChunkEnd
			continue
		case stUntilClose:
			b.r = b.w
			return false, nil
		}
		l := b.line()
		if l == nil {
			return false, nil
		}
		if done, err := p.line(l); done || err != nil {
			return done, err
		}
	}
}

// line handles one line of the header, of a chunked body or of its
// trailer.
func (p *parser) line(l []byte) (done bool, err error) {
	switch p.st {
	case stStatus:
		return false, p.statusLine(l)
	case stField:
		if len(l) == 0 {
			return p.endHead(), nil
		}
		return false, p.field(l)
	case stChunkSize:
		if i := bytes.IndexByte(l, ';'); i >= 0 {
			l = l[:i]
		}
		n, ok := hextoi(bytes.TrimSpace(l))
		switch {
		case !ok:
			return false, errMalformed
		case n == 0:
			p.st, p.size = stTrailer, 0
		default:
			p.st, p.left = stChunkData, n
		}
	case stChunkEnd:
		if len(l) != 0 {
			return false, errMalformed
		}
		p.st = stChunkSize
	case stTrailer:
		if len(l) == 0 {
			return true, nil
		}
		if p.size += len(l); p.size > maxHeader {
			return false, errMalformed
		}
	}
	return false, nil
}

// statusLine starts a header: HTTP/1.x SSS reason.
func (p *parser) statusLine(l []byte) error {
	if len(l) < 12 || !bytes.HasPrefix(l, []byte("HTTP/1.")) || l[8] != ' ' || (len(l) > 12 && l[12] != ' ') {
		return errMalformed
	}
	p.a = answer{length: -1}
	for _, c := range l[9:12] {
		if c < '0' || c > '9' {
			return errMalformed
		}
		p.a.status = p.a.status*10 + int(c-'0')
	}
	if p.a.status < 100 {
		return errMalformed
	}
	p.http10, p.keep, p.size, p.st = l[7] == '0', false, len(l), stField
	return nil
}

// field reads one header field.
func (p *parser) field(l []byte) error {
	if p.size += len(l); p.size > maxHeader {
		return errMalformed
	}
	colon := bytes.IndexByte(l, ':')
	if colon <= 0 {
		return errMalformed
	}
	a := &p.a
	name, value := l[:colon], bytes.TrimSpace(l[colon+1:])
	switch {
	case fold(name, "content-length"):
		n, ok := atoi(value)
		if !ok || (a.length >= 0 && a.length != n) {
			return errMalformed
		}
		a.length = n
	case fold(name, "transfer-encoding"):
		a.chunked = a.chunked || hasToken(value, "chunked")
	case fold(name, "connection"):
		a.close = a.close || hasToken(value, "close")
		p.keep = p.keep || hasToken(value, "keep-alive")
	case fold(name, ServerHeader):
		p.name, a.named = append(p.name[:0], value...), true
	}
	return nil
}

// endHead ends a header: a 1xx but 101 is skipped, the next header
// follows; otherwise the body starts, if any.
func (p *parser) endHead() (done bool) {
	a := &p.a
	a.close = a.close || (p.http10 && !p.keep)
	if a.status < 200 && a.status != 101 {
		p.st = stStatus
		return false
	}
	p.status, p.server, p.close = a.status, Unnamed, a.close || a.status == 101
	if a.named && len(p.name) > 0 {
		p.server = p.intern(p.name)
	}
	switch {
	case a.status == 204 || a.status == 304 || a.status == 101:
		return true
	case a.chunked:
		p.st = stChunkSize
	case a.length > 0:
		p.st, p.left = stBody, a.length
	case a.length == 0:
		return true
	default:
		p.st, p.close = stUntilClose, true
	}
	return false
}

// eof ends an answer at the end of the stream, after parse consumed every
// byte of b: whole for a body that runs until then, io.EOF when nothing of
// it came (a kept connection the server closed), io.ErrUnexpectedEOF
// otherwise.
func (p *parser) eof(b *reader) (done bool, err error) {
	switch {
	case p.st == stUntilClose:
		return true, nil
	case p.st == stStatus && b.r == b.w:
		return false, io.EOF
	}
	return false, io.ErrUnexpectedEOF
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
