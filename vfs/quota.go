package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/spf13/afero"
)

// ErrQuotaExceeded is wrapped, in an *fs.PathError, by the error of a
// write, Truncate, file creation or symbolic link creation refused by
// [Quotas]. It wraps [syscall.EDQUOT], which the SFTP layer reports as
// FAILURE "no space left on device".
var ErrQuotaExceeded = fmt.Errorf("vfs: quota exceeded: %w", syscall.EDQUOT)

// Quota holds the limits of one account. Zero means unlimited.
type Quota struct {
	// MaxBytes limits the total size of the account's files, in bytes.
	MaxBytes int64
	// MaxFiles limits the number of the account's files: every directory
	// entry that is not a directory (regular files, symbolic links, ...).
	MaxFiles int64
}

// QuotaUsage tracks the storage used by one account, shared by all its
// sessions: pass the same QuotaUsage to every [Quotas] of the account. It
// is safe for concurrent use. Create it with [NewQuotaUsage].
//
// Usage counts the logical size of files (a sparse file counts its full
// size) and their number. It follows the changes made through the Fs
// values returned by Quotas; changes made otherwise (by the host, another
// account sharing a folder, a crash) are only seen by a new [ScanUsage].
type QuotaUsage struct {
	bytes atomic.Int64
	files atomic.Int64

	mu   sync.Mutex
	open map[string]*quotaState // files open for writing, by path
}

// NewQuotaUsage returns a tracker starting at the given usage, typically
// the result of [ScanUsage] over the account's storage.
func NewQuotaUsage(bytes, files int64) *QuotaUsage {
	u := &QuotaUsage{open: make(map[string]*quotaState)}
	u.bytes.Store(max(bytes, 0))
	u.files.Store(max(files, 0))
	return u
}

// Bytes returns the bytes in use, including bytes reserved by writes in
// progress.
func (u *QuotaUsage) Bytes() int64 { return u.bytes.Load() }

// Files returns the number of files in use.
func (u *QuotaUsage) Files() int64 { return u.files.Load() }

// ScanUsage walks fsys from "/" and returns the total size of its regular
// files and the number of its entries that are not directories, without
// following symbolic links when fsys can (afero.Lstater). Temporary files
// of [AtomicUploads] are counted like any other file.
func ScanUsage(fsys afero.Fs) (bytes, files int64, err error) {
	err = afero.Walk(fsys, "/", func(_ string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			files++
			if fi.Mode().IsRegular() {
				bytes += fi.Size()
			}
		}
		return nil
	})
	return bytes, files, err
}

// Quotas returns an afero.Fs over fsys that enforces q, charging usage to
// u. A nil u is a new tracker starting at zero.
//
// Limits are enforced while writing, never exceeded even under concurrent
// writers: each WriteAt, Write or Truncate that would make a file larger
// reserves the growth from u before touching the file, atomically with
// the check against MaxBytes, and gives back what was not written. A
// refused call fails with an error wrapping [ErrQuotaExceeded] and writes
// nothing. An open that creates a file reserves a file from MaxFiles the
// same way (it is tried with os.O_EXCL to know whether it creates), and so
// does SymlinkIfPossible. Remove, RemoveAll, an open with os.O_TRUNC,
// Truncate to a smaller size and a Rename that replaces a file release
// usage. The bytes of a file removed or replaced while open for writing
// are released when its last handle closes: they stay on disk until then.
// Directories are not counted.
//
// Limits are checked against the shared usage, so all sessions of the
// account together stay within them. A write refused for quota leaves
// what was written before it: combine with [AtomicUploads] as
// AtomicUploads(Quotas(base, q, u), opt) so that the refusal aborts the
// upload and nothing partial is published. That order also charges an
// upload that replaces a file for both the old and the new content until
// the new one is published, as the storage holds both; with Quotas outside
// AtomicUploads usage would be released for content that is still stored,
// and an aborted upload would leave usage wrong.
//
// Reads pass through unwrapped. The returned Fs forwards afero.Lstater,
// afero.Symlinker and afero.LinkReader to fsys when it implements them.
// Names are expected in canonical form (see the package documentation):
// usage is tracked per name.
func Quotas(fsys afero.Fs, q Quota, u *QuotaUsage) afero.Fs {
	if u == nil {
		u = NewQuotaUsage(0, 0)
	}
	return &quotaFs{decoLinkFs: decoLinkFs{fsys}, q: q, u: u}
}

