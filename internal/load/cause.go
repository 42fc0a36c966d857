package load

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// cause is a request's outcome: causeNone or one of the Cause* constants.
type cause uint8

const (
	causeNone cause = iota
	causeRefused
	causeReset
	causeTimeout
	causeStatus
	causeOverload
	causeOther
	numCauses
)

var causeNames = [numCauses]string{"", CauseRefused, CauseReset, CauseTimeout, CauseStatus, CauseOverload, CauseOther}

// causeOf classifies a failed request's error.
func causeOf(err error) cause {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return causeRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return causeReset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return causeTimeout
	}
	return causeOther
}
