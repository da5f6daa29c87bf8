// Package sftpadapter serves pkg/sftp's request server from any afero.Fs.
//
// It is the only package of sftpkit that imports pkg/sftp's server side, so a
// later move to another SFTP implementation stays local. Every client path
// is converted once with vpath.Canonical; the Fs only ever sees canonical
// virtual paths. Every error is mapped to a *StatusError with a fixed,
// client-safe message (the detail goes to the logger); every handler and every
// ReadAt/WriteAt runs under recover, because pkg/sftp has none and a panic
// would kill the process.
//
// Decisions where the protocol leaves room (documented for users in the
// sftpserver package):
//   - A handle opened with APPEND writes every WRITE at the current end of
//     the file, whatever its offset, as OpenSSH's server does with O_APPEND
//     (pkg/sftp's client relies on it and sends offset 0). The file is not
//     opened with O_APPEND, which conflicts with WriteAt; sftpwire keeps
//     pipelined appends in order.
//   - SSH_FXP_RENAME replaces an existing destination file, as SFTPPlus does
//     (SPEC 8(d)); it never replaces a directory.
//   - SETSTAT of uid/gid succeeds only when it names the virtual ids the
//     session presents; anything else is PERMISSION_DENIED (no host chown).
//   - hardlink@openssh.com and statvfs@openssh.com answer OP_UNSUPPORTED.
//   - SYMLINK answers OP_UNSUPPORTED unless Config.AllowSymlinks is set.
package sftpadapter

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/internal/vpath"
	"github.com/sftpkit/sftpkit/perms"
)

// DefaultMaxWriteOffset is the default largest offset+length a WRITE may reach
// (4 TiB). Larger offsets are refused with FAILURE.
const DefaultMaxWriteOffset = 1 << 42

// Config configures an Adapter.
type Config struct {
	// Fs is the session's filesystem. It receives canonical virtual paths.
	Fs afero.Fs
	// Logger receives error details; nil discards.
	Logger *slog.Logger
	// Observe, if non-nil, is called after each mutating operation and when
	// a transfer handle closes. It must not block.
	Observe func(Op)
	// MaxHandles caps the open file and directory handles; 0 means no cap.
	MaxHandles int
	// MaxWriteOffset caps offset+length of a WRITE; 0 means DefaultMaxWriteOffset.
	MaxWriteOffset int64
	// AllowSymlinks enables SYMLINK. The target must stay inside the
	// session's root after lexical resolution.
	AllowSymlinks bool
	// Policy decides which operations each virtual path allows (SPEC 8.2);
	// nil allows everything. It is checked before storage is touched.
	Policy *perms.Policy
	// UID, GID and UserName are what the client sees as the owner of every
	// file: virtual ids, never the host's.
	UID, GID uint32
	UserName string
	// Opened, if non-nil, is told of each file an OPEN opens, just before
	// the handle goes to pkg/sftp: r is nil unless the handle may read, w
	// nil unless it may write (sftpwire's fast path).
	Opened func(r io.ReaderAt, w io.WriterAt)
}

// OpKind names an operation reported through Config.Observe.
type OpKind string

// Operation kinds.
const (
	OpMkdir    OpKind = "mkdir"
	OpRmdir    OpKind = "rmdir"
	OpRemove   OpKind = "remove"
	OpRename   OpKind = "rename"
	OpSetstat  OpKind = "setstat"
	OpSymlink  OpKind = "symlink"
	OpUpload   OpKind = "upload"   // a handle that only wrote closed
	OpDownload OpKind = "download" // a handle that only read closed
	OpTransfer OpKind = "transfer" // a read-write handle that did both, or neither, closed
)

// Op reports one operation.
type Op struct {
	Kind          OpKind
	Path          string // canonical virtual path (of the file actually written)
	RequestedPath string // the client's path, when the file was stored under another name (AMEND-07)
	Target        string // rename/symlink destination
	BytesRead     int64
	BytesWritten  int64
	Duration      time.Duration
	// Aborted is set when a transfer ended because the connection broke.
	Aborted bool
	// Err is the client-visible error, nil on success.
	Err *StatusError
	// Denial explains a permission refusal; nil otherwise.
	Denial *perms.Denial
	// Delayed marks a REMOVE accepted for later (ssh_delete_delay): its
	// outcome is reported separately.
	Delayed bool
}

