package vfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/spf13/afero"
)

// UploadTempSuffix ends the name of every temporary file that
// [AtomicUploads] creates. A temporary file for "/dir/NAME" is named
// "/dir/.NAME.<16 hex digits>.sftpkit-upload" (NAME shortened to 200 bytes).
// Files with this suffix left behind by a crash can be removed by the
// operator while no upload is running.
const UploadTempSuffix = ".sftpkit-upload"

// ErrUploadRejected is wrapped, together with the validator's own error,
// in the error that Close returns when [AtomicOptions.Validate] refuses an
// upload.
var ErrUploadRejected = errors.New("vfs: upload rejected")

// ErrUploadAborted is wrapped in the error that Close returns for an upload
// that was aborted, by [Aborter.Abort] or by a failed write, together with
// the cause of the abort if there is one.
var ErrUploadAborted = errors.New("vfs: upload aborted")

// Upload describes a completed upload to [AtomicOptions.Validate] before it
// is published.
type Upload struct {
	// Path is the final virtual path the upload will be published at.
	Path string
	// Size is the size of the uploaded content in bytes.
	Size int64
	// File is the temporary file holding the content, open for reading
	// and writing at an unspecified offset. Read it with ReadAt; do not
	// close it or write to it.
	File afero.File
}

// AtomicOptions configures [AtomicUploads].
type AtomicOptions struct {
	// Validate, if set, is called by Close with a completed, not yet
	// published upload (size limits, checksums, content scanners). A nil
	// return publishes the upload; an error discards it and Close returns
	// an error wrapping both ErrUploadRejected and the returned error.
	// ctx is cancelled if the upload is aborted while Validate runs.
	// Validate may be called concurrently for different uploads; a panic
	// in it is recovered and treated as a refusal.
	Validate func(ctx context.Context, u Upload) error
}

// AtomicUploads returns an afero.Fs over fsys whose new uploads become
// visible only once complete.
//
// An open with write intent that truncates (os.O_TRUNC) or creates
// (os.O_CREATE on a name that does not exist) is a new upload: the caller
// writes to a temporary file in the same directory (see
// [UploadTempSuffix]), opened read-write with os.O_CREATE|os.O_EXCL, and
// Close publishes it by renaming it onto the requested name, replacing any
// file there, after syncing it and after [AtomicOptions.Validate] accepted
// it. The returned file reports the requested name from Name and Stat.
//
// The upload is discarded instead, the temporary file removed and the
// requested name left untouched (a previous file keeps its content), and
// Close returns an error, when:
//   - the file was aborted through [Aborter] (the SFTP layer does so from
//     pkg/sftp's TransferError when the connection breaks), or a write or
//     Truncate on it failed, for example because a quota was exceeded: the
//     error wraps [ErrUploadAborted] and the cause; further writes fail;
//   - Validate refused it: the error wraps [ErrUploadRejected] and the
//     validator's error;
//   - syncing, closing or renaming the temporary file failed.
//
// Atomicity covers new uploads only. Opens that neither create nor
// truncate, including os.O_CREATE without os.O_TRUNC on an existing file
// (how OpenSSH's resume and SFTP APPEND arrive) and read-write updates of
// an existing file, are passed through to the real file, so resuming keeps
// working but is not atomic.
//
// With os.O_EXCL the open fails with an error wrapping [fs.ErrExist] if the
// name exists, and Close checks again right before the rename and discards
// the upload, with an error wrapping [fs.ErrExist], if a file appeared
// meanwhile. A file created between that check and the rename is replaced:
// afero offers no rename that refuses to replace. Composed as
// AmendWriteNames(AtomicUploads(...)), this makes the amended names
// exclusive.
//
// Other effects to know about:
//   - The temporary files are ordinary directory entries, hidden only by
//     their leading dot: other sessions listing the directory see them,
//     and count them when computing quotas.
//   - When an existing file is replaced, the new file gets the old file's
//     permission bits (not its owner) but not its other metadata; a
//     symbolic link at the final name is replaced, not followed.
//   - Within this Fs, a name with an upload in progress resolves to that
//     upload: Stat, LstatIfPossible, Chmod, Chtimes and Chown act on the
//     temporary file, and opens that neither truncate nor exclusively
//     create open it. So a client that sets times or modes on its handle
//     before closing it (OpenSSH's put -p) keeps them. Other operations,
//     and other Fs values over the same storage, see the previous file.
//   - Only the data is synced before the rename, not the directory.
//
// To enforce quotas, wrap the base Fs: AtomicUploads(Quotas(base, ...),
// ...). The quota then counts temporary files as the real files they are,
// and a write refused for quota fails and so aborts the upload: nothing
// partial is published.
//
// The returned Fs forwards afero.Lstater, afero.Symlinker and
// afero.LinkReader to fsys when it implements them. It and its files are
// safe for concurrent use, as far as fsys and its files are; ReadAt and
// WriteAt may be called from several goroutines at once.
func AtomicUploads(fsys afero.Fs, opt AtomicOptions) afero.Fs {
	return &atomicFs{decoLinkFs: decoLinkFs{fsys}, opt: opt, active: make(map[string][]*atomicFile)}
}

