package host

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
)

// LocalSHA256 is the hex SHA-256 of a file on the controller, as
// sha256sum prints it on a host.
func LocalSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