// quotaState is the shared accounting of one file open for writing through
// any number of handles. Lock order: QuotaUsage.mu, then io, then mu.
type quotaState struct {
	// Guarded by QuotaUsage.mu.
	key      string
	refs     int
	detached bool // removed or replaced: release its bytes at last close

	// io is held shared by writes in flight and exclusively by opens and
	// truncations, which need the size to stand still.
	io sync.RWMutex

	mu       sync.Mutex
	known    bool  // size is valid
	size     int64 // the file's size as written through the tracker
	reserved int64 // bytes charged to usage for the file; >= size
	pending  int   // writes in flight
}

// acquire returns the state of name, creating it, with a reference taken.
func (u *QuotaUsage) acquire(name string) *quotaState {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.open[name]
	if st == nil {
		st = &quotaState{key: name}
		u.open[name] = st
	}
	st.refs++
	return st
}

// release drops a reference to st.
func (u *QuotaUsage) release(st *quotaState) {
	u.mu.Lock()
	st.refs--
	last := st.refs == 0
	detached := st.detached
	if last && !detached && u.open[st.key] == st {
		delete(u.open, st.key)
	}
	u.mu.Unlock()
	if last && detached {
		st.mu.Lock()
		u.addBytes(-st.reserved)
		st.size, st.reserved = 0, 0
		st.mu.Unlock()
	}
}

// detachLocked marks the state of name, if any, as no longer reachable by
// name. It reports whether there was one. u.mu must be held.
func (u *QuotaUsage) detachLocked(name string) bool {
	st := u.open[name]
	if st == nil {
		return false
	}
	st.detached = true
	delete(u.open, name)
	return true
}

// tracked reports whether name is open for writing.
func (u *QuotaUsage) tracked(name string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.open[name] != nil
}