type atomicFs struct {
	decoLinkFs
	opt AtomicOptions

	mu     sync.Mutex
	active map[string][]*atomicFile // uploads in progress by final name
}

// Name returns "AtomicUploads(" and the wrapped Fs's name.
func (a *atomicFs) Name() string { return "AtomicUploads(" + a.Fs.Name() + ")" }

// Create starts a new upload of name; see OpenFile.
func (a *atomicFs) Create(name string) (afero.File, error) {
	return a.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Open opens name for reading.
func (a *atomicFs) Open(name string) (afero.File, error) {
	return a.OpenFile(name, os.O_RDONLY, 0)
}

// OpenFile starts a new upload of name, or opens it.
func (a *atomicFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if flag&os.O_TRUNC == 0 {
		if up := a.current(name); up != nil {
			if flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL {
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
			}
			f, err := a.Fs.OpenFile(up.temp, flag&^(os.O_CREATE|os.O_EXCL), perm)
			if err == nil {
				return &uploadView{File: f, name: name}, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, renamePathError(err, name)
			}
			// Published or discarded meanwhile: open the real file.
		}
	}
	if !decoWriteIntent(flag) || flag&(os.O_CREATE|os.O_TRUNC) == 0 {
		return a.Fs.OpenFile(name, flag, perm)
	}
	fi, err := a.Fs.Stat(name)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	case exists && fi.IsDir():
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	case exists && flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case exists && flag&os.O_TRUNC == 0:
		// O_CREATE of an existing file: an update in place (resume).
		return a.Fs.OpenFile(name, flag, perm)
	case !exists && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if exists {
		perm = fi.Mode().Perm()
	}
	tempFlag := flag&^(os.O_RDONLY|os.O_WRONLY|os.O_RDWR|os.O_TRUNC) | os.O_RDWR | os.O_CREATE | os.O_EXCL
	var (
		temp string
		f    afero.File
	)
	for range 3 {
		temp = uploadTempName(name)
		f, err = a.Fs.OpenFile(temp, tempFlag, perm)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return nil, renamePathError(err, name)
	}
	if exists {
		// Keep the replaced file's mode exactly, whatever the umask.
		_ = a.Fs.Chmod(temp, perm)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	up := &atomicFile{
		File:     f,
		fsys:     a,
		final:    name,
		temp:     temp,
		excl:     flag&os.O_EXCL != 0,
		readable: decoAccessMode(flag) != os.O_WRONLY,
		writable: decoAccessMode(flag) != os.O_RDONLY,
		ctx:      ctx,
		cancel:   cancel,
	}
	a.mu.Lock()
	a.active[name] = append(a.active[name], up)
	a.mu.Unlock()
	return up, nil
}

// current returns the most recent upload in progress to name, or nil.
func (a *atomicFs) current(name string) *atomicFile {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ups := a.active[name]; len(ups) > 0 {
		return ups[len(ups)-1]
	}
	return nil
}

// forget removes up from the uploads in progress.
func (a *atomicFs) forget(up *atomicFile) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ups := a.active[up.final]
	for i, u := range ups {
		if u == up {
			ups = append(ups[:i:i], ups[i+1:]...)
			break
		}
	}
	if len(ups) == 0 {
		delete(a.active, up.final)
	} else {
		a.active[up.final] = ups
	}
}

// onUpload runs fn on the temporary file of the upload in progress to name
// if there is one and it still exists, and on name otherwise. redirected
// reports which.
func (a *atomicFs) onUpload(name string, fn func(string) error) (redirected bool, err error) {
	if up := a.current(name); up != nil {
		err := fn(up.temp)
		if !errors.Is(err, fs.ErrNotExist) {
			return true, renamePathError(err, name)
		}
	}
	return false, fn(name)
}

// Stat describes name, or the upload in progress to it.
func (a *atomicFs) Stat(name string) (os.FileInfo, error) {
	var fi os.FileInfo
	redirected, err := a.onUpload(name, func(n string) (err error) {
		fi, err = a.Fs.Stat(n)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case redirected:
		return uploadInfo{fi, path.Base(name)}, nil
	}
	return fi, nil
}

// LstatIfPossible describes name, or the upload in progress to it, without
// following a final symbolic link if the wrapped Fs can.
func (a *atomicFs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	var (
		fi os.FileInfo
		ok bool
	)
	redirected, err := a.onUpload(name, func(n string) (err error) {
		fi, ok, err = a.decoLinkFs.LstatIfPossible(n)
		return err
	})
	switch {
	case err != nil:
		return nil, ok, err
	case redirected:
		return uploadInfo{fi, path.Base(name)}, ok, nil
	}
	return fi, ok, nil
}

// Chmod changes the mode of name, or of the upload in progress to it.
func (a *atomicFs) Chmod(name string, mode os.FileMode) error {
	_, err := a.onUpload(name, func(n string) error { return a.Fs.Chmod(n, mode) })
	return err
}

// Chown changes the owner of name, or of the upload in progress to it.
func (a *atomicFs) Chown(name string, uid, gid int) error {
	_, err := a.onUpload(name, func(n string) error { return a.Fs.Chown(n, uid, gid) })
	return err
}

// Chtimes changes the times of name, or of the upload in progress to it.
func (a *atomicFs) Chtimes(name string, atime, mtime time.Time) error {
	if up := a.current(name); up != nil {
		// Remembered to be set again after the temporary file is closed:
		// some backends (afero.MemMapFs) set the time on Close.
		up.mu.Lock()
		up.atime, up.mtime, up.timesSet = atime, mtime, true
		up.mu.Unlock()
	}
	_, err := a.onUpload(name, func(n string) error { return a.Fs.Chtimes(n, atime, mtime) })
	return err
}

// uploadTempName returns a fresh temporary name next to name.
func uploadTempName(name string) string {
	var b [8]byte
	rand.Read(b[:])
	base := path.Base(name)
	if len(base) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = base[:cut]
	}
	return path.Join(path.Dir(name), "."+base+"."+hex.EncodeToString(b[:])+UploadTempSuffix)
}

// renamePathError makes an *fs.PathError from the wrapped Fs name the
// requested path instead of a temporary one.
func renamePathError(err error, name string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path != name {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

// atomicFile is a new upload: writes go to the temporary file, Close
// publishes or discards it.
type atomicFile struct {
	afero.File // the temporary file, open read-write
	fsys       *atomicFs
	final      string // requested virtual path
	temp       string // temporary virtual path
	excl       bool   // O_EXCL: never replace an existing file
	readable   bool   // the caller's access mode allows reading
	writable   bool   // the caller's access mode allows writing

	ctx    context.Context // cancelled by Abort; passed to Validate
	cancel context.CancelCauseFunc

	mu           sync.Mutex
	aborted      bool
	abortErr     error
	timesSet     bool // Chtimes was called on the upload's name
	atime, mtime time.Time
	closed       atomic.Bool
}

func (f *atomicFile) unwrapFile() afero.File { return f.File }

// Name returns the requested path.
func (f *atomicFile) Name() string { return f.final }

// Abort makes Close discard the upload and later writes fail. The first
// abort's err is kept as the cause.
func (f *atomicFile) Abort(err error) {
	f.mu.Lock()
	if !f.aborted {
		f.aborted = true
		f.abortErr = err
	}
	f.mu.Unlock()
	f.cancel(ErrUploadAborted)
}

// abortedErr returns the error describing an abort, or nil.
func (f *atomicFile) abortedErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.aborted:
		return nil
	case f.abortErr == nil:
		return ErrUploadAborted
	}
	return fmt.Errorf("%w: %w", ErrUploadAborted, f.abortErr)
}

func (f *atomicFile) pathErr(op string, err error) error {
	return &fs.PathError{Op: op, Path: f.final, Err: err}
}

// wrote checks the result of a write: a failed write aborts the upload.
func (f *atomicFile) wrote(n int, err error) (int, error) {
	if err != nil {
		f.Abort(err)
		return n, renamePathError(err, f.final)
	}
	return n, nil
}

func (f *atomicFile) WriteAt(p []byte, off int64) (int, error) {
	if !f.writable {
		return 0, f.pathErr("write", syscall.EBADF)
	}
	if err := f.abortedErr(); err != nil {
		return 0, f.pathErr("write", err)
	}
	return f.wrote(f.File.WriteAt(p, off))
}

func (f *atomicFile) Write(p []byte) (int, error) {
	if !f.writable {
		return 0, f.pathErr("write", syscall.EBADF)
	}
	if err := f.abortedErr(); err != nil {
		return 0, f.pathErr("write", err)
	}
	return f.wrote(f.File.Write(p))
}

func (f *atomicFile) WriteString(s string) (int, error) {
	return f.Write([]byte(s))
}

func (f *atomicFile) Truncate(size int64) error {
	if !f.writable {
		return f.pathErr("truncate", syscall.EBADF)
	}
	if err := f.abortedErr(); err != nil {
		return f.pathErr("truncate", err)
	}
	_, err := f.wrote(0, f.File.Truncate(size))
	return err
}

func (f *atomicFile) Read(p []byte) (int, error) {
	if !f.readable {
		return 0, f.pathErr("read", syscall.EBADF)
	}
	return f.File.Read(p)
}

func (f *atomicFile) ReadAt(p []byte, off int64) (int, error) {
	if !f.readable {
		return 0, f.pathErr("read", syscall.EBADF)
	}
	return f.File.ReadAt(p, off)
}

// Stat describes the upload under the requested name.
func (f *atomicFile) Stat() (os.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return nil, renamePathError(err, f.final)
	}
	return uploadInfo{fi, path.Base(f.final)}, nil
}

