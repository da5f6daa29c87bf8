package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/afero"
)

// This file implements ssh_delete_delay (SPEC §14): a REMOVE of a file is
// answered at once and performed later by a server-scoped scheduler.
//
// Keeping the session's filesystem usable after the session ended is done by
// shared ownership, not by reopening: [DelayedDelete] takes ownership of the
// filesystem it wraps, the session holds one reference (released by Close of
// the returned Fs) and every pending delete holds one more. The wrapped Fs is
// closed when the last reference goes. A delete therefore runs through the
// very os.Root handle the session was jailed with: it can never act outside
// that jail, even if the home directory on the host is renamed or replaced
// in the meantime, and no host path has to be remembered.

// DeleteOutcome says what became of a delayed delete; see [DeleteResult].
type DeleteOutcome string

// Outcomes of a delayed delete (SPEC DEL-04, DEL-06, DEL-08; EVT-06).
const (
	// DeleteDone: the file was removed (event DeleteSucceeded).
	DeleteDone DeleteOutcome = "deleted"
	// DeleteFailed: the file could not be removed, for example because it
	// was already gone; DeleteResult.Err says why (event DeleteFailed).
	DeleteFailed DeleteOutcome = "failed"
	// DeleteSkippedReplaced: the path referred to a different file when the
	// delay ran out than when the delete was requested (a re-upload), so
	// nothing was removed (event DeleteSkipped{reason: "replaced"}).
	DeleteSkippedReplaced DeleteOutcome = "skipped-replaced"
	// DeleteDropped: the scheduler was closed (a hard stop) before the
	// delay ran out; nothing was removed. DeleteResult.Err is
	// [ErrDeleteDropped].
	DeleteDropped DeleteOutcome = "dropped"
)

// ErrDeleteDropped is the error of a [DeleteResult] whose delete was dropped
// by [DeleteScheduler.Close].
var ErrDeleteDropped = errors.New("vfs: delayed delete dropped: scheduler closed")

// DeleteResult reports one delayed delete to
// [DeleteSchedulerOptions.OnResult].
type DeleteResult struct {
	// Key is the key given to DelayedDelete: the account that asked.
	Key string
	// Path is the virtual path of the file.
	Path string
	// Outcome says what happened.
	Outcome DeleteOutcome
	// Err is the cause when Outcome is DeleteFailed or DeleteDropped, and
	// nil otherwise. It names virtual paths only when the wrapped Fs does
	// (as RootFs does).
	Err error
	// Delayed is always true: the result of a delayed delete is only ever
	// logged, never sent to the client (EVT-06).
	Delayed bool
	// Requested is when Remove was called; At is when the outcome was
	// decided. Both come from DeleteSchedulerOptions.Now.
	Requested, At time.Time
}

// DeleteSchedulerOptions configures a [DeleteScheduler]. The zero value uses
// real time and reports nothing.
type DeleteSchedulerOptions struct {
	// Now returns the current time, for DeleteResult's timestamps. Nil
	// means time.Now.
	Now func() time.Time
	// AfterFunc arranges for f to run once, in its own goroutine, after d,
	// and returns a function that cancels it, reporting whether it did (as
	// time.AfterFunc and (*time.Timer).Stop do). It must not call f before
	// returning. Nil means time.AfterFunc. Tests inject a fake clock here.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// OnResult, if not nil, is called exactly once for every delete that
	// was scheduled (a de-duplicated second Remove, DEL-07, is not a new
	// delete): when it ran, was skipped, failed, or was dropped by Close.
	// It runs in the timer's goroutine, or in the goroutine calling Flush
	// or Close, possibly concurrently with other calls, and with no lock
	// held, so it may call the scheduler's methods. It must return quickly
	// (hand the result to a logger or a channel with room): a slow OnResult
	// delays Flush and Close, which wait for it.
	OnResult func(DeleteResult)
}

// DeleteScheduler runs the deletes that [DelayedDelete] postpones. It is
// server-scoped: pending deletes survive the session that asked for them
// (SPEC DEL-06). Create one per server with [NewDeleteScheduler]; on
// graceful shutdown, once the sessions have ended, call [DeleteScheduler.Flush]
// and then [DeleteScheduler.Close]; on a hard stop call only Close.
//
// A DeleteScheduler is safe for concurrent use.
type DeleteScheduler struct {
	now       func() time.Time
	afterFunc func(time.Duration, func()) func() bool
	onResult  func(DeleteResult)

	mu      sync.Mutex
	seq     uint64
	pending map[delayKey]*scheduledDelete
	running map[*scheduledDelete]struct{} // claimed by a timer or Flush, not yet reported
	closed  bool
}

