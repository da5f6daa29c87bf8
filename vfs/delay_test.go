package vfs_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/vfs"
	"github.com/sftpkit/sftpkit/vfs/vfstest"
)

// Tests of ssh_delete_delay (SPEC §14), named after the DEL IDs. Time is a
// fake clock: timers fire only when a test advances it.

const ddDelay = 30 * time.Second

// ddClock is a fake clock whose timers fire, in the goroutine calling
// Advance, when it is advanced past their deadline.
type ddClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*ddTimer
}

type ddTimer struct {
	when time.Time
	f    func()
	done bool // fired or stopped
}

func newDDClock() *ddClock {
	return &ddClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *ddClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *ddClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &ddTimer{when: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.done {
			return false
		}
		t.done = true
		return true
	}
}

// Advance moves the clock forward and runs the timers that became due.
func (c *ddClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.done && !t.when.After(c.now) {
			t.done = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// Active returns the number of timers neither fired nor stopped.
func (c *ddClock) Active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

// ddEnv is a scheduler on a fake clock that records its results.
type ddEnv struct {
	clock *ddClock
	s     *vfs.DeleteScheduler
	mu    sync.Mutex
	res   []vfs.DeleteResult
}

func newDDEnv(t *testing.T) *ddEnv {
	t.Helper()
	e := &ddEnv{clock: newDDClock()}
	e.s = vfs.NewDeleteScheduler(vfs.DeleteSchedulerOptions{
		Now:       e.clock.Now,
		AfterFunc: e.clock.AfterFunc,
		OnResult: func(r vfs.DeleteResult) {
			e.mu.Lock()
			e.res = append(e.res, r)
			e.mu.Unlock()
		},
	})
	t.Cleanup(e.s.Close)
	return e
}

func (e *ddEnv) results() []vfs.DeleteResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.res)
}

// wrap returns fsys with delayed deletes for account key, closed at the end
// of the test unless the test closed it.
func (e *ddEnv) wrap(t *testing.T, fsys afero.Fs, key string) afero.Fs {
	t.Helper()
	w := vfs.DelayedDelete(fsys, e.s, ddDelay, key)
	t.Cleanup(func() { w.(io.Closer).Close() })
	return w
}

// oneResult fails the test unless exactly one result was reported, and
// returns it.
func (e *ddEnv) oneResult(t *testing.T) vfs.DeleteResult {
	t.Helper()
	res := e.results()
	if len(res) != 1 {
		t.Fatalf("got %d results %+v; want 1", len(res), res)
	}
	return res[0]
}