// quotaReserve adds n > 0 to c unless that would exceed limit (0: none).
func quotaReserve(c *atomic.Int64, n, limit int64) bool {
	for {
		cur := c.Load()
		if limit > 0 && cur+n > limit {
			return false
		}
		if c.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// quotaAdd adds n to c, never going below zero.
func quotaAdd(c *atomic.Int64, n int64) {
	for {
		cur := c.Load()
		if c.CompareAndSwap(cur, max(cur+n, 0)) {
			return
		}
	}
}

func (u *QuotaUsage) addBytes(n int64) { quotaAdd(&u.bytes, n) }
func (u *QuotaUsage) addFiles(n int64) { quotaAdd(&u.files, n) }

type quotaFs struct {
	decoLinkFs
	q Quota
	u *QuotaUsage
}

func quotaErr(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: ErrQuotaExceeded}
}

// Name returns "Quotas(" and the wrapped Fs's name.
func (q *quotaFs) Name() string { return "Quotas(" + q.Fs.Name() + ")" }

// Create creates or truncates name; see OpenFile.
func (q *quotaFs) Create(name string) (afero.File, error) {
	return q.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens name; opens with write intent are tracked.
func (q *quotaFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if !decoWriteIntent(flag) {
		return q.Fs.OpenFile(name, flag, perm)
	}
	st := q.u.acquire(name)
	st.io.Lock()
	f, err := q.open(st, name, flag, perm)
	st.io.Unlock()
	if err != nil {
		q.u.release(st)
		return nil, err
	}
	return &quotaFile{File: f, fsys: q, st: st, name: name, appends: flag&os.O_APPEND != 0}, nil
}

// open opens name for writing with st.io held exclusively, and brings st
// and the usage up to date.
func (q *quotaFs) open(st *quotaState, name string, flag int, perm os.FileMode) (afero.File, error) {
	// Copy what is needed at once: the FileInfo of some backends
	// (afero.MemMapFs) is a live view of the file.
	fi, err := q.Fs.Stat(name)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var oldSize int64
	if exists {
		oldSize = fi.Size()
	}
	created := false
	var f afero.File
	if flag&os.O_CREATE != 0 && !exists {
		if !quotaReserve(&q.u.files, 1, q.q.MaxFiles) {
			return nil, quotaErr("open", name)
		}
		f, err = q.Fs.OpenFile(name, flag|os.O_EXCL, perm)
		created = err == nil
		if err != nil {
			q.u.addFiles(-1)
			if flag&os.O_EXCL != 0 || !errors.Is(err, fs.ErrExist) {
				return nil, err
			}
			// Created by someone else meanwhile: open it as it is.
			if fi, err = q.Fs.Stat(name); err == nil {
				exists, oldSize = true, fi.Size()
			}
		}
	}
	if f == nil {
		f, err = q.Fs.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case created:
		st.size = 0
	case st.known:
		// Other handles keep the size current.
	case exists:
		st.size = oldSize
		if flag&os.O_TRUNC == 0 {
			if ffi, err := f.Stat(); err == nil {
				st.size = ffi.Size()
			}
		}
	default:
		st.size = 0
	}
	if flag&os.O_TRUNC != 0 && st.size > 0 {
		q.u.addBytes(-st.size)
		st.size = 0
	}
	st.reserved, st.known = st.size, true
	return f, nil
}

// Remove removes name and releases its usage.
func (q *quotaFs) Remove(name string) error {
	e := q.entry(name)
	if err := q.Fs.Remove(name); err != nil {
		return err
	}
	q.forget(name, e)
	return nil
}

// quotaEntry is what the accounting needs to know of a directory entry.
type quotaEntry struct {
	file    bool  // exists and is not a directory
	regular bool  // a regular file
	size    int64 // of a regular file
}

// entry describes name, not following a final symbolic link if possible.
func (q *quotaFs) entry(name string) quotaEntry {
	fi, err := decoLstat(q.Fs, name)
	if err != nil || fi.IsDir() {
		return quotaEntry{}
	}
	e := quotaEntry{file: true, regular: fi.Mode().IsRegular()}
	if e.regular {
		e.size = fi.Size()
	}
	return e
}

// forget releases the usage of e, formerly at name.
func (q *quotaFs) forget(name string, e quotaEntry) {
	if !e.file {
		return
	}
	q.u.addFiles(-1)
	q.u.mu.Lock()
	open := q.u.detachLocked(name)
	q.u.mu.Unlock()
	if !open {
		q.u.addBytes(-e.size)
	}
}

// RemoveAll removes name and everything below it and releases their usage.
func (q *quotaFs) RemoveAll(name string) error {
	beforeBytes, beforeFiles := q.measure(name)
	err := q.Fs.RemoveAll(name)
	afterBytes, afterFiles := q.measure(name)
	q.u.addBytes(afterBytes - beforeBytes)
	q.u.addFiles(afterFiles - beforeFiles)
	// Files open for writing: their bytes go at their last close.
	q.u.mu.Lock()
	var gone []string
	for key := range q.u.open {
		if key == name || strings.HasPrefix(key, strings.TrimSuffix(name, "/")+"/") {
			gone = append(gone, key)
		}
	}
	q.u.mu.Unlock()
	for _, key := range gone {
		if _, err := decoLstat(q.Fs, key); errors.Is(err, fs.ErrNotExist) {
			q.u.mu.Lock()
			q.u.detachLocked(key)
			q.u.mu.Unlock()
		}
	}
	return err
}

// measure returns the bytes of the regular files not open for writing and
// the number of non-directories at or below name.
func (q *quotaFs) measure(name string) (bytes, files int64) {
	afero.Walk(q.Fs, name, func(p string, fi fs.FileInfo, err error) error {
		if err != nil || fi == nil {
			return nil
		}
		if !fi.IsDir() {
			files++
			if fi.Mode().IsRegular() && !q.u.tracked(p) {
				bytes += fi.Size()
			}
		}
		return nil
	})
	return bytes, files
}

// Rename renames oldname to newname, releasing the usage of a file it
// replaces.
func (q *quotaFs) Rename(oldname, newname string) error {
	replaced := q.entry(newname)
	if err := q.Fs.Rename(oldname, newname); err != nil {
		return err
	}
	if oldname == newname {
		return nil
	}
	q.forget(newname, replaced)
	// Files open for writing keep being tracked under their new names.
	q.u.mu.Lock()
	defer q.u.mu.Unlock()
	moved := make(map[string]*quotaState)
	prefix := oldname + "/"
	for key, st := range q.u.open {
		switch {
		case key == oldname:
			moved[newname] = st
		case strings.HasPrefix(key, prefix):
			moved[newname+key[len(oldname):]] = st
		default:
			continue
		}
		delete(q.u.open, key)
	}
	for to, st := range moved {
		q.u.detachLocked(to)
		st.key = to
		q.u.open[to] = st
	}
	return nil
}

// SymlinkIfPossible creates newname as a symbolic link, counted as a file.
func (q *quotaFs) SymlinkIfPossible(oldname, newname string) error {
	if !quotaReserve(&q.u.files, 1, q.q.MaxFiles) {
		return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: ErrQuotaExceeded}
	}
	if err := q.decoLinkFs.SymlinkIfPossible(oldname, newname); err != nil {
		q.u.addFiles(-1)
		return err
	}
	return nil
}

// quotaFile is a file open for writing whose growth is charged to the
// quota.
type quotaFile struct {
	afero.File
	fsys    *quotaFs
	st      *quotaState
	name    string
	appends bool // O_APPEND: Write goes to the end of the file
	closed  atomic.Bool
}

func (f *quotaFile) unwrapFile() afero.File { return f.File }

// Abort forwards to the wrapped file.
func (f *quotaFile) Abort(err error) { decoAbort(f.File, err) }

// charge reserves the growth needed for the file to reach end and counts
// a write in flight. The caller holds st.io.
func (f *quotaFile) charge(op string, end int64) error {
	st := f.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if grow := end - st.reserved; grow > 0 {
		if !quotaReserve(&f.fsys.u.bytes, grow, f.fsys.q.MaxBytes) {
			return quotaErr(op, f.name)
		}
		st.reserved = end
	}
	st.pending++
	return nil
}

// settle records a write in flight that wrote n bytes at off, and gives
// back the reservations not used once no write is in flight.
func (f *quotaFile) settle(off int64, n int) {
	st := f.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if end := off + int64(n); n > 0 && end > st.size {
		st.size = end
	}
	st.pending--
	if st.pending == 0 && st.reserved > st.size {
		f.fsys.u.addBytes(st.size - st.reserved)
		st.reserved = st.size
	}
}

// WriteAt writes p at off once the growth it causes is reserved.
func (f *quotaFile) WriteAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	if len(p) == 0 || off < 0 || end < off {
		return f.File.WriteAt(p, off)
	}
	f.st.io.RLock()
	defer f.st.io.RUnlock()
	if err := f.charge("write", end); err != nil {
		return 0, err
	}
	n, err := f.File.WriteAt(p, off)
	f.settle(off, n)
	return n, err
}