// NewDeleteScheduler returns a scheduler configured by opt.
func NewDeleteScheduler(opt DeleteSchedulerOptions) *DeleteScheduler {
	s := &DeleteScheduler{
		now:       opt.Now,
		afterFunc: opt.AfterFunc,
		onResult:  opt.OnResult,
		pending:   make(map[delayKey]*scheduledDelete),
		running:   make(map[*scheduledDelete]struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.afterFunc == nil {
		s.afterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	return s
}

// Pending returns the number of deletes waiting for their delay to run out.
// Deletes being executed at the moment are not counted.
func (s *DeleteScheduler) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Flush runs every pending delete now, in the order they were requested,
// with the same checks as when their delay runs out (SPEC DEL-06, graceful
// shutdown), and waits until those and any delete already running have been
// reported to OnResult. Deletes requested after Flush started are scheduled
// as usual. Flush on a closed scheduler does nothing.
func (s *DeleteScheduler) Flush() {
	s.mu.Lock()
	batch := s.takePending(true)
	waits := s.runningDone()
	s.mu.Unlock()
	for _, e := range batch {
		s.run(e)
	}
	for _, w := range waits {
		<-w
	}
}

// Close stops the scheduler: pending deletes are dropped, not performed
// (SPEC DEL-06, hard stop), and each is reported with outcome
// [DeleteDropped]. Close waits for deletes that are already running. After
// Close, a Remove through a filesystem returned by [DelayedDelete] is
// performed synchronously, as with no delay, so a closed scheduler never
// answers success for a delete that will not happen. Close is idempotent.
func (s *DeleteScheduler) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	batch := s.takePending(false)
	waits := s.runningDone()
	s.mu.Unlock()
	for _, e := range batch {
		e.ref.release()
		s.report(e, DeleteDropped, ErrDeleteDropped)
	}
	for _, w := range waits {
		<-w
	}
}

// delayKey identifies a pending delete for DEL-07 de-duplication.
type delayKey struct{ key, path string }

// scheduledDelete is one scheduled delete.
type scheduledDelete struct {
	k         delayKey
	seq       uint64
	ref       *delayRef // one reference held until the delete is reported
	requested time.Time
	id        delayIdentity // at request time, if err is nil
	err       error         // Lstat error at request time
	stop      func() bool
	done      chan struct{} // closed once reported
}

// takePending removes every pending delete, cancelling its timer, and
// returns them in request order; if running, they are marked as running.
// s.mu must be held.
func (s *DeleteScheduler) takePending(running bool) []*scheduledDelete {
	batch := make([]*scheduledDelete, 0, len(s.pending))
	for k, e := range s.pending {
		delete(s.pending, k)
		e.stop()
		if running {
			s.running[e] = struct{}{}
		}
		batch = append(batch, e)
	}
	slices.SortFunc(batch, func(a, b *scheduledDelete) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	return batch
}

// runningDone returns the done channels of the running deletes. s.mu must be
// held.
func (s *DeleteScheduler) runningDone() []chan struct{} {
	waits := make([]chan struct{}, 0, len(s.running))
	for e := range s.running {
		waits = append(waits, e.done)
	}
	return waits
}

// schedule registers a delete of name through d. It reports false, doing
// nothing, if the scheduler is closed. A second delete of the same key and
// path while one is pending is absorbed (DEL-07).
func (s *DeleteScheduler) schedule(d *delayFs, name string, fi fs.FileInfo, lerr error) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, nil
	}
	k := delayKey{key: d.key, path: name}
	if _, ok := s.pending[k]; ok {
		return true, nil
	}
	if !d.ref.acquire() {
		return true, delayClosedErr("remove", name)
	}
	s.seq++
	e := &scheduledDelete{
		k:         k,
		seq:       s.seq,
		ref:       d.ref,
		requested: s.now(),
		err:       lerr,
		done:      make(chan struct{}),
	}
	if lerr == nil {
		e.id = delayIdentify(fi)
	}
	s.pending[k] = e
	e.stop = s.afterFunc(d.delay, func() { s.fire(e) })
	return true, nil
}

// fire runs e when its timer expires, unless Flush or Close took it first.
func (s *DeleteScheduler) fire(e *scheduledDelete) {
	s.mu.Lock()
	if s.pending[e.k] != e {
		s.mu.Unlock()
		return
	}
	delete(s.pending, e.k)
	s.running[e] = struct{}{}
	s.mu.Unlock()
	s.run(e)
}

// run performs a claimed delete, releases its filesystem reference and
// reports it.
func (s *DeleteScheduler) run(e *scheduledDelete) {
	defer func() {
		s.mu.Lock()
		delete(s.running, e)
		s.mu.Unlock()
		close(e.done)
	}()
	outcome, err := e.execute()
	e.ref.release()
	s.report(e, outcome, err)
}

func (s *DeleteScheduler) report(e *scheduledDelete, outcome DeleteOutcome, err error) {
	if s.onResult == nil {
		return
	}
	s.onResult(DeleteResult{
		Key:       e.k.key,
		Path:      e.k.path,
		Outcome:   outcome,
		Err:       err,
		Delayed:   true,
		Requested: e.requested,
		At:        s.now(),
	})
}

// execute checks that the path still names the file seen at request time
// (DEL-08) and removes it. A backend panic becomes a failure, so that it
// cannot bring the server down from a timer goroutine.
func (e *scheduledDelete) execute() (outcome DeleteOutcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			outcome, err = DeleteFailed, fmt.Errorf("vfs: delayed delete of %s panicked: %v", e.k.path, r)
		}
	}()
	if e.err != nil {
		// Missing (or unreadable) at request time: nothing was identified,
		// so nothing may be deleted, even if a file appeared since.
		return DeleteFailed, e.err
	}
	fsys := e.ref.fs
	fi, err := delayLstat(fsys, e.k.path)
	if err != nil {
		return DeleteFailed, err
	}
	if delayIdentify(fi) != e.id {
		return DeleteSkippedReplaced, nil
	}
	// A replacement between this Lstat and Remove is not detected: afero
	// offers no conditional unlink.
	if err := fsys.Remove(e.k.path); err != nil {
		return DeleteFailed, err
	}
	return DeleteDone, nil
}

