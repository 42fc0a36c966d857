package jinja

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"
)

// cryptAlphabet is crypt(3)'s base-64 alphabet (also its salt characters).
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// shaCrypt is the SHA-crypt algorithm (Ulrich Drepper's specification),
// $5$ with sha256 or $6$ with sha512; rounds 0 means the implicit 5000.
func shaCrypt(id int, password, salt string, rounds int) string {
	newHash, size := sha512.New, 64
	if id == 5 {
		newHash, size = sha256.New, 32
	}
	if len(salt) > 16 {
		salt = salt[:16]
	}
	n := rounds
	if n == 0 {
		n = 5000
	}
	n = min(max(n, 1000), 999999999)
	pw, s := []byte(password), []byte(salt)
	sum := func(h hash.Hash) []byte { return h.Sum(nil) }
	repeat := func(h hash.Hash, src []byte, length int) {
		for ; length > size; length -= size {
			h.Write(src)
		}
		h.Write(src[:length])
	}

	b := newHash()
	b.Write(pw)
	b.Write(s)
	b.Write(pw)
	digestB := sum(b)

	a := newHash()
	a.Write(pw)
	a.Write(s)
	repeat(a, digestB, len(pw))
	for l := len(pw); l > 0; l >>= 1 {
		if l&1 != 0 {
			a.Write(digestB)
		} else {
			a.Write(pw)
		}
	}
	digestA := sum(a)

	dp := newHash()
	for range pw {
		dp.Write(pw)
	}
	p := make([]byte, 0, len(pw))
	dpSum := sum(dp)
	for l := len(pw); l > 0; l -= size {
		p = append(p, dpSum[:min(l, size)]...)
	}

	ds := newHash()
	for i := 0; i < 16+int(digestA[0]); i++ {
		ds.Write(s)
	}
	dsSum := sum(ds)
	sb := make([]byte, 0, len(s))
	for l := len(s); l > 0; l -= size {
		sb = append(sb, dsSum[:min(l, size)]...)
	}

	c := digestA
	for i := 0; i < n; i++ {
		h := newHash()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(sb)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = sum(h)
	}

	var out strings.Builder
	fmt.Fprintf(&out, "$%d$", id)
	if rounds != 0 {
		fmt.Fprintf(&out, "rounds=%d$", n)
	}
	out.WriteString(salt + "$")
	enc := func(b2, b1, b0 byte, chars int) {
		w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
		for ; chars > 0; chars-- {
			out.WriteByte(cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	if id == 6 {
		for i := 0; i < 21; i++ {
			enc(c[(i*22)%63], c[(i*22+21)%63], c[(i*22+42)%63], 4)
		}
		enc(0, 0, c[63], 2)
	} else {
		for i := 0; i < 10; i++ {
			x, y, z := (i*21)%30, (i*21+10)%30, (i*21+20)%30
			enc(c[x], c[y], c[z], 4)
		}
		enc(0, c[31], c[30], 3)
	}
	return out.String()
}

// randomSalt returns n random salt characters.
func randomSalt(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	for i := range buf {
		buf[i] = cryptAlphabet[int(buf[i])%len(cryptAlphabet)]
	}
	return string(buf), nil
}

// passwordHash is Ansible's password_hash for sha512 and sha256.
func passwordHash(in any, a args) (any, error) {
	scheme := a.str("hashtype", "sha512")
	id := map[string]int{"sha512": 6, "sha512_crypt": 6, "sha256": 5, "sha256_crypt": 5}[scheme]
	if id == 0 {
		return nil, fmt.Errorf("password_hash: unsupported hash type %s (sha512 and sha256 are)", scheme)
	}
	salt := a.str("salt", "")
	if !a.has("salt") || a.get("salt", nil) == nil {
		s, err := randomSalt(16)
		if err != nil {
			return nil, err
		}
		salt = s
	}
	for _, r := range salt {
		if !strings.ContainsRune(cryptAlphabet, r) {
			return nil, fmt.Errorf("invalid characters in salt")
		}
	}
	if len(salt) > 16 {
		return nil, fmt.Errorf("invalid salt size")
	}
	rounds, err := a.int("rounds", 0)
	if err != nil {
		return nil, err
	}
	if rounds == 5000 {
		rounds = 0
	}
	return shaCrypt(id, textOf(in), salt, rounds), nil
}