// Close publishes the upload, or discards it; see AtomicUploads.
func (f *atomicFile) Close() error {
	if !f.closed.CompareAndSwap(false, true) {
		return f.pathErr("close", fs.ErrClosed)
	}
	defer f.fsys.forget(f)
	defer f.cancel(nil)
	if err := f.publish(); err != nil {
		return f.pathErr("close", err)
	}
	return nil
}

// publish syncs, validates, closes and renames the temporary file. On any
// failure it removes the temporary file.
func (f *atomicFile) publish() error {
	base := f.fsys.Fs
	open := true
	discard := func(err error) error {
		if open {
			f.File.Close()
		}
		base.Remove(f.temp)
		return err
	}
	if err := f.abortedErr(); err != nil {
		return discard(err)
	}
	if err := f.File.Sync(); err != nil {
		return discard(err)
	}
	if v := f.fsys.opt.Validate; v != nil {
		fi, err := f.File.Stat()
		if err != nil {
			return discard(err)
		}
		if err := f.validate(v, Upload{Path: f.final, Size: fi.Size(), File: f.File}); err != nil {
			if aerr := f.abortedErr(); aerr != nil {
				return discard(aerr)
			}
			return discard(fmt.Errorf("%w: %w", ErrUploadRejected, err))
		}
	}
	if err := f.abortedErr(); err != nil {
		return discard(err)
	}
	open = false
	if err := f.File.Close(); err != nil {
		return discard(err)
	}
	f.mu.Lock()
	timesSet, atime, mtime := f.timesSet, f.atime, f.mtime
	f.mu.Unlock()
	if timesSet {
		_ = base.Chtimes(f.temp, atime, mtime) // best effort, as they were set once
	}
	if f.excl {
		// A file that appeared since the open must not be replaced. A file
		// created between this check and the rename still is.
		if _, err := decoLstat(base, f.final); err == nil {
			return discard(fs.ErrExist)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return discard(err)
		}
	}
	if err := base.Rename(f.temp, f.final); err != nil {
		return discard(err)
	}
	return nil
}