// delayIdentity is what DEL-08 compares: the file type, size and
// modification time, and device and inode number where the backend exposes
// them. Size and mtime are compared even when the inode is known, because a
// re-upload that truncates the existing file keeps its inode.
type delayIdentity struct {
	typ      fs.FileMode
	size     int64
	mtime    int64 // Unix nanoseconds
	hasInode bool
	dev, ino uint64
}

func delayIdentify(fi fs.FileInfo) delayIdentity {
	id := delayIdentity{typ: fi.Mode().Type(), size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st != nil {
		id.hasInode, id.dev, id.ino = true, uint64(st.Dev), uint64(st.Ino)
	}
	return id
}

// lstat describes name without following a final symbolic link when fsys
// can, and follows it otherwise.
func delayLstat(fsys afero.Fs, name string) (fs.FileInfo, error) {
	if l, ok := fsys.(afero.Lstater); ok {
		fi, _, err := l.LstatIfPossible(name)
		return fi, err
	}
	return fsys.Stat(name)
}

// delayRef is a reference-counted filesystem: closed, if it is an io.Closer,
// when the last reference is released.
type delayRef struct {
	fs   afero.Fs
	mu   sync.Mutex
	refs int
}

// acquire adds a reference, unless the last one is already gone.
func (r *delayRef) acquire() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refs == 0 {
		return false
	}
	r.refs++
	return true
}

// release drops a reference and closes the filesystem if it was the last.
func (r *delayRef) release() error {
	r.mu.Lock()
	r.refs--
	last := r.refs == 0
	r.mu.Unlock()
	if c, ok := r.fs.(io.Closer); ok && last {
		return c.Close()
	}
	return nil
}

// RemoveDelayer is implemented by the filesystems [DelayedDelete] returns.
// RemoveDelay reports the delay after which a Remove of a file takes effect.
// An SFTP layer uses it to keep its own checks from reporting what the
// delayed delete deliberately does not (SPEC 14(d)): with a delay, a missing
// file must not turn into an error before Remove is called, and the delete
// event comes from [DeleteSchedulerOptions.OnResult], not from the request.
type RemoveDelayer interface {
	RemoveDelay() time.Duration
}

