package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// keyPair is an ed25519 key in OpenSSH's formats.
type keyPair struct {
	Private []byte        // "OPENSSH PRIVATE KEY" PEM
	Public  ssh.PublicKey // for authorized_keys and known_hosts
}

// AuthorizedLine is the public key as a line of authorized_keys.
func (k keyPair) AuthorizedLine(comment string) string {
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.Public)))
	if comment != "" {
		line += " " + comment
	}
	return line + "\n"
}

// newKeyPair generates an ed25519 key pair.
func newKeyPair(comment string) (keyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return keyPair{}, err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{Private: pem.EncodeToMemory(block), Public: sp}, nil
}

// userKey returns the lab's login key at path, creating it (0600, and
// path.pub) when it does not exist yet, so that a new lab keeps the key
// the user may have configured elsewhere.
func userKey(path string) (keyPair, ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		kp, err := newKeyPair("lvslab")
		if err != nil {
			return keyPair{}, nil, err
		}
		if err := writeFileAtomic(path, kp.Private, 0o600); err != nil {
			return keyPair{}, nil, err
		}
		if err := writeFileAtomic(path+".pub", []byte(kp.AuthorizedLine("lvslab")), 0o644); err != nil {
			return keyPair{}, nil, err
		}
		b = kp.Private
	} else if err != nil {
		return keyPair{}, nil, err
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return keyPair{}, nil, fmt.Errorf("lab key %s: %w", path, err)
	}
	return keyPair{Private: b, Public: signer.PublicKey()}, signer, nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it,
// sets mode (whatever the umask) and renames it over path.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
