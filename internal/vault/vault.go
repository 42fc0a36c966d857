// Package vault reads what ansible-vault writes: whole files and !vault
// values in the $ANSIBLE_VAULT;1.1;AES256 (or 1.2;AES256;label) envelope,
// decrypted as Ansible's VaultAES256 does (PBKDF2-SHA256 with 10000
// iterations gives 80 bytes: an AES-256-CTR key, an HMAC-SHA256 key and
// the counter's first block; the plaintext PKCS#7-padded, the envelope's
// body hexlified twice). Passwords come from a Keyring, filled from
// --vault-password-file, --vault-id and --ask-vault-pass as Ansible fills
// its vault secrets.
package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/pbkdf2"
)

// Header starts every vaulted text.
const Header = "$ANSIBLE_VAULT"

const (
	iterations = 10000
	keyLen     = 32
	saltLen    = 32
)

// IsEncrypted reports whether data is vaulted: it starts with Header, as
// Ansible's is_encrypted checks.
func IsEncrypted(data []byte) bool { return bytes.HasPrefix(data, []byte(Header)) }

// Envelope is a parsed vaulted text.
type Envelope struct {
	Version string // 1.1 or 1.2
	Cipher  string // AES256
	// ID is the vault id of a 1.2 header; "" in 1.1, which Ansible reads as
	// the default identity.
	ID   string
	body []byte // the hex text of the lines after the header, joined
}

// ErrFormat is the cause of every envelope that does not parse.
var ErrFormat = errors.New("not a valid ansible-vault envelope")

// Parse reads the envelope of a vaulted text: the header line
// ($ANSIBLE_VAULT;1.1;AES256 or $ANSIBLE_VAULT;1.2;AES256;label) and the
// hex lines after it.
func Parse(data []byte) (*Envelope, error) {
	if !IsEncrypted(data) {
		return nil, fmt.Errorf("%w: it does not start with %s", ErrFormat, Header)
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	head := strings.Split(strings.TrimSpace(lines[0]), ";")
	if len(head) < 3 || len(head) > 4 {
		return nil, fmt.Errorf("%w: header %q: want $ANSIBLE_VAULT;VERSION;CIPHER[;ID]", ErrFormat, lines[0])
	}
	e := &Envelope{Version: strings.TrimSpace(head[1]), Cipher: strings.TrimSpace(head[2])}
	if len(head) == 4 {
		e.ID = strings.TrimSpace(head[3])
	}
	if e.Cipher != "AES256" {
		return nil, fmt.Errorf("%w: cipher %q: only AES256 is known", ErrFormat, e.Cipher)
	}
	var b strings.Builder
	for _, l := range lines[1:] {
		b.WriteString(strings.TrimSpace(l))
	}
	e.body = []byte(b.String())
	return e, nil
}

// DisplayID is the envelope's vault id, "default" when it has none.
func (e *Envelope) DisplayID() string {
	if e.ID == "" {
		return DefaultID
	}
	return e.ID
}

// errHMAC is a password that is not the vault's (or a text changed since).
var errHMAC = errors.New("HMAC verification failed")

// decrypt opens the envelope's body with one password.
func (e *Envelope) decrypt(password []byte) ([]byte, error) {
	salt, mac, ct, err := e.parts()
	if err != nil {
		return nil, err
	}
	k1, k2, iv := keys(password, salt)
	h := hmac.New(sha256.New, k2)
	h.Write(ct)
	if !hmac.Equal(h.Sum(nil), mac) {
		return nil, errHMAC
	}
	block, err := aes.NewCipher(k1)
	if err != nil {
		return nil, err
	}
	pt := make([]byte, len(ct))
	cipher.NewCTR(block, iv).XORKeyStream(pt, ct)
	return unpad(pt)
}

// parts unhexlifies the body into salt, HMAC and ciphertext.
func (e *Envelope) parts() (salt, mac, ct []byte, err error) {
	inner, err := hex.DecodeString(string(e.body))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: body: %v", ErrFormat, err)
	}
	f := bytes.SplitN(inner, []byte("\n"), 3)
	if len(f) != 3 {
		return nil, nil, nil, fmt.Errorf("%w: body: want salt, HMAC and ciphertext", ErrFormat)
	}
	if salt, err = hex.DecodeString(string(f[0])); err == nil {
		if mac, err = hex.DecodeString(string(f[1])); err == nil {
			ct, err = hex.DecodeString(string(f[2]))
		}
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: body: %v", ErrFormat, err)
	}
	return salt, mac, ct, nil
}

// keys derives the AES key, the HMAC key and the counter's first block.
func keys(password, salt []byte) (k1, k2, iv []byte) {
	dk := pbkdf2.Key(password, salt, iterations, 2*keyLen+aes.BlockSize, sha256.New)
	return dk[:keyLen], dk[keyLen : 2*keyLen], dk[2*keyLen:]
}

func unpad(b []byte) ([]byte, error) {
	n := len(b)
	if n == 0 || n%aes.BlockSize != 0 {
		return nil, errors.New("bad padding")
	}
	p := int(b[n-1])
	if p == 0 || p > aes.BlockSize || p > n {
		return nil, errors.New("bad padding")
	}
	for _, c := range b[n-p:] {
		if int(c) != p {
			return nil, errors.New("bad padding")
		}
	}
	return b[:n-p], nil
}

// Encrypt vaults plaintext with password as ansible-vault encrypt does: a
// 1.1 envelope, or 1.2 with id when id is neither "" nor "default"; lines
// of 80 characters and a final newline.
func Encrypt(plaintext, password []byte, id string) ([]byte, error) {
	if len(password) == 0 {
		return nil, errors.New("empty vault password")
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	k1, k2, iv := keys(password, salt)
	p := aes.BlockSize - len(plaintext)%aes.BlockSize
	padded := append(append([]byte{}, plaintext...), bytes.Repeat([]byte{byte(p)}, p)...)
	block, err := aes.NewCipher(k1)
	if err != nil {
		return nil, err
	}
	ct := make([]byte, len(padded))
	cipher.NewCTR(block, iv).XORKeyStream(ct, padded)
	h := hmac.New(sha256.New, k2)
	h.Write(ct)
	inner := strings.Join([]string{hex.EncodeToString(salt), hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(ct)}, "\n")
	body := hex.EncodeToString([]byte(inner))
	head := Header + ";1.1;AES256"
	if id != "" && id != DefaultID {
		head = Header + ";1.2;AES256;" + id
	}
	var b strings.Builder
	b.WriteString(head + "\n")
	for len(body) > 80 {
		b.WriteString(body[:80] + "\n")
		body = body[80:]
	}
	b.WriteString(body + "\n")
	return []byte(b.String()), nil
}