// Write writes p at the file offset, or at the end with O_APPEND, once the
// growth it causes is reserved.
func (f *quotaFile) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return f.File.Write(p)
	}
	var off int64
	if f.appends {
		f.st.io.Lock()
		defer f.st.io.Unlock()
		f.st.mu.Lock()
		off = f.st.size
		f.st.mu.Unlock()
	} else {
		f.st.io.RLock()
		defer f.st.io.RUnlock()
		var err error
		if off, err = f.File.Seek(0, io.SeekCurrent); err != nil {
			return 0, err
		}
	}
	if err := f.charge("write", off+int64(len(p))); err != nil {
		return 0, err
	}
	n, err := f.File.Write(p)
	f.settle(off, n)
	return n, err
}

// WriteString is Write of s.
func (f *quotaFile) WriteString(s string) (int, error) {
	return f.Write([]byte(s))
}

// Truncate changes the size of the file, reserving growth or releasing
// what it frees.
func (f *quotaFile) Truncate(size int64) error {
	if size < 0 {
		return f.File.Truncate(size)
	}
	st := f.st
	st.io.Lock()
	defer st.io.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	// No write is in flight: reserved == size.
	delta := size - st.size
	if delta > 0 && !quotaReserve(&f.fsys.u.bytes, delta, f.fsys.q.MaxBytes) {
		return quotaErr("truncate", f.name)
	}
	if err := f.File.Truncate(size); err != nil {
		if delta > 0 {
			f.fsys.u.addBytes(-delta)
		}
		return err
	}
	if delta < 0 {
		f.fsys.u.addBytes(delta)
	}
	st.size, st.reserved = size, size
	return nil
}

// Close closes the file and drops its hold on the accounting.
func (f *quotaFile) Close() error {
	err := f.File.Close()
	if f.closed.CompareAndSwap(false, true) {
		f.fsys.u.release(f.st)
	}
	return err
}

// Interface checks.
var (
	_ afero.Fs        = (*quotaFs)(nil)
	_ afero.Symlinker = (*quotaFs)(nil)
	_ afero.File      = (*quotaFile)(nil)
	_ Aborter         = (*quotaFile)(nil)
	_ decoUnwrapper   = (*quotaFile)(nil)
)
