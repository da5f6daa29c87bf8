package sftpadapter

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/pkg/sftp"

	"github.com/sftpkit/sftpkit/internal/vpath"
	"github.com/sftpkit/sftpkit/perms"
	"github.com/sftpkit/sftpkit/vfs"
)

// StatusError is an error with an SFTP status code and a fixed message that
// is safe to send to the client. pkg/sftp sends err.Error() verbatim and
// reads the code through errors.As, so every error the adapter returns to
// pkg/sftp is one of these.
type StatusError struct {
	code uint32
	fx   error // the pkg/sftp error value of code
	msg  string
}

// Error returns the client-visible message.
func (e *StatusError) Error() string { return e.msg }

// Unwrap returns the pkg/sftp status error carrying the code.
func (e *StatusError) Unwrap() error { return e.fx }

// Code returns the SFTP status code.
func (e *StatusError) Code() uint32 { return e.code }

// Fixed client-safe errors.
var (
	errNoSuchFile    = status(codeNoSuchFile, "no such file or directory")
	errPermission    = status(codePermission, "permission denied")
	errFailure       = status(codeFailure, "failure")
	errExist         = status(codeFailure, "file exists")
	errNotEmpty      = status(codeFailure, "directory not empty")
	errNotDir        = status(codeFailure, "not a directory")
	errIsDir         = status(codeFailure, "is a directory")
	errCrossDevice   = status(codeFailure, "cross-device operation not supported")
	errNoSpace       = status(codeFailure, "no space left on device")
	errUnsupported   = status(codeOpUnsupported, "operation unsupported")
	errBadOffset     = status(codeFailure, "offset out of range")
	errTooManyHandle = status(codeFailure, "too many open handles")
	errLoop          = status(codeFailure, "too many levels of symbolic links")
	errInternal      = status(codeFailure, "internal server error")
	errBadFlags      = status(codeBadMessage, "bad open flags")
	errRejected      = status(codeFailure, "upload rejected")
	errQuota         = status(codeFailure, "quota exceeded")
)

// SFTP v3 status codes used by the adapter.
const (
	codeNoSuchFile    = 2
	codePermission    = 3
	codeFailure       = 4
	codeBadMessage    = 5
	codeOpUnsupported = 8
)

func status(code uint32, msg string) *StatusError {
	var fx error
	switch code {
	case codeNoSuchFile:
		fx = sftp.ErrSSHFxNoSuchFile
	case codePermission:
		fx = sftp.ErrSSHFxPermissionDenied
	case codeBadMessage:
		fx = sftp.ErrSSHFxBadMessage
	case codeOpUnsupported:
		fx = sftp.ErrSSHFxOpUnsupported
	default:
		code, fx = codeFailure, sftp.ErrSSHFxFailure
	}
	return &StatusError{code: code, fx: fx, msg: msg}
}

// toStatus maps any error to a *StatusError. The detail of err (which may
// contain host paths) is never part of the result.
func toStatus(err error) *StatusError {
	var (
		se     *StatusError
		denial *perms.Denial
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se
	case errors.As(err, &denial):
		// PERM-E11: names the missing permission and the virtual path.
		return status(codePermission, denial.Error())
	case errors.Is(err, vpath.ErrNUL), errors.Is(err, vpath.ErrBackslash),
		errors.Is(err, vpath.ErrUTF8), errors.Is(err, vpath.ErrTooLong):
		// SPEC 8.1: FAILURE with an explanatory message.
		return status(codeFailure, "invalid path: "+err.Error())
	case errors.Is(err, vfs.ErrUploadRejected):
		return errRejected
	case errors.Is(err, vfs.ErrQuotaExceeded):
		return errQuota
	case errors.Is(err, fs.ErrNotExist):
		return errNoSuchFile
	case errors.Is(err, fs.ErrPermission):
		return errPermission
	case errors.Is(err, fs.ErrExist):
		return errExist
	case errors.Is(err, syscall.ENOTEMPTY):
		return errNotEmpty
	case errors.Is(err, syscall.ENOTDIR):
		return errNotDir
	case errors.Is(err, syscall.EISDIR):
		return errIsDir
	case errors.Is(err, syscall.EXDEV):
		return errCrossDevice
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return errNoSpace
	case errors.Is(err, syscall.ELOOP):
		return errLoop
	case errors.Is(err, syscall.ENOSYS), errors.Is(err, syscall.ENOTSUP), errors.Is(err, errors.ErrUnsupported):
		return errUnsupported
	case errors.Is(err, sftp.ErrSSHFxOpUnsupported):
		return errUnsupported
	}
	return errFailure
}