// Adapter implements pkg/sftp's handler interfaces over an afero.Fs. It is
// safe for concurrent use by pkg/sftp's workers.
type Adapter struct {
	cfg      Config
	log      *slog.Logger
	maxOff   int64
	handles  atomic.Int64
	inflight atomic.Int64
	lastUse  atomic.Int64 // unix nanoseconds
}

// New returns an Adapter for cfg.
func New(cfg Config) *Adapter {
	a := &Adapter{cfg: cfg, log: cfg.Logger, maxOff: cfg.MaxWriteOffset}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.maxOff <= 0 {
		a.maxOff = DefaultMaxWriteOffset
	}
	a.lastUse.Store(time.Now().UnixNano())
	return a
}

// Handlers returns the pkg/sftp handlers backed by a.
func (a *Adapter) Handlers() sftp.Handlers {
	return sftp.Handlers{FileGet: a, FilePut: a, FileCmd: a, FileList: a}
}

// Busy reports whether a request is being handled or a handle is open.
func (a *Adapter) Busy() bool { return a.handles.Load() > 0 || a.inflight.Load() > 0 }

// IdleSince returns when the adapter last finished a request or closed a handle.
func (a *Adapter) IdleSince() time.Time { return time.Unix(0, a.lastUse.Load()) }

// OpenHandles returns the number of open handles.
func (a *Adapter) OpenHandles() int { return int(a.handles.Load()) }

// Compile-time checks of the optional interfaces pkg/sftp looks for.
var (
	_ sftp.OpenFileWriter       = (*Adapter)(nil)
	_ sftp.PosixRenameFileCmder = (*Adapter)(nil)
	_ sftp.StatVFSFileCmder     = (*Adapter)(nil)
	_ sftp.LstatFileLister      = (*Adapter)(nil)
	_ sftp.RealPathFileLister   = (*Adapter)(nil)
	_ sftp.ReadlinkFileLister   = (*Adapter)(nil)
	_ sftp.NameLookupFileLister = (*Adapter)(nil)
	_ sftp.TransferError        = (*handle)(nil)
	_ sftp.FileInfoUidGid       = fileInfo{}
)

// guard runs fn as one request: counted as in flight, panics recovered and
// reported as an internal error, every error mapped to a *StatusError.
func (a *Adapter) guard(op string, p string, fn func() error) (err error) {
	a.inflight.Add(1)
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("sftp: panic in handler", "op", op, "path", p, "panic", r, "stack", string(debug.Stack()))
			err = errInternal
		}
		if err != nil && err != io.EOF {
			se := toStatus(err)
			if se != err {
				a.log.Debug("sftp: request failed", "op", op, "path", p, "err", err)
			}
			err = se
		}
		a.inflight.Add(-1)
		a.touch()
	}()
	return fn()
}

func (a *Adapter) touch() { a.lastUse.Store(time.Now().UnixNano()) }

func (a *Adapter) observe(op Op) {
	if a.cfg.Observe != nil {
		a.cfg.Observe(op)
	}
}

// observeErr reports op with the client-visible form of err.
func (a *Adapter) observeErr(op Op, err error) {
	op.Err = toStatus(err)
	errors.As(err, &op.Denial)
	a.observe(op)
}

// allow checks that p allows every permission in need (SPEC 8.2).
func (a *Adapter) allow(p string, need ...perms.Perm) error {
	if a.cfg.Policy == nil {
		return nil
	}
	return a.cfg.Policy.Check(p, need...)
}

// allows reports whether p's effective set allows perm.
func (a *Adapter) allows(p string, perm perms.Perm) bool {
	return a.cfg.Policy == nil || a.cfg.Policy.Effective(p).Allows(perm)
}

// allPerms is what "full control" on a path means.
var allPerms = []perms.Perm{perms.Read, perms.List, perms.Traverse, perms.CreateFolder, perms.Write,
	perms.Rename, perms.DeleteFolder, perms.DeleteFile, perms.SetAttributes}