// ddRoot returns a RootFs over dir. The test does not close it: ownership
// passes to DelayedDelete.
func ddRoot(t *testing.T, dir string, opts ...vfs.RootOption) *vfs.RootFs {
	t.Helper()
	r, err := vfs.NewRootFs(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ddWrite(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ddExists(t *testing.T, dir, name string) bool {
	t.Helper()
	_, err := os.Lstat(filepath.Join(dir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// DEL-02: no delay means no wrapper: Remove is synchronous and its errors
// reach the caller.
func TestDelayedDelete_DEL02_ZeroDelay(t *testing.T) {
	mem := afero.NewMemMapFs()
	for _, d := range []time.Duration{0, -time.Second} {
		if got := vfs.DelayedDelete(mem, nil, d, "alice"); got != afero.Fs(mem) {
			t.Errorf("DelayedDelete(delay %v) = %T; want the Fs itself", d, got)
		}
	}
	if err := vfs.DelayedDelete(mem, nil, 0, "alice").Remove("/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove(missing) = %v; want fs.ErrNotExist", err)
	}
}

func TestDelayedDelete_NilScheduler(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("DelayedDelete(delay > 0, nil scheduler) did not panic")
		}
	}()
	vfs.DelayedDelete(afero.NewMemMapFs(), nil, time.Second, "alice")
}

// DEL-03: the client is answered at once, without an existence check, and
// the file stays until the timer fires; the jail's refusals are still
// returned synchronously.
func TestDelayedDelete_DEL03_AnsweredAtOnce(t *testing.T) {
	e := newDDEnv(t)
	base := t.TempDir()
	home, outside := filepath.Join(base, "home"), filepath.Join(base, "outside")
	for _, d := range []string{home, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ddWrite(t, home, "f", "data")
	ddWrite(t, outside, "secret", "keep")
	if err := os.Symlink(outside, filepath.Join(home, "out")); err != nil {
		t.Fatal(err)
	}
	fsys := e.wrap(t, ddRoot(t, home), "alice")

	if err := fsys.Remove("/f"); err != nil {
		t.Fatalf("Remove(/f) = %v; want nil at once", err)
	}
	if _, err := fsys.Stat("/f"); err != nil {
		t.Errorf("Stat(/f) within the delay = %v; want the file still there", err)
	}
	// 14(d): no existence check before answering.
	if err := fsys.Remove("/missing"); err != nil {
		t.Errorf("Remove(/missing) = %v; want nil", err)
	}
	if n := e.s.Pending(); n != 2 {
		t.Errorf("Pending() = %d; want 2", n)
	}

	// Refusals by the jail are not deferred.
	refusals := []struct {
		name string
		want error
	}{
		{"/a/../f", fs.ErrInvalid},
		{"f", fs.ErrInvalid},
		{"/out/secret", vfs.ErrEscapesRoot},
	}
	for _, r := range refusals {
		err := fsys.Remove(r.name)
		if !errors.Is(err, r.want) {
			t.Errorf("Remove(%q) = %v; want %v", r.name, err, r.want)
		}
		if err != nil && strings.Contains(err.Error(), base) {
			t.Errorf("Remove(%q) error %q names the host directory", r.name, err)
		}
	}
	if n := e.s.Pending(); n != 2 {
		t.Errorf("Pending() after refusals = %d; want 2", n)
	}
	if len(e.results()) != 0 {
		t.Errorf("results before the delay ran out: %+v", e.results())
	}
	e.clock.Advance(ddDelay)
	if !ddExists(t, outside, "secret") {
		t.Error("the file outside the jail was deleted")
	}
}

// DEL-04: the delete runs when the delay has run out, and its outcome is
// reported, marked delayed; failures are reported, never returned.
func TestDelayedDelete_DEL04_RunsAfterDelay(t *testing.T) {
	t.Run("Deleted", func(t *testing.T) {
		e := newDDEnv(t)
		home := t.TempDir()
		ddWrite(t, home, "f", "data")
		fsys := e.wrap(t, ddRoot(t, home), "alice")
		start := e.clock.Now()
		if err := fsys.Remove("/f"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(ddDelay - time.Nanosecond)
		if !ddExists(t, home, "f") || len(e.results()) != 0 {
			t.Fatal("the delete ran before the delay ran out")
		}
		e.clock.Advance(time.Nanosecond)
		if ddExists(t, home, "f") {
			t.Fatal("the file still exists after the delay")
		}
		want := vfs.DeleteResult{Key: "alice", Path: "/f", Outcome: vfs.DeleteDone, Delayed: true,
			Requested: start, At: start.Add(ddDelay)}
		if got := e.oneResult(t); got != want {
			t.Errorf("result = %+v; want %+v", got, want)
		}
		if n := e.s.Pending(); n != 0 {
			t.Errorf("Pending() = %d; want 0", n)
		}
	})

	failures := []struct {
		name  string
		setup func(t *testing.T, home string) // between the request and the timer
	}{
		{"MissingAtRequest", func(t *testing.T, home string) {}},
		{"GoneBeforeTimer", func(t *testing.T, home string) {
			if err := os.Remove(filepath.Join(home, "f")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			e := newDDEnv(t)
			home := t.TempDir()
			if tc.name != "MissingAtRequest" {
				ddWrite(t, home, "f", "data")
			}
			fsys := e.wrap(t, ddRoot(t, home), "alice")
			if err := fsys.Remove("/f"); err != nil {
				t.Fatalf("Remove = %v; want nil", err)
			}
			tc.setup(t, home)
			e.clock.Advance(ddDelay)
			r := e.oneResult(t)
			if r.Outcome != vfs.DeleteFailed || !r.Delayed || r.Path != "/f" || !errors.Is(r.Err, fs.ErrNotExist) {
				t.Errorf("result = %+v; want failed, delayed, fs.ErrNotExist", r)
			}
			if strings.Contains(r.Err.Error(), home) {
				t.Errorf("result error %q names the host directory", r.Err)
			}
		})
	}

	// A file that did not exist when the delete was asked for is not the
	// file the client meant: it is never deleted.
	t.Run("AppearedAfterRequest", func(t *testing.T) {
		e := newDDEnv(t)
		home := t.TempDir()
		fsys := e.wrap(t, ddRoot(t, home), "alice")
		if err := fsys.Remove("/late"); err != nil {
			t.Fatal(err)
		}
		ddWrite(t, home, "late", "new upload")
		e.clock.Advance(ddDelay)
		if r := e.oneResult(t); r.Outcome != vfs.DeleteFailed || !errors.Is(r.Err, fs.ErrNotExist) {
			t.Errorf("result = %+v; want failed with fs.ErrNotExist", r)
		}
		if !ddExists(t, home, "late") {
			t.Error("a file uploaded after the request was deleted")
		}
	})
}

// DEL-05: directories (RMDIR) and RemoveAll are never delayed.
func TestDelayedDelete_DEL05_DirectoriesNotDelayed(t *testing.T) {
	e := newDDEnv(t)
	home := t.TempDir()
	for _, d := range []string{"empty", "full", "tree/sub"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ddWrite(t, home, "full/x", "x")
	ddWrite(t, home, "tree/sub/y", "y")
	fsys := e.wrap(t, ddRoot(t, home), "alice")

	if err := fsys.Remove("/empty"); err != nil {
		t.Errorf("Remove(empty dir) = %v", err)
	}
	if ddExists(t, home, "empty") {
		t.Error("the empty directory was not removed at once")
	}
	if err := fsys.Remove("/full"); !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
		t.Errorf("Remove(non-empty dir) = %v; want ENOTEMPTY at once", err)
	}
	if err := fsys.RemoveAll("/tree"); err != nil {
		t.Errorf("RemoveAll = %v", err)
	}
	if ddExists(t, home, "tree") {
		t.Error("RemoveAll was delayed")
	}
	if n := e.s.Pending(); n != 0 {
		t.Errorf("Pending() = %d; want 0", n)
	}
	rd, ok := fsys.(vfs.RemoveDelayer)
	if !ok || rd.RemoveDelay() != ddDelay {
		t.Errorf("RemoveDelayer = %v; want RemoveDelay() = %v", ok, ddDelay)
	}
}

// ddCloser counts how often the session's filesystem is closed.
type ddCloser struct {
	afero.Fs
	closes atomic.Int32
}

func (c *ddCloser) Close() error {
	c.closes.Add(1)
	return nil
}

// DEL-06: pending deletes are server-scoped: they outlive the session's
// filesystem, which stays open (and jailed) until the last of them ran.
func TestDelayedDelete_DEL06_SurvivesSession(t *testing.T) {
	t.Run("RootFsClosedBeforeTimer", func(t *testing.T) {
		e := newDDEnv(t)
		home := t.TempDir()
		ddWrite(t, home, "f", "data")
		root := ddRoot(t, home)
		fsys := vfs.DelayedDelete(root, e.s, ddDelay, "alice")
		if err := fsys.Remove("/f"); err != nil {
			t.Fatal(err)
		}
		if err := fsys.(io.Closer).Close(); err != nil { // the session ends
			t.Fatal(err)
		}
		if _, err := fsys.Stat("/f"); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("Stat after Close = %v; want fs.ErrClosed", err)
		}
		if err := fsys.Remove("/f"); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("Remove after Close = %v; want fs.ErrClosed", err)
		}
		e.clock.Advance(ddDelay)
		if r := e.oneResult(t); r.Outcome != vfs.DeleteDone {
			t.Fatalf("result = %+v; want deleted", r)
		}
		if ddExists(t, home, "f") {
			t.Error("the file was not deleted after the session ended")
		}
		if _, err := root.Stat("/"); err == nil {
			t.Error("the RootFs is still open after the last pending delete ran")
		}
	})

	// The delete runs through the session's os.Root: it acts on the
	// directory the session was jailed in, even if the host path now names
	// another directory, and a symbolic link planted since cannot lead it
	// out of the jail.
	t.Run("StaysInJail", func(t *testing.T) {
		e := newDDEnv(t)
		base := t.TempDir()
		home, moved, outside := filepath.Join(base, "home"), filepath.Join(base, "moved"), filepath.Join(base, "outside")
		for _, d := range []string{filepath.Join(home, "sub"), outside} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		ddWrite(t, home, "f", "data")
		ddWrite(t, home, "sub/g", "data")
		ddWrite(t, outside, "g", "data") // same size and name as sub/g
		fsys := vfs.DelayedDelete(ddRoot(t, home), e.s, ddDelay, "alice")
		for _, n := range []string{"/f", "/sub/g"} {
			if err := fsys.Remove(n); err != nil {
				t.Fatal(err)
			}
		}
		fsys.(io.Closer).Close()
		// On the host: the home is moved away, a new one takes its path,
		// and sub becomes a link to outside.
		if err := os.Rename(home, moved); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(home, 0o755); err != nil {
			t.Fatal(err)
		}
		ddWrite(t, home, "f", "data")
		if err := os.RemoveAll(filepath.Join(moved, "sub")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(moved, "sub")); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(ddDelay)

		res := e.results()
		if len(res) != 2 || res[0].Outcome != vfs.DeleteDone || res[1].Outcome != vfs.DeleteFailed ||
			!errors.Is(res[1].Err, vfs.ErrEscapesRoot) {
			t.Fatalf("results = %+v; want /f deleted, /sub/g failed with ErrEscapesRoot", res)
		}
		if ddExists(t, moved, "f") {
			t.Error("the file in the session's jail was not deleted")
		}
		if !ddExists(t, home, "f") {
			t.Error("the file now at the home's host path was deleted")
		}
		if !ddExists(t, outside, "g") {
			t.Error("the delete left the jail")
		}
	})

	t.Run("Ownership", func(t *testing.T) {
		e := newDDEnv(t)
		newFs := func() (*ddCloser, afero.Fs) {
			c := &ddCloser{Fs: afero.NewMemMapFs()}
			if err := afero.WriteFile(c, "/f", []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			return c, vfs.DelayedDelete(c, e.s, ddDelay, fmt.Sprintf("%p", c))
		}
		// Nothing pending: Close closes at once, once.
		c, fsys := newFs()
		fsys.(io.Closer).Close()
		fsys.(io.Closer).Close()
		if n := c.closes.Load(); n != 1 {
			t.Errorf("closes without a pending delete = %d; want 1", n)
		}
		// Pending: closed when the delete ran.
		c, fsys = newFs()
		fsys.Remove("/f")
		fsys.(io.Closer).Close()
		if n := c.closes.Load(); n != 0 {
			t.Errorf("closed while a delete is pending")
		}
		e.clock.Advance(ddDelay)
		if n := c.closes.Load(); n != 1 {
			t.Errorf("closes after the delete ran = %d; want 1", n)
		}
		// Pending, session still open: the delete does not close it.
		c, fsys = newFs()
		fsys.Remove("/f")
		e.clock.Advance(ddDelay)
		if n := c.closes.Load(); n != 0 {
			t.Errorf("closed by the delete while the session is open")
		}
		fsys.(io.Closer).Close()
		if n := c.closes.Load(); n != 1 {
			t.Errorf("closes after the session ended = %d; want 1", n)
		}
		// Dropped by a hard stop: released too.
		c, fsys = newFs()
		fsys.Remove("/f")
		fsys.(io.Closer).Close()
		e.s.Close()
		if n := c.closes.Load(); n != 1 {
			t.Errorf("closes after the scheduler dropped the delete = %d; want 1", n)
		}
	})

	// Graceful shutdown: Flush runs every pending delete now.
	t.Run("Flush", func(t *testing.T) {
		e := newDDEnv(t)
		home := t.TempDir()
		for _, n := range []string{"a", "b", "c"} {
			ddWrite(t, home, n, n)
		}
		alice := e.wrap(t, ddRoot(t, home), "alice")
		bob := e.wrap(t, ddRoot(t, home), "bob")
		alice.Remove("/c")
		bob.Remove("/a")
		e.clock.Advance(time.Second)
		alice.Remove("/b")
		alice.(io.Closer).Close()
		e.s.Flush()
		for _, n := range []string{"a", "b", "c"} {
			if ddExists(t, home, n) {
				t.Errorf("%s still exists after Flush", n)
			}
		}
		res := e.results()
		var got []string
		for _, r := range res {
			if r.Outcome != vfs.DeleteDone {
				t.Errorf("result %+v; want deleted", r)
			}
			got = append(got, r.Key+":"+r.Path)
		}
		if want := []string{"alice:/c", "bob:/a", "alice:/b"}; !slices.Equal(got, want) {
			t.Errorf("Flush order = %v; want request order %v", got, want)
		}
		if n, a := e.s.Pending(), e.clock.Active(); n != 0 || a != 0 {
			t.Errorf("after Flush: Pending() = %d, active timers = %d; want 0, 0", n, a)
		}
		e.clock.Advance(ddDelay)
		if n := len(e.results()); n != 3 {
			t.Errorf("results after the timers' time = %d; want still 3", n)
		}
		e.s.Flush() // nothing pending: returns
		// Deletes requested after a Flush are scheduled as usual.
		ddWrite(t, home, "d", "d")
		bob.Remove("/d")
		if n := e.s.Pending(); n != 1 || !ddExists(t, home, "d") {
			t.Errorf("Pending() = %d after Flush; want 1 with the file still there", n)
		}
	})

	// Hard stop: Close drops pending deletes and reports them.
	t.Run("Close", func(t *testing.T) {
		e := newDDEnv(t)
		home := t.TempDir()
		for _, n := range []string{"f", "g"} {
			ddWrite(t, home, n, n)
		}
		fsys := e.wrap(t, ddRoot(t, home), "alice")
		fsys.Remove("/f")
		e.s.Close()
		if !ddExists(t, home, "f") {
			t.Error("Close performed a pending delete")
		}
		r := e.oneResult(t)
		if r.Outcome != vfs.DeleteDropped || !errors.Is(r.Err, vfs.ErrDeleteDropped) || !r.Delayed {
			t.Errorf("result = %+v; want dropped", r)
		}
		if n, a := e.s.Pending(), e.clock.Active(); n != 0 || a != 0 {
			t.Errorf("after Close: Pending() = %d, active timers = %d; want 0, 0", n, a)
		}
		e.clock.Advance(ddDelay)
		e.s.Flush()
		e.s.Close()
		if !ddExists(t, home, "f") || len(e.results()) != 1 {
			t.Error("a dropped delete ran or was reported twice")
		}
		// After Close, Remove is synchronous.
		if err := fsys.Remove("/g"); err != nil || ddExists(t, home, "g") {
			t.Errorf("Remove after Close = %v (file exists: %v); want a synchronous delete", err, ddExists(t, home, "g"))
		}
		if err := fsys.Remove("/missing"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Remove(missing) after Close = %v; want fs.ErrNotExist", err)
		}
	})
}

// DEL-07: a second Remove of a pending path is answered OK and starts no
// second timer.
func TestDelayedDelete_DEL07_Duplicate(t *testing.T) {
	e := newDDEnv(t)
	home := t.TempDir()
	ddWrite(t, home, "f", "data")
	fsys := e.wrap(t, ddRoot(t, home), "alice")
	other := e.wrap(t, ddRoot(t, home), "alice") // a second session of the account
	for _, f := range []afero.Fs{fsys, fsys, other} {
		if err := f.Remove("/f"); err != nil {
			t.Fatalf("Remove = %v; want nil", err)
		}
	}
	if n, a := e.s.Pending(), e.clock.Active(); n != 1 || a != 1 {
		t.Errorf("Pending() = %d, timers = %d; want 1, 1", n, a)
	}
	e.clock.Advance(ddDelay)
	if r := e.oneResult(t); r.Outcome != vfs.DeleteDone {
		t.Errorf("result = %+v; want deleted", r)
	}
	// Once it ran, a new Remove is a new delete.
	fsys.Remove("/f")
	if n := e.s.Pending(); n != 1 {
		t.Errorf("Pending() after the first delete ran = %d; want 1", n)
	}
}

// DEL-08: if the path names another file when the timer fires, the delete
// is skipped.
func TestDelayedDelete_DEL08_ReplacementGuard(t *testing.T) {
	mtime := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		replace func(t *testing.T, fsys afero.Fs, home string) // after the request
	}{
		{"TruncatedReupload", func(t *testing.T, fsys afero.Fs, home string) {
			// Same inode, new content.
			f, err := fsys.OpenFile("/f", os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("new and longer content"))
			f.Close()
		}},
		{"Touched", func(t *testing.T, fsys afero.Fs, home string) {
			if err := fsys.Chtimes("/f", mtime, mtime.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}},
		{"RenamedOverSameSizeAndTime", func(t *testing.T, fsys afero.Fs, home string) {
			// Only the inode differs.
			if err := afero.WriteFile(fsys, "/tmp", []byte("BBBB"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := fsys.Chtimes("/tmp", mtime, mtime); err != nil {
				t.Fatal(err)
			}
			if err := fsys.Rename("/tmp", "/f"); err != nil {
				t.Fatal(err)
			}
		}},
		{"ReplacedByDirectory", func(t *testing.T, fsys afero.Fs, home string) {
			if err := os.Remove(filepath.Join(home, "f")); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(home, "f"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newDDEnv(t)
			home := t.TempDir()
			ddWrite(t, home, "f", "AAAA")
			if err := os.Chtimes(filepath.Join(home, "f"), mtime, mtime); err != nil {
				t.Fatal(err)
			}
			fsys := e.wrap(t, ddRoot(t, home), "alice")
			if fi, _ := fsys.Stat("/f"); fi != nil {
				if _, ok := fi.Sys().(*syscall.Stat_t); !ok {
					t.Skip("no device/inode on this platform")
				}
			}
			if err := fsys.Remove("/f"); err != nil {
				t.Fatal(err)
			}
			tc.replace(t, fsys, home)
			e.clock.Advance(ddDelay)
			if r := e.oneResult(t); r.Outcome != vfs.DeleteSkippedReplaced || r.Err != nil || !r.Delayed {
				t.Errorf("result = %+v; want skipped-replaced", r)
			}
			if !ddExists(t, home, "f") {
				t.Error("the replacement was deleted")
			}
		})
	}

	// Without device and inode (afero.MemMapFs), size and modification
	// time decide.
	t.Run("SizeAndTimeOnly", func(t *testing.T) {
		e := newDDEnv(t)
		mem := afero.NewMemMapFs()
		for _, n := range []string{"/same", "/changed"} {
			if err := afero.WriteFile(mem, n, []byte("AAAA"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fsys := e.wrap(t, mem, "alice")
		fsys.Remove("/same")
		fsys.Remove("/changed")
		if err := afero.WriteFile(fsys, "/changed", []byte("BBBBBB"), 0o644); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(ddDelay)
		got := map[string]vfs.DeleteOutcome{}
		for _, r := range e.results() {
			got[r.Path] = r.Outcome
		}
		if got["/same"] != vfs.DeleteDone || got["/changed"] != vfs.DeleteSkippedReplaced {
			t.Errorf("outcomes = %v; want /same deleted, /changed skipped-replaced", got)
		}
		if _, err := mem.Stat("/changed"); err != nil {
			t.Error("the replacement was deleted")
		}
	})
}

// DEL-09: an open handle (the Azure Data Factory case: delete before the
// download is closed) does not hold the delete back.
func TestDelayedDelete_DEL09_OpenHandle(t *testing.T) {
	e := newDDEnv(t)
	home := t.TempDir()
	ddWrite(t, home, "f", "payload")
	fsys := e.wrap(t, ddRoot(t, home), "alice")
	f, err := fsys.Open("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 3)
	if _, err := io.ReadFull(f, buf); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("/f"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(ddDelay)
	if r := e.oneResult(t); r.Outcome != vfs.DeleteDone {
		t.Fatalf("result = %+v; want deleted", r)
	}
	if ddExists(t, home, "f") {
		t.Error("the open file was not deleted")
	}
	rest, err := io.ReadAll(f)
	if err != nil || string(rest) != "load" {
		t.Errorf("reading on after the delete = %q, %v; want %q", rest, err, "load")
	}
}

// A symbolic link is delayed like a file, and deleting it leaves its target.
func TestDelayedDelete_Symlink(t *testing.T) {
	e := newDDEnv(t)
	home := t.TempDir()
	ddWrite(t, home, "target", "data")
	fsys := e.wrap(t, ddRoot(t, home, vfs.AllowSymlinks()), "alice")
	sl, ok := fsys.(afero.Symlinker)
	if !ok {
		t.Fatalf("%T does not implement afero.Symlinker", fsys)
	}
	if err := sl.SymlinkIfPossible("/target", "/link"); err != nil {
		t.Fatal(err)
	}
	if got, err := sl.ReadlinkIfPossible("/link"); err != nil || got != "target" {
		t.Errorf("ReadlinkIfPossible = %q, %v", got, err)
	}
	if err := fsys.Remove("/link"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sl.LstatIfPossible("/link"); err != nil {
		t.Errorf("the link is gone before the delay: %v", err)
	}
	e.clock.Advance(ddDelay)
	if r := e.oneResult(t); r.Outcome != vfs.DeleteDone {
		t.Fatalf("result = %+v; want deleted", r)
	}
	if ddExists(t, home, "link") || !ddExists(t, home, "target") {
		t.Error("want the link deleted and its target kept")
	}
}

// Many sessions remove many files concurrently while the clock runs and
// the scheduler is flushed: every file is deleted exactly once.
func TestDelayedDelete_Concurrent(t *testing.T) {
	e := newDDEnv(t)
	home := t.TempDir()
	const files, workers = 40, 8
	for i := range files {
		ddWrite(t, home, fmt.Sprintf("f%d", i), "x")
	}
	var wg sync.WaitGroup
	for w := range workers {
		fsys := e.wrap(t, ddRoot(t, home), fmt.Sprintf("acct%d", w%2))
		wg.Go(func() {
			for i := range files {
				if err := fsys.Remove(fmt.Sprintf("/f%d", (i+w*5)%files)); err != nil {
					t.Errorf("Remove = %v", err)
				}
				_ = e.s.Pending()
			}
		})
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				e.clock.Advance(ddDelay / 3)
			}
		}
	})
	bg.Go(func() {
		for range 5 {
			e.s.Flush()
		}
	})
	wg.Wait()
	close(stop)
	bg.Wait()
	e.s.Flush()

	if n := e.s.Pending(); n != 0 {
		t.Errorf("Pending() after Flush = %d", n)
	}
	deleted := map[string]int{}
	for _, r := range e.results() {
		switch {
		case r.Outcome == vfs.DeleteDone:
			deleted[r.Path]++
		case r.Outcome == vfs.DeleteFailed && errors.Is(r.Err, fs.ErrNotExist):
		default:
			t.Errorf("unexpected result %+v", r)
		}
	}
	for i := range files {
		name := fmt.Sprintf("f%d", i)
		if ddExists(t, home, name) {
			t.Errorf("%s still exists", name)
		}
		if n := deleted["/"+name]; n != 1 {
			t.Errorf("%s deleted %d times; want 1", name, n)
		}
	}
}

// With the default options the scheduler uses real timers.
func TestDeleteScheduler_RealTimers(t *testing.T) {
	results := make(chan vfs.DeleteResult, 1)
	s := vfs.NewDeleteScheduler(vfs.DeleteSchedulerOptions{OnResult: func(r vfs.DeleteResult) { results <- r }})
	defer s.Close()
	home := t.TempDir()
	ddWrite(t, home, "f", "x")
	fsys := vfs.DelayedDelete(ddRoot(t, home), s, 10*time.Millisecond, "alice")
	defer fsys.(io.Closer).Close()
	if err := fsys.Remove("/f"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-results:
		if r.Outcome != vfs.DeleteDone || r.At.Before(r.Requested.Add(10*time.Millisecond)) {
			t.Errorf("result = %+v; want deleted after the delay", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the delete never ran")
	}
	if ddExists(t, home, "f") {
		t.Error("the file still exists")
	}
}

// ddPanicFs panics on Remove.
type ddPanicFs struct{ afero.Fs }

func (ddPanicFs) Remove(string) error { panic("backend bug") }

// A backend that panics while the timer runs a delete does not bring the
// server down: the delete is reported as failed.
func TestDelayedDelete_BackendPanic(t *testing.T) {
	e := newDDEnv(t)
	mem := afero.NewMemMapFs()
	afero.WriteFile(mem, "/f", []byte("x"), 0o644)
	fsys := e.wrap(t, ddPanicFs{mem}, "alice")
	if err := fsys.Remove("/f"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(ddDelay)
	if r := e.oneResult(t); r.Outcome != vfs.DeleteFailed || r.Err == nil {
		t.Errorf("result = %+v; want failed", r)
	}
}

// The wrapper exposes the optional interfaces its backend has, and fails
// every method after Close.
func TestDelayedDelete_Wrapper(t *testing.T) {
	e := newDDEnv(t)
	backends := []struct {
		name               string
		fs                 afero.Fs
		lstater, symlinker bool
	}{
		{"RootFs", ddRoot(t, t.TempDir()), true, true},
		{"MemMapFs", afero.NewMemMapFs(), true, false},
		{"Plain", struct{ afero.Fs }{afero.NewMemMapFs()}, false, false},
	}
	for _, b := range backends {
		fsys := vfs.DelayedDelete(b.fs, e.s, ddDelay, "alice")
		_, l := fsys.(afero.Lstater)
		_, s := fsys.(afero.Symlinker)
		_, c := fsys.(io.Closer)
		_, d := fsys.(vfs.RemoveDelayer)
		if l != b.lstater || s != b.symlinker || !c || !d {
			t.Errorf("%s: Lstater %v, Symlinker %v, Closer %v, RemoveDelayer %v; want %v, %v, true, true",
				b.name, l, s, c, d, b.lstater, b.symlinker)
		}
		if err := fsys.(io.Closer).Close(); err != nil {
			t.Errorf("%s: Close = %v", b.name, err)
		}
	}

	fsys := vfs.DelayedDelete(ddRoot(t, t.TempDir(), vfs.AllowSymlinks()), e.s, ddDelay, "alice")
	fsys.(io.Closer).Close()
	sl := fsys.(afero.Symlinker)
	now := time.Now()
	calls := map[string]func() error{
		"Create":   func() error { _, err := fsys.Create("/x"); return err },
		"Mkdir":    func() error { return fsys.Mkdir("/x", 0o755) },
		"MkdirAll": func() error { return fsys.MkdirAll("/x", 0o755) },
		"Open":     func() error { _, err := fsys.Open("/"); return err },
		"OpenFile": func() error { _, err := fsys.OpenFile("/", os.O_RDONLY, 0); return err },
		"Remove":   func() error { return fsys.Remove("/x") },
		"RemoveAll": func() error {
			return fsys.RemoveAll("/x")
		},
		"Rename":             func() error { return fsys.Rename("/x", "/y") },
		"Stat":               func() error { _, err := fsys.Stat("/"); return err },
		"Chmod":              func() error { return fsys.Chmod("/", 0o755) },
		"Chown":              func() error { return fsys.Chown("/", 0, 0) },
		"Chtimes":            func() error { return fsys.Chtimes("/", now, now) },
		"LstatIfPossible":    func() error { _, _, err := sl.LstatIfPossible("/"); return err },
		"SymlinkIfPossible":  func() error { return sl.SymlinkIfPossible("/a", "/b") },
		"ReadlinkIfPossible": func() error { _, err := sl.ReadlinkIfPossible("/b"); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s after Close = %v; want fs.ErrClosed", name, err)
		}
	}
	if fsys.Name() == "" {
		t.Error("Name() is empty")
	}
}

// Apart from Remove of a file, the wrapper behaves like its backend.
func TestDelayedDelete_Conformance(t *testing.T) {
	e := newDDEnv(t)
	vfstest.TestFsOpts(t, func(t *testing.T) afero.Fs {
		return e.wrap(t, ddRoot(t, t.TempDir()), "alice")
	}, vfstest.Options{
		// Delayed by design: Remove of a file answers nil and acts later.
		Skip: []string{"Remove/File", "Remove/Missing"},
	})
}

func ExampleDelayedDelete() {
	home, err := os.MkdirTemp("", "home")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(home)

	// One scheduler per server; it reports each delete when it ran.
	sched := vfs.NewDeleteScheduler(vfs.DeleteSchedulerOptions{
		OnResult: func(r vfs.DeleteResult) {
			fmt.Println("delete", r.Path, r.Outcome, "delayed:", r.Delayed)
		},
	})
	defer sched.Close()

	// Per session: the session's filesystem, with the account's delay.
	root, err := vfs.NewRootFs(home)
	if err != nil {
		log.Fatal(err)
	}
	fsys := vfs.DelayedDelete(root, sched, time.Minute, "alice")
	defer fsys.(io.Closer).Close() // closes root once no delete is pending

	afero.WriteFile(fsys, "/report.csv", []byte("a,b\n"), 0o644)
	fmt.Println("remove:", fsys.Remove("/report.csv"))
	_, err = fsys.Stat("/report.csv")
	fmt.Println("still there:", err == nil)

	// Graceful shutdown: run what is pending now.
	sched.Flush()
	_, err = fsys.Stat("/report.csv")
	fmt.Println("gone:", errors.Is(err, fs.ErrNotExist))
	// Output:
	// remove: <nil>
	// still there: true
	// delete /report.csv deleted delayed: true
	// gone: true
}
