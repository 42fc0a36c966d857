package host

import (
	"fmt"
	"testing"

	"github.com/pkg/sftp"
)

// TestIsFx: the SFTP client's status errors do not match the exported codes
// with errors.Is; isFx does, wrapped or not.
func TestIsFx(t *testing.T) {
	unsupported := &sftp.StatusError{Code: 8} // SSH_FX_OP_UNSUPPORTED
	if !isFx(unsupported, sftp.ErrSSHFxOpUnsupported) || !isFx(fmt.Errorf("sync: %w", unsupported), sftp.ErrSSHFxOpUnsupported) {
		t.Error("an unsupported operation is not recognised")
	}
	if isFx(unsupported, sftp.ErrSSHFxFailure) || isFx(fmt.Errorf("x"), sftp.ErrSSHFxFailure) {
		t.Error("other errors match")
	}
	if !isFx(&sftp.StatusError{Code: 4}, sftp.ErrSSHFxFailure) {
		t.Error("a failure is not recognised")
	}
}