func (a *Adapter) reserveHandle() error {
	if n := a.handles.Add(1); a.cfg.MaxHandles > 0 && n > int64(a.cfg.MaxHandles) {
		a.handles.Add(-1)
		return errTooManyHandle
	}
	return nil
}

func (a *Adapter) releaseHandle() {
	a.handles.Add(-1)
	a.touch()
}

// Fileread opens a file for reading (an OPEN with READ only).
func (a *Adapter) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	h, err := a.openRequest(r)
	if err != nil {
		return nil, err
	}
	if a.cfg.Opened != nil {
		a.cfg.Opened(h, nil)
	}
	return h, nil
}

// Filewrite opens a file for writing (an OPEN with WRITE, APPEND, CREAT or TRUNC).
func (a *Adapter) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	h, err := a.openRequest(r)
	if err != nil {
		return nil, err
	}
	if a.cfg.Opened != nil {
		a.cfg.Opened(nil, h)
	}
	return h, nil
}

// OpenFile opens a file for reading and writing.
func (a *Adapter) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	h, err := a.openRequest(r)
	if err != nil {
		return nil, err
	}
	if a.cfg.Opened != nil {
		a.cfg.Opened(h, h)
	}
	return h, nil
}

func (a *Adapter) openRequest(r *sftp.Request) (h *handle, err error) {
	err = a.guard("open", r.Filepath, func() (err error) {
		h, err = a.open(r.Filepath, r.Pflags())
		return err
	})
	return h, err
}

func (a *Adapter) open(raw string, fl sftp.FileOpenFlags) (*handle, error) {
	p, err := vpath.Canonical(raw)
	if err != nil {
		return nil, err
	}
	var flag int
	kind := OpDownload
	switch {
	case fl.Read && (fl.Write || fl.Append || fl.Creat || fl.Trunc):
		flag, kind = os.O_RDWR, OpTransfer
	case fl.Write || fl.Append || fl.Creat || fl.Trunc:
		flag, kind = os.O_WRONLY, OpUpload
	case fl.Read:
		flag = os.O_RDONLY
	default:
		return nil, errBadFlags
	}
	if fl.Creat {
		flag |= os.O_CREATE
	}
	if fl.Trunc {
		flag |= os.O_TRUNC
	}
	if fl.Excl {
		flag |= os.O_EXCL
	}
	// An OPEN that can create, truncate or append is a write, READ or not
	// (DESIGN §2, SPEC 8.2).
	need := []perms.Perm{perms.Read}
	switch kind {
	case OpTransfer:
		need = []perms.Perm{perms.Read, perms.Write}
	case OpUpload:
		need = []perms.Perm{perms.Write}
	}
	if err := a.allow(p, need...); err != nil {
		return nil, err
	}
	if err := a.reserveHandle(); err != nil {
		return nil, err
	}
	f, err := a.cfg.Fs.OpenFile(p, flag, 0o644)
	if err != nil {
		a.releaseHandle()
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		a.releaseHandle()
		if err != nil {
			return nil, err
		}
		return nil, errIsDir
	}
	h := &handle{a: a, f: f, path: p, kind: kind, start: time.Now(), appends: fl.Append}
	// A filesystem that stores the upload under another name (vfs's
	// amend_write_name) names the file it opened; events report both.
	if name := f.Name(); name != p && vpath.IsCanonical(name) {
		h.path, h.requested = name, p
	}
	return h, nil
}

// handle is an open file. pkg/sftp calls ReadAt/WriteAt from several workers
// concurrently.
type handle struct {
	a         *Adapter
	f         afero.File
	path      string
	requested string // the client's path when the file was stored under another name
	kind      OpKind
	start     time.Time
	nread     atomic.Int64
	nwrite    atomic.Int64
	aborted   atomic.Bool
	closed    atomic.Bool
	appends   bool       // APPEND: every write goes to the end of the file
	appendM   sync.Mutex // serialises appends
}

// ReadAt reads from the file. io.EOF is returned unwrapped, as pkg/sftp
// compares it directly.
func (h *handle) ReadAt(p []byte, off int64) (n int, err error) {
	if off < 0 {
		return 0, errBadOffset
	}
	defer func() {
		if r := recover(); r != nil {
			h.a.log.Error("sftp: panic in ReadAt", "path", h.path, "panic", r, "stack", string(debug.Stack()))
			n, err = 0, errInternal
		}
	}()
	n, err = h.f.ReadAt(p, off)
	h.nread.Add(int64(n))
	if err != nil && err != io.EOF {
		h.a.log.Debug("sftp: read failed", "path", h.path, "err", err)
		err = toStatus(err)
	}
	return n, err
}