// validate calls v, turning a panic into an error.
func (f *atomicFile) validate(v func(context.Context, Upload) error, u Upload) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vfs: upload validator panicked: %v", r)
		}
	}()
	return v(f.ctx, u)
}

// uploadView is a further handle on an upload in progress, opened through
// its requested name. Closing it publishes nothing.
type uploadView struct {
	afero.File
	name string
}

func (v *uploadView) unwrapFile() afero.File { return v.File }

// Name returns the requested path.
func (v *uploadView) Name() string { return v.name }

// Abort forwards to the wrapped file.
func (v *uploadView) Abort(err error) { decoAbort(v.File, err) }

// Stat describes the upload under the requested name.
func (v *uploadView) Stat() (os.FileInfo, error) {
	fi, err := v.File.Stat()
	if err != nil {
		return nil, renamePathError(err, v.name)
	}
	return uploadInfo{fi, path.Base(v.name)}, nil
}

// uploadInfo reports a FileInfo under another base name.
type uploadInfo struct {
	os.FileInfo
	name string
}

func (i uploadInfo) Name() string { return i.name }

// Interface checks.
var (
	_ afero.Fs        = (*atomicFs)(nil)
	_ afero.Symlinker = (*atomicFs)(nil)
	_ afero.File      = (*atomicFile)(nil)
	_ Aborter         = (*atomicFile)(nil)
	_ Aborter         = (*uploadView)(nil)
	_ decoUnwrapper   = (*atomicFile)(nil)
	_ decoUnwrapper   = (*uploadView)(nil)
)
