package vfs

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/google/uuid"
	"github.com/spf13/afero"
)

// ErrBadAmendID is returned, wrapped in an *fs.PathError, when the ID
// generator given to [AmendWriteNames] returns an empty string or one that
// contains '/' or NUL. It wraps [fs.ErrInvalid].
var ErrBadAmendID = fmt.Errorf("vfs: invalid amend_write_name ID: %w", fs.ErrInvalid)

// AmendWriteNames returns an afero.Fs that implements amend_write_name =
// uuid-prefix (SPEC §13) over fsys: every open with write intent of
// "/dir/NAME" creates and opens "/dir/<id>-NAME" instead, where id comes
// from newID. A nil newID generates random RFC 4122 version-4 UUIDs in
// lowercase hyphenated form, such as f1efde05-9b54-4fd7-a6cb-9fffc62cc631.
//
// An open has write intent when its access mode is os.O_WRONLY or os.O_RDWR
// or it carries os.O_CREATE, os.O_TRUNC or os.O_APPEND. Such an open is
// passed on for the amended name with os.O_CREATE|os.O_EXCL added and
// os.O_TRUNC removed (a new file has nothing to truncate); the access mode
// and the other flags are kept. So:
//
//   - the requested file, if it exists, is never opened, let alone
//     modified or truncated (AMEND-02); appends and updates also get a new,
//     empty file (AMEND-06);
//   - if the amended name exists, the open fails with an error wrapping
//     [fs.ErrExist] and nothing is overwritten (AMEND-03);
//   - reads, Mkdir, Rename, Remove, Stat and every other operation are
//     passed through unchanged (AMEND-05). Follow-up requests by the
//     original name act on that literal name (SPEC 13(d)): clients that
//     upload to a temporary name and rename it afterwards must not use that
//     mode.
//
// Only the last path component changes. The returned file's Name reports
// the amended path; [RequestedName] returns the path that was asked for
// (AMEND-07). Permission checks belong to the caller and use the requested
// path (AMEND-04).
//
// The generated ID is trusted to make names unique; an ID that is empty or
// contains '/' or NUL is refused with [ErrBadAmendID]. A name already 255
// bytes long may become too long for the backend once prefixed; the open
// then fails with the backend's error.
//
// Compose with the other decorators as
// AmendWriteNames(AtomicUploads(Quotas(base, ...), ...), nil): the
// exclusive create then applies to the amended final name.
//
// The returned Fs forwards afero.Lstater, afero.Symlinker and
// afero.LinkReader to fsys when it implements them. It is safe for
// concurrent use if fsys and newID are.
func AmendWriteNames(fsys afero.Fs, newID func() string) afero.Fs {
	if newID == nil {
		newID = uuid.NewString
	}
	return &amendFs{decoLinkFs: decoLinkFs{fsys}, newID: newID}
}

// RequestedName returns the path that was asked for when f was opened
// through [AmendWriteNames] and ok = true; f.Name() is then the amended
// path actually opened. For any other file it returns "", false. f may be
// wrapped by the other decorators of this package.
func RequestedName(f afero.File) (requested string, ok bool) {
	for f != nil {
		if af, isAmend := f.(*amendFile); isAmend {
			return af.requested, true
		}
		u, isWrapper := f.(decoUnwrapper)
		if !isWrapper {
			break
		}
		f = u.unwrapFile()
	}
	return "", false
}

// Aborter is implemented by files returned from the decorators of this
// package. The SFTP layer calls Abort from pkg/sftp's TransferError when the
// connection breaks while the file is open; err says why and may be nil.
// A file opened through [AtomicUploads] then discards the upload on Close.
// Wrappers forward Abort to the file they wrap; for other files it does
// nothing. Abort is safe to call concurrently with other methods.
type Aborter interface {
	Abort(err error)
}

// decoUnwrapper is implemented by the file wrappers of this package.
type decoUnwrapper interface {
	unwrapFile() afero.File
}

// decoAbort forwards an abort to f if it supports it.
func decoAbort(f afero.File, err error) {
	if a, ok := f.(Aborter); ok {
		a.Abort(err)
	}
}

// decoWriteIntent reports whether an open with flag may modify or create the
// file.
func decoWriteIntent(flag int) bool {
	return flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0
}

// decoAccessMode returns the access mode bits of flag.
func decoAccessMode(flag int) int {
	return flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
}

type amendFs struct {
	decoLinkFs
	newID func() string
}

// Name returns "AmendWriteNames(" and the wrapped Fs's name.
func (a *amendFs) Name() string { return "AmendWriteNames(" + a.Fs.Name() + ")" }

// Create creates a new, amended file; see OpenFile.
func (a *amendFs) Create(name string) (afero.File, error) {
	return a.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens name, or for writes a new file with an amended name.
func (a *amendFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if !decoWriteIntent(flag) {
		return a.Fs.OpenFile(name, flag, perm)
	}
	if name == "/" || name == "" || strings.HasSuffix(name, "/") {
		// No last component to prefix: this is a directory.
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	}
	id := a.newID()
	if id == "" || strings.ContainsAny(id, "/\x00") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrBadAmendID}
	}
	amended := path.Join(path.Dir(name), id+"-"+path.Base(name))
	f, err := a.Fs.OpenFile(amended, flag&^os.O_TRUNC|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, err
	}
	return &amendFile{File: f, requested: name}, nil
}

// amendFile is a file opened under an amended name. Name, from the wrapped
// file, is the amended path.
type amendFile struct {
	afero.File
	requested string
}

func (f *amendFile) unwrapFile() afero.File { return f.File }

// Abort forwards to the wrapped file.
func (f *amendFile) Abort(err error) { decoAbort(f.File, err) }

// decoLinkFs embeds an afero.Fs and forwards the optional link interfaces of
// afero to it, so that the decorators of this package do not hide them.
type decoLinkFs struct {
	afero.Fs
}

// LstatIfPossible forwards to the wrapped Fs, or falls back to Stat.
func (l decoLinkFs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	if ls, ok := l.Fs.(afero.Lstater); ok {
		return ls.LstatIfPossible(name)
	}
	fi, err := l.Fs.Stat(name)
	return fi, false, err
}

// SymlinkIfPossible forwards to the wrapped Fs, or fails with
// afero.ErrNoSymlink.
func (l decoLinkFs) SymlinkIfPossible(oldname, newname string) error {
	if s, ok := l.Fs.(afero.Linker); ok {
		return s.SymlinkIfPossible(oldname, newname)
	}
	return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: afero.ErrNoSymlink}
}

// ReadlinkIfPossible forwards to the wrapped Fs, or fails with
// afero.ErrNoReadlink.
func (l decoLinkFs) ReadlinkIfPossible(name string) (string, error) {
	if r, ok := l.Fs.(afero.LinkReader); ok {
		return r.ReadlinkIfPossible(name)
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: afero.ErrNoReadlink}
}

// decoLstat stats name without following a final symbolic link when fsys can.
func decoLstat(fsys afero.Fs, name string) (os.FileInfo, error) {
	if ls, ok := fsys.(afero.Lstater); ok {
		fi, _, err := ls.LstatIfPossible(name)
		return fi, err
	}
	return fsys.Stat(name)
}

// Interface checks.
var (
	_ afero.Fs         = (*amendFs)(nil)
	_ afero.Lstater    = (*amendFs)(nil)
	_ afero.Symlinker  = (*amendFs)(nil)
	_ Aborter          = (*amendFile)(nil)
	_ decoUnwrapper    = (*amendFile)(nil)
	_ afero.LinkReader = decoLinkFs{}
)