// WriteAt writes to the file at off, which must be in [0, MaxWriteOffset-len(p)].
// A refused or failed write aborts an atomic upload: what the client
// believes it wrote is not all there, so it must never be published.
func (h *handle) WriteAt(p []byte, off int64) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			h.a.log.Error("sftp: panic in WriteAt", "path", h.path, "panic", r, "stack", string(debug.Stack()))
			n, err = 0, errInternal
		}
		if err != nil {
			h.abort(err)
		}
	}()
	if off < 0 || off > h.a.maxOff-int64(len(p)) {
		return 0, errBadOffset
	}
	if h.appends {
		h.appendM.Lock()
		defer h.appendM.Unlock()
		fi, err := h.f.Stat()
		if err != nil {
			return 0, toStatus(err)
		}
		if off = fi.Size(); off > h.a.maxOff-int64(len(p)) {
			return 0, errBadOffset
		}
	}
	n, err = h.f.WriteAt(p, off)
	h.nwrite.Add(int64(n))
	if err != nil {
		h.a.log.Debug("sftp: write failed", "path", h.path, "err", err)
		err = toStatus(err)
	}
	return n, err
}

// aborter is implemented by files that must not publish what was written
// when the transfer broke (vfs's atomic uploads).
type aborter interface{ Abort(error) }

// TransferError records that the connection broke while the handle was open
// and tells the file, which then discards instead of publishing on Close.
func (h *handle) TransferError(err error) {
	h.aborted.Store(true)
	h.abort(err)
}

func (h *handle) abort(err error) {
	if a, ok := h.f.(aborter); ok {
		a.Abort(err)
	}
}

// Close closes the file and reports the transfer.
func (h *handle) Close() (err error) {
	if !h.closed.CompareAndSwap(false, true) {
		return nil
	}
	defer h.a.releaseHandle()
	defer func() {
		if r := recover(); r != nil {
			h.a.log.Error("sftp: panic in Close", "path", h.path, "panic", r, "stack", string(debug.Stack()))
			err = errInternal
		}
		op := Op{Kind: h.reportKind(), Path: h.path, RequestedPath: h.requested, BytesRead: h.nread.Load(), BytesWritten: h.nwrite.Load(),
			Duration: time.Since(h.start), Aborted: h.aborted.Load()}
		h.a.observeErr(op, err)
	}()
	if err := h.f.Close(); err != nil {
		h.a.log.Debug("sftp: close failed", "path", h.path, "err", err)
		return toStatus(err)
	}
	return nil
}

// reportKind classifies a closed handle: by its open mode, except that a
// read-write handle (pkg/sftp's client creates files that way) that only
// wrote is an upload and one that only read is a download.
func (h *handle) reportKind() OpKind {
	if h.kind != OpTransfer {
		return h.kind
	}
	r, w := h.nread.Load(), h.nwrite.Load()
	switch {
	case w > 0 && r == 0:
		return OpUpload
	case r > 0 && w == 0:
		return OpDownload
	}
	return OpTransfer
}

// Filecmd handles SETSTAT, RENAME, RMDIR, MKDIR, LINK, SYMLINK and REMOVE.
func (a *Adapter) Filecmd(r *sftp.Request) error {
	return a.guard(r.Method, r.Filepath, func() error {
		switch r.Method {
		case "Setstat":
			return a.setstat(r)
		case "Rename":
			return a.rename(r.Filepath, r.Target, false)
		case "Rmdir":
			return a.remove(r.Filepath, true)
		case "Remove":
			return a.remove(r.Filepath, false)
		case "Mkdir":
			return a.mkdir(r)
		case "Symlink":
			// OpenSSH argument order: Filepath is the raw target, Target the link.
			return a.symlink(r.Filepath, r.Target)
		}
		return errUnsupported // Link (hardlink@openssh.com) and anything new
	})
}