// DelayedDelete returns a filesystem that behaves like fsys except that
// Remove of anything but a directory (a regular file, a symbolic link, ...)
// answers nil at once and is performed by s after delay (SPEC DEL-03,
// DEL-04). If delay <= 0 it returns fsys itself (DEL-02). s must not be nil
// when delay > 0.
//
// Remove first Lstats the name. A directory is removed at once, with the
// usual errors, so RMDIR is never delayed (DEL-05); RemoveAll is never
// delayed either. An Lstat error wrapping [fs.ErrPermission] or
// [fs.ErrInvalid] is a refusal by the jail ([ErrEscapesRoot], a
// non-canonical name, host permissions) and is returned at once (DEL-03).
// Any other error, such as a missing file, is not returned (SPEC 14(d)): the
// delete is still scheduled and reported as [DeleteFailed] with that error
// when the delay runs out, and it never deletes a file that appeared in the
// meantime. Open handles do not hold a delete back where the platform can
// unlink open files (DEL-09).
//
// When the delay runs out the name is Lstat-ed again, and if it no longer
// refers to the same file (device and inode when the FileInfo's Sys is a
// *syscall.Stat_t, and in any case type, size and modification time), the
// delete is skipped with [DeleteSkippedReplaced] (DEL-08). So writing to the
// file, re-uploading it or touching its times after the delete was requested
// cancels the delete.
//
// key identifies the account for [DeleteResult] and for de-duplication: a
// second Remove of the same key and path while the first is pending answers
// nil and schedules nothing (DEL-07). Filesystems wrapped with the same key
// must therefore serve the same tree.
//
// DelayedDelete takes ownership of fsys. Close the returned filesystem
// instead of fsys: it implements [io.Closer] and closes fsys (if fsys is an
// io.Closer) once it has been closed and no delete through it is pending,
// so that deletes still run, inside the same jail, after the session ended
// (DEL-06). Every method of the returned filesystem fails with an error
// wrapping [fs.ErrClosed] after Close. After [DeleteScheduler.Close], Remove
// is performed synchronously.
//
// The returned filesystem implements [RemoveDelayer], and implements
// [afero.Lstater] or [afero.Symlinker] when fsys does.
func DelayedDelete(fsys afero.Fs, s *DeleteScheduler, delay time.Duration, key string) afero.Fs {
	if delay <= 0 {
		return fsys
	}
	if s == nil {
		panic("vfs: DelayedDelete with a nil *DeleteScheduler")
	}
	d := &delayFs{fs: fsys, ref: &delayRef{fs: fsys, refs: 1}, s: s, delay: delay, key: key}
	switch fsys.(type) {
	case afero.Symlinker:
		return &delaySymlinkFs{delayLstatFs{d}}
	case afero.Lstater:
		return &delayLstatFs{d}
	}
	return d
}

// delayFs is the filesystem DelayedDelete returns.
type delayFs struct {
	fs     afero.Fs
	ref    *delayRef
	s      *DeleteScheduler
	delay  time.Duration
	key    string
	closed atomic.Bool
}

func delayClosedErr(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: fs.ErrClosed}
}

// Close releases the session's reference to the wrapped filesystem, which is
// closed now or, if deletes through it are pending, after the last of them.
// Only the first call has an effect.
func (d *delayFs) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	return d.ref.release()
}

// RemoveDelay returns the delay given to DelayedDelete.
func (d *delayFs) RemoveDelay() time.Duration { return d.delay }

// Name returns "DelayedDelete".
func (d *delayFs) Name() string { return "DelayedDelete" }

// Remove removes a directory at once and schedules the removal of anything
// else; see DelayedDelete.
func (d *delayFs) Remove(name string) error {
	const op = "remove"
	if d.closed.Load() {
		return delayClosedErr(op, name)
	}
	fi, err := delayLstat(d.fs, name)
	switch {
	case err == nil && fi.IsDir():
		return d.fs.Remove(name)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrInvalid):
		return &fs.PathError{Op: op, Path: name, Err: cause(err)}
	}
	scheduled, serr := d.s.schedule(d, name, fi, err)
	if !scheduled {
		return d.fs.Remove(name)
	}
	return serr
}