// PosixRename handles posix-rename@openssh.com: an existing destination file
// is replaced atomically.
func (a *Adapter) PosixRename(r *sftp.Request) error {
	return a.guard("posix-rename", r.Filepath, func() error {
		return a.rename(r.Filepath, r.Target, true)
	})
}

// StatVFS answers statvfs@openssh.com with OP_UNSUPPORTED (SPEC 8.2).
func (a *Adapter) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	return nil, errUnsupported
}

func (a *Adapter) mkdir(r *sftp.Request) (err error) {
	p, err := vpath.Canonical(r.Filepath)
	if err != nil {
		return err
	}
	defer func() { a.observeErr(Op{Kind: OpMkdir, Path: p}, err) }()
	if err := a.allow(p, perms.CreateFolder); err != nil {
		return err
	}
	// pkg/sftp v1.13 does not pass MKDIR's attributes on, so the client's
	// mode cannot be honoured; 0755 (less the process umask) it is.
	return a.cfg.Fs.Mkdir(p, 0o755)
}

func (a *Adapter) remove(raw string, dir bool) (err error) {
	p, err := vpath.Canonical(raw)
	if err != nil {
		return err
	}
	kind := OpRemove
	if dir {
		kind = OpRmdir
	}
	defer func() {
		a.observeErr(Op{Kind: kind, Path: p, Delayed: !dir && err == nil && removeDelay(a.cfg.Fs) > 0}, err)
	}()
	need := perms.DeleteFile
	if dir {
		need = perms.DeleteFolder
	}
	if err := a.allow(p, need); err != nil {
		return err
	}
	if p == "/" {
		return errPermission // the home root (HOME-19)
	}
	fi, err := lstat(a.cfg.Fs, p)
	if err != nil {
		// A delayed delete (ssh_delete_delay) answers OK without checking
		// that the file exists (SPEC 14(d)); the outcome is only an event.
		if !dir && errors.Is(err, fs.ErrNotExist) && removeDelay(a.cfg.Fs) > 0 {
			return a.cfg.Fs.Remove(p)
		}
		return err
	}
	switch {
	case dir && !fi.IsDir():
		return errNotDir
	case !dir && fi.IsDir():
		return errIsDir
	}
	return a.cfg.Fs.Remove(p)
}

// removeDelay returns how long fsys delays REMOVE (vfs.DelayedDelete), 0 if
// it does not.
func removeDelay(fsys afero.Fs) time.Duration {
	if d, ok := fsys.(interface{ RemoveDelay() time.Duration }); ok {
		return d.RemoveDelay()
	}
	return 0
}

func (a *Adapter) rename(rawFrom, rawTo string, posix bool) (err error) {
	from, err := vpath.Canonical(rawFrom)
	if err != nil {
		return err
	}
	to, err := vpath.Canonical(rawTo)
	if err != nil {
		return err
	}
	defer func() { a.observeErr(Op{Kind: OpRename, Path: from, Target: to}, err) }()
	if err := a.allow(from, perms.Rename); err != nil {
		return err
	}
	if err := a.allow(to, perms.Rename); err != nil {
		return err
	}
	if from == "/" || to == "/" {
		return errPermission // the home root (HOME-19)
	}
	if from == to {
		_, err := lstat(a.cfg.Fs, from)
		return err
	}
	if !posix {
		// SSH_FXP_RENAME may replace a file (SPEC 8(d)), never a directory.
		if fi, err := lstat(a.cfg.Fs, to); err == nil && fi.IsDir() {
			return errExist
		}
	}
	return a.cfg.Fs.Rename(from, to)
}

func (a *Adapter) setstat(r *sftp.Request) (err error) {
	p, err := vpath.Canonical(r.Filepath)
	if err != nil {
		return err
	}
	defer func() { a.observeErr(Op{Kind: OpSetstat, Path: p}, err) }()
	flags, attrs := r.AttrFlags(), r.Attributes()
	if attrs == nil {
		// pkg/sftp could not decode the attributes the flags announce.
		return status(codeBadMessage, "malformed attributes")
	}
	need := []perms.Perm{perms.SetAttributes}
	if flags.Size {
		need = append(need, perms.Write) // a size change changes content
	}
	if err := a.allow(p, need...); err != nil {
		return err
	}
	if p == "/" {
		return errPermission // the home root (HOME-19)
	}
	if _, err := a.cfg.Fs.Stat(p); err != nil {
		return err
	}
	if flags.UidGid && (attrs.UID != a.cfg.UID || attrs.GID != a.cfg.GID) {
		return errPermission
	}
	if flags.Size {
		if attrs.Size > uint64(a.maxOff) {
			return errBadOffset
		}
		f, err := a.cfg.Fs.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = f.Truncate(int64(attrs.Size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if flags.Permissions {
		if err := a.cfg.Fs.Chmod(p, attrs.FileMode().Perm()); err != nil {
			return err
		}
	}
	if flags.Acmodtime {
		if err := a.cfg.Fs.Chtimes(p, attrs.AccessTime(), attrs.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

func (a *Adapter) symlink(rawTarget, rawLink string) (err error) {
	if !a.cfg.AllowSymlinks {
		return errUnsupported
	}
	link, err := vpath.Canonical(rawLink)
	if err != nil {
		return err
	}
	defer func() { a.observeErr(Op{Kind: OpSymlink, Path: link, Target: rawTarget}, err) }()
	// A link re-exposes its target under another path: full control on the
	// link path is required (SPEC 8(d)).
	if err := a.allow(link, allPerms...); err != nil {
		return err
	}
	sl, ok := a.cfg.Fs.(afero.Symlinker)
	if !ok {
		return errUnsupported
	}
	// A target that climbs above "/" would leave the jail (OP-16).
	target, ok := vpath.ResolveLink(path.Dir(link), rawTarget)
	if !ok {
		return errPermission
	}
	return sl.SymlinkIfPossible(target, link)
}

// Filelist handles OPENDIR (List) and STAT.
func (a *Adapter) Filelist(r *sftp.Request) (la sftp.ListerAt, err error) {
	err = a.guard(r.Method, r.Filepath, func() error {
		p, err := vpath.Canonical(r.Filepath)
		if err != nil {
			return err
		}
		switch r.Method {
		case "List":
			la, err = a.opendir(p)
			return err
		case "Stat":
			fi, err := a.stat(p, a.cfg.Fs.Stat)
			if err != nil {
				return err
			}
			la = listOf{a.info(fi)}
			return nil
		}
		return errUnsupported
	})
	return la, err
}

// Lstat handles LSTAT.
func (a *Adapter) Lstat(r *sftp.Request) (la sftp.ListerAt, err error) {
	err = a.guard("lstat", r.Filepath, func() error {
		p, err := vpath.Canonical(r.Filepath)
		if err != nil {
			return err
		}
		fi, err := a.stat(p, func(p string) (fs.FileInfo, error) { return lstat(a.cfg.Fs, p) })
		if err != nil {
			return err
		}
		la = listOf{a.info(fi)}
		return nil
	})
	return la, err
}

// stat applies SPEC 8.2 to STAT and LSTAT: allow-read or allow-list on the
// target, or allow-traverse when the target is a directory.
func (a *Adapter) stat(p string, statFn func(string) (fs.FileInfo, error)) (fs.FileInfo, error) {
	if a.allows(p, perms.Read) || a.allows(p, perms.List) {
		return statFn(p)
	}
	denied := a.allow(p, perms.Read)
	if !a.allows(p, perms.Traverse) {
		return nil, denied
	}
	fi, err := statFn(p)
	if err != nil || !fi.IsDir() {
		return nil, denied // reveal nothing more than the permission allows
	}
	return fi, nil
}

// RealPath answers REALPATH lexically: canonical, clamped at "/" (OP-14).
func (a *Adapter) RealPath(p string) (out string, err error) {
	err = a.guard("realpath", p, func() error {
		out, err = vpath.Canonical(p)
		return err
	})
	return out, err
}

// Readlink answers READLINK with the link's text.
func (a *Adapter) Readlink(p string) (out string, err error) {
	err = a.guard("readlink", p, func() error {
		c, err := vpath.Canonical(p)
		if err != nil {
			return err
		}
		if err := a.allow(c, perms.List); err != nil {
			return err
		}
		lr, ok := a.cfg.Fs.(afero.LinkReader)
		if !ok {
			return errUnsupported
		}
		out, err = lr.ReadlinkIfPossible(c)
		return err
	})
	return out, err
}

// LookupUserName shows the virtual owner's name in long listings.
func (a *Adapter) LookupUserName(uid string) string {
	if a.cfg.UserName != "" && uid == strconv.FormatUint(uint64(a.cfg.UID), 10) {
		return a.cfg.UserName
	}
	return uid
}

// LookupGroupName shows the virtual group's name in long listings.
func (a *Adapter) LookupGroupName(gid string) string {
	if a.cfg.UserName != "" && gid == strconv.FormatUint(uint64(a.cfg.GID), 10) {
		return a.cfg.UserName
	}
	return gid
}

func lstat(fsys afero.Fs, p string) (fs.FileInfo, error) {
	if l, ok := fsys.(afero.Lstater); ok {
		fi, _, err := l.LstatIfPossible(p)
		return fi, err
	}
	return fsys.Stat(p)
}

// fileInfo presents a FileInfo with the session's virtual owner and without
// the backend's Sys() (which would expose host uid/gid).
type fileInfo struct {
	fs.FileInfo
	uid, gid uint32
}

func (fi fileInfo) Sys() any    { return nil }
func (fi fileInfo) Uid() uint32 { return fi.uid }
func (fi fileInfo) Gid() uint32 { return fi.gid }

func (a *Adapter) info(fi fs.FileInfo) fileInfo {
	return fileInfo{FileInfo: fi, uid: a.cfg.UID, gid: a.cfg.GID}
}

// listOf is a ListerAt over a fixed slice.
type listOf []fs.FileInfo

func (l listOf) ListAt(buf []os.FileInfo, off int64) (int, error) {
	if off < 0 || off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(buf, l[off:])
	if off+int64(n) >= int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}

// dirLister lists a directory in pages: each ListAt reads only as many
// entries as pkg/sftp asks for, so a huge directory is never held in memory.
type dirLister struct {
	a        *Adapter
	f        afero.File
	path     string
	dirsOnly bool // allow-traverse: list directories and links to them only
	next     int64
	done     bool
	closed   atomic.Bool
}

func (a *Adapter) opendir(p string) (*dirLister, error) {
	dirsOnly := false
	if !a.allows(p, perms.List) {
		if !a.allows(p, perms.Traverse) {
			return nil, a.allow(p, perms.List)
		}
		dirsOnly = true // allow-traverse: only directories are shown
	}
	fi, err := a.cfg.Fs.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, errNotDir
	}
	if err := a.reserveHandle(); err != nil {
		return nil, err
	}
	f, err := a.cfg.Fs.Open(p)
	if err != nil {
		a.releaseHandle()
		return nil, err
	}
	return &dirLister{a: a, f: f, path: p, dirsOnly: dirsOnly}, nil
}

// ListAt returns the next page of entries. pkg/sftp asks for consecutive
// offsets; any other offset is refused.
func (d *dirLister) ListAt(buf []os.FileInfo, off int64) (n int, err error) {
	err = d.a.guard("readdir", d.path, func() error {
		if d.done {
			return io.EOF
		}
		if off != d.next {
			return errFailure
		}
		for n == 0 {
			infos, err := d.f.Readdir(len(buf))
			for _, fi := range infos {
				if d.dirsOnly && !d.isDir(fi) {
					continue
				}
				buf[n] = d.a.info(fi)
				n++
			}
			if err == io.EOF || (err == nil && len(infos) == 0) {
				d.done = true
				break
			}
			if err != nil {
				return err
			}
		}
		d.next += int64(n)
		if n == 0 {
			return io.EOF
		}
		return nil
	})
	return n, err
}

// isDir reports whether an entry is a directory or a link to one (OP-04:
// files and broken links are omitted under allow-traverse).
func (d *dirLister) isDir(fi fs.FileInfo) bool {
	if fi.IsDir() {
		return true
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	target, err := d.a.cfg.Fs.Stat(path.Join(d.path, fi.Name()))
	return err == nil && target.IsDir()
}

// Close closes the directory.
func (d *dirLister) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	defer d.a.releaseHandle()
	return d.f.Close()
}