// RemoveAll removes name and everything below it at once; it is never
// delayed.
func (d *delayFs) RemoveAll(name string) error {
	if d.closed.Load() {
		return delayClosedErr("removeall", name)
	}
	return d.fs.RemoveAll(name)
}

// Create calls the wrapped filesystem's Create.
func (d *delayFs) Create(name string) (afero.File, error) {
	if d.closed.Load() {
		return nil, delayClosedErr("open", name)
	}
	return d.fs.Create(name)
}

// Mkdir calls the wrapped filesystem's Mkdir.
func (d *delayFs) Mkdir(name string, perm os.FileMode) error {
	if d.closed.Load() {
		return delayClosedErr("mkdir", name)
	}
	return d.fs.Mkdir(name, perm)
}

// MkdirAll calls the wrapped filesystem's MkdirAll.
func (d *delayFs) MkdirAll(name string, perm os.FileMode) error {
	if d.closed.Load() {
		return delayClosedErr("mkdir", name)
	}
	return d.fs.MkdirAll(name, perm)
}

// Open calls the wrapped filesystem's Open.
func (d *delayFs) Open(name string) (afero.File, error) {
	if d.closed.Load() {
		return nil, delayClosedErr("open", name)
	}
	return d.fs.Open(name)
}

// OpenFile calls the wrapped filesystem's OpenFile.
func (d *delayFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if d.closed.Load() {
		return nil, delayClosedErr("open", name)
	}
	return d.fs.OpenFile(name, flag, perm)
}

// Rename calls the wrapped filesystem's Rename.
func (d *delayFs) Rename(oldname, newname string) error {
	if d.closed.Load() {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrClosed}
	}
	return d.fs.Rename(oldname, newname)
}

// Stat calls the wrapped filesystem's Stat.
func (d *delayFs) Stat(name string) (os.FileInfo, error) {
	if d.closed.Load() {
		return nil, delayClosedErr("stat", name)
	}
	return d.fs.Stat(name)
}

// Chmod calls the wrapped filesystem's Chmod.
func (d *delayFs) Chmod(name string, mode os.FileMode) error {
	if d.closed.Load() {
		return delayClosedErr("chmod", name)
	}
	return d.fs.Chmod(name, mode)
}

// Chown calls the wrapped filesystem's Chown.
func (d *delayFs) Chown(name string, uid, gid int) error {
	if d.closed.Load() {
		return delayClosedErr("chown", name)
	}
	return d.fs.Chown(name, uid, gid)
}

// Chtimes calls the wrapped filesystem's Chtimes.
func (d *delayFs) Chtimes(name string, atime, mtime time.Time) error {
	if d.closed.Load() {
		return delayClosedErr("chtimes", name)
	}
	return d.fs.Chtimes(name, atime, mtime)
}

// delayLstatFs is a delayFs over an afero.Lstater.
type delayLstatFs struct{ *delayFs }

// LstatIfPossible calls the wrapped filesystem's LstatIfPossible.
func (d *delayLstatFs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	if d.closed.Load() {
		return nil, true, delayClosedErr("lstat", name)
	}
	return d.fs.(afero.Lstater).LstatIfPossible(name)
}

// delaySymlinkFs is a delayFs over an afero.Symlinker.
type delaySymlinkFs struct{ delayLstatFs }

// SymlinkIfPossible calls the wrapped filesystem's SymlinkIfPossible.
func (d *delaySymlinkFs) SymlinkIfPossible(oldname, newname string) error {
	if d.closed.Load() {
		return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: fs.ErrClosed}
	}
	return d.fs.(afero.Linker).SymlinkIfPossible(oldname, newname)
}

// ReadlinkIfPossible calls the wrapped filesystem's ReadlinkIfPossible.
func (d *delaySymlinkFs) ReadlinkIfPossible(name string) (string, error) {
	if d.closed.Load() {
		return "", delayClosedErr("readlink", name)
	}
	return d.fs.(afero.LinkReader).ReadlinkIfPossible(name)
}

// Interface checks.
var (
	_ afero.Fs        = (*delayFs)(nil)
	_ io.Closer       = (*delayFs)(nil)
	_ RemoveDelayer   = (*delayFs)(nil)
	_ afero.Lstater   = (*delayLstatFs)(nil)
	_ afero.Symlinker = (*delaySymlinkFs)(nil)
)
