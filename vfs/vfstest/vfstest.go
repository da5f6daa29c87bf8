// Package vfstest implements a conformance suite for the afero.Fs backends
// that sftpkit serves files from, in the spirit of testing/fstest.
//
// A backend's test calls [TestFs] with a constructor returning a fresh,
// empty filesystem:
//
//	func TestMyFs(t *testing.T) {
//		vfstest.TestFs(t, func(t *testing.T) afero.Fs { return newMyFs(t) })
//	}
//
// The suite only uses clean, absolute, '/'-separated names ("/", "/a/b"),
// the form sftpkit hands to every backend, and only behaviour an SFTP
// server relies on: POSIX-like open flags, positional reads and writes from
// parallel workers, paged directory listings, rename replacing an existing
// file, and io/fs error sentinels usable with errors.Is.
package vfstest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
)

// Options switches off parts of the suite for backends with a known,
// documented defect. The zero value runs everything; a backend meant for
// production should need no option.
type Options struct {
	// SkipParallelWrite skips the test that issues WriteAt from several
	// goroutines on one file (afero.MemMapFs v1.15.0 shares one file offset
	// between WriteAt calls and corrupts data).
	SkipParallelWrite bool
	// Skip lists further subtests to skip, by the name given to t.Run
	// (for example "Remove/NonEmptyDir"). Name the defect next to the list.
	Skip []string
}

// TestFs runs the conformance suite against the filesystems returned by
// newFs (a fresh empty Fs per call).
func TestFs(t *testing.T, newFs func(t *testing.T) afero.Fs) {
	t.Helper()
	TestFsOpts(t, newFs, Options{})
}

// TestFsOpts is [TestFs] with options that skip parts of the suite. Each
// subtest gets its own filesystem from newFs.
func TestFsOpts(t *testing.T, newFs func(t *testing.T) afero.Fs, opts Options) {
	t.Helper()
	tests := []struct {
		name string
		skip string // reason, if skipped
		fn   func(t *testing.T, fsys afero.Fs)
	}{
		{name: "CreateWriteRead", fn: testCreateWriteRead},
		{name: "OpenFile/CreateExclExisting", fn: testOpenFileExcl},
		{name: "OpenFile/Trunc", fn: testOpenFileTrunc},
		{name: "OpenFile/ReadWrite", fn: testOpenFileReadWrite},
		{name: "OpenFile/MissingWithoutCreate", fn: testOpenMissing},
		{name: "WriteAtReadAt", fn: testWriteAtReadAt},
		{name: "ReadAt/PastEnd", fn: testReadAtPastEnd},
		{name: "WriteAtSparse", fn: testWriteAtSparse},
		{name: "WriteAtParallel", fn: testWriteAtParallel, skip: skipIf(opts.SkipParallelWrite, "Options.SkipParallelWrite")},
		{name: "Stat/File", fn: testStatFile},
		{name: "Stat/Dir", fn: testStatDir},
		{name: "Stat/Missing", fn: testStatMissing},
		{name: "Mkdir/Existing", fn: testMkdirExisting},
		{name: "MkdirAll", fn: testMkdirAll},
		{name: "MkdirAll/BelowFile", fn: testMkdirAllBelowFile},
		{name: "Readdir/Paged", fn: testReaddirPaged},
		{name: "Readdir/All", fn: testReaddirAll},
		{name: "Readdirnames", fn: testReaddirnames},
		{name: "Remove/File", fn: testRemoveFile},
		{name: "Remove/EmptyDir", fn: testRemoveEmptyDir},
		{name: "Remove/NonEmptyDir", fn: testRemoveNonEmptyDir},
		{name: "Remove/Missing", fn: testRemoveMissing},
		{name: "RemoveAll", fn: testRemoveAll},
		{name: "Rename/File", fn: testRenameFile},
		{name: "Rename/Dir", fn: testRenameDir},
		{name: "Rename/OverExistingFile", fn: testRenameOverExisting},
		{name: "Rename/Missing", fn: testRenameMissing},
		{name: "Chmod", fn: testChmod},
		{name: "Chtimes", fn: testChtimes},
		{name: "Truncate", fn: testTruncate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip("skipped by " + tc.skip)
			}
			if slices.Contains(opts.Skip, tc.name) {
				t.Skip("skipped by Options.Skip")
			}
			fsys := newFs(t)
			if fsys == nil {
				t.Fatal("newFs returned nil")
			}
			tc.fn(t, fsys)
		})
	}
}

func skipIf(cond bool, reason string) string {
	if cond {
		return reason
	}
	return ""
}

// writeFile creates name with data, failing the test on any error.
func writeFile(t *testing.T, fsys afero.Fs, name string, data []byte) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatalf("OpenFile(%q, create): %v", name, err)
	}
	if n, err := f.Write(data); err != nil || n != len(data) {
		f.Close()
		t.Fatalf("Write(%q) = %d, %v; want %d, nil", name, n, err, len(data))
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close(%q): %v", name, err)
	}
}

// readFile returns the content of name, failing the test on any error.
func readFile(t *testing.T, fsys afero.Fs, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("ReadAll(%q): %v", name, err)
	}
	return data
}

// mkdir creates the directory name, failing the test on any error.
func mkdir(t *testing.T, fsys afero.Fs, name string) {
	t.Helper()
	if err := fsys.Mkdir(name, 0o755); err != nil {
		t.Fatalf("Mkdir(%q): %v", name, err)
	}
}

// wantContent fails the test unless name holds want.
func wantContent(t *testing.T, fsys afero.Fs, name string, want []byte) {
	t.Helper()
	if got := readFile(t, fsys, name); !bytes.Equal(got, want) {
		t.Fatalf("content of %q = %q; want %q", name, clip(got), clip(want))
	}
}

// wantMissing fails the test unless Stat(name) reports fs.ErrNotExist.
func wantMissing(t *testing.T, fsys afero.Fs, name string) {
	t.Helper()
	if _, err := fsys.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat(%q) error = %v; want fs.ErrNotExist", name, err)
	}
}

// readAt reads exactly n bytes at off; io.EOF is accepted only with a full
// read, as io.ReaderAt allows.
func readAt(t *testing.T, f afero.File, off int64, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if got != n || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt(len %d, off %d) = %d, %v; want %d, nil", n, off, got, err, n)
	}
	return buf
}

func clip(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "..."...)
	}
	return b
}

func testCreateWriteRead(t *testing.T, fsys afero.Fs) {
	f, err := fsys.Create("/hello.txt")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := f.Name(); got != "/hello.txt" {
		t.Errorf("Name() = %q; want %q", got, "/hello.txt")
	}
	if n, err := f.WriteString("hello, "); err != nil || n != 7 {
		t.Fatalf("WriteString = %d, %v", n, err)
	}
	if n, err := f.Write([]byte("world")); err != nil || n != 5 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantContent(t, fsys, "/hello.txt", []byte("hello, world"))

	// Create truncates an existing file.
	f, err = fsys.Create("/hello.txt")
	if err != nil {
		t.Fatalf("Create again: %v", err)
	}
	f.Close()
	wantContent(t, fsys, "/hello.txt", nil)
}

func testOpenFileExcl(t *testing.T, fsys afero.Fs) {
	const name = "/excl"
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatalf("OpenFile(O_CREATE|O_EXCL) on new name: %v", err)
	}
	f.Write([]byte("first"))
	f.Close()

	f, err = fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		f.Close()
		t.Fatal("OpenFile(O_CREATE|O_EXCL) on existing file succeeded")
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("OpenFile(O_CREATE|O_EXCL) error = %v; want fs.ErrExist", err)
	}
	wantContent(t, fsys, name, []byte("first"))
}

func testOpenFileTrunc(t *testing.T, fsys afero.Fs) {
	const name = "/trunc"
	writeFile(t, fsys, name, []byte("some old content"))
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatalf("OpenFile(O_TRUNC): %v", err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 0 {
		t.Errorf("Stat after O_TRUNC = %v, %v; want size 0", fi, err)
	}
	f.Write([]byte("new"))
	f.Close()
	wantContent(t, fsys, name, []byte("new"))

	// Without O_TRUNC the content is kept and overwritten in place.
	f, err = fsys.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("OpenFile(O_WRONLY): %v", err)
	}
	f.Write([]byte("N"))
	f.Close()
	wantContent(t, fsys, name, []byte("New"))
}

func testOpenFileReadWrite(t *testing.T, fsys afero.Fs) {
	f, err := fsys.OpenFile("/rw", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("OpenFile(O_RDWR|O_CREATE): %v", err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("abcdef")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if got := readAt(t, f, 2, 4); string(got) != "cdef" {
		t.Errorf("ReadAt after Write = %q; want %q", got, "cdef")
	}
	if off, err := f.Seek(0, io.SeekStart); err != nil || off != 0 {
		t.Fatalf("Seek = %d, %v", off, err)
	}
	got, err := io.ReadAll(f)
	if err != nil || string(got) != "abcdef" {
		t.Errorf("ReadAll after Seek = %q, %v; want %q", got, err, "abcdef")
	}
	// Writing over the middle keeps the rest.
	if _, err := f.WriteAt([]byte("XY"), 1); err != nil {
		t.Fatalf("WriteAt: %v", err)
	}
	if got := readAt(t, f, 0, 6); string(got) != "aXYdef" {
		t.Errorf("ReadAt after WriteAt = %q; want %q", got, "aXYdef")
	}
}

func testOpenMissing(t *testing.T, fsys afero.Fs) {
	for _, flag := range []int{os.O_RDONLY, os.O_WRONLY, os.O_RDWR} {
		f, err := fsys.OpenFile("/missing", flag, 0)
		if err == nil {
			f.Close()
			t.Fatalf("OpenFile(missing, %#x) succeeded", flag)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("OpenFile(missing, %#x) error = %v; want fs.ErrNotExist", flag, err)
		}
	}
	wantMissing(t, fsys, "/missing")
}

func testWriteAtReadAt(t *testing.T, fsys afero.Fs) {
	f, err := fsys.OpenFile("/at", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	defer f.Close()
	// Out of order, as parallel SFTP workers deliver them.
	if n, err := f.WriteAt([]byte("world"), 6); err != nil || n != 5 {
		t.Fatalf("WriteAt(6) = %d, %v", n, err)
	}
	if n, err := f.WriteAt([]byte("hello "), 0); err != nil || n != 6 {
		t.Fatalf("WriteAt(0) = %d, %v", n, err)
	}
	if got := readAt(t, f, 3, 5); string(got) != "lo wo" {
		t.Errorf("ReadAt(3, 5) = %q; want %q", got, "lo wo")
	}
	if got := readAt(t, f, 0, 11); string(got) != "hello world" {
		t.Errorf("ReadAt(0, 11) = %q; want %q", got, "hello world")
	}
	f.Close()
	wantContent(t, fsys, "/at", []byte("hello world"))
}

// testReadAtPastEnd checks the io.ReaderAt contract at the end of a file:
// an SFTP server turns io.EOF into SSH_FX_EOF, and clients reading ahead
// ask for offsets beyond the end.
func testReadAtPastEnd(t *testing.T, fsys afero.Fs) {
	writeFile(t, fsys, "/f", []byte("hello world"))
	f, err := fsys.Open("/f")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 10)
	n, err := f.ReadAt(buf, 8)
	if n != 3 || err != io.EOF || string(buf[:n]) != "rld" {
		t.Errorf("ReadAt across the end = %d, %v, %q; want 3, io.EOF, %q", n, err, buf[:n], "rld")
	}
	for _, off := range []int64{11, 12, 1 << 20} {
		if n, err := f.ReadAt(buf, off); n != 0 || err != io.EOF {
			t.Errorf("ReadAt(off %d) beyond end = %d, %v; want 0, io.EOF", off, n, err)
		}
	}
}

func testWriteAtSparse(t *testing.T, fsys afero.Fs) {
	f, err := fsys.OpenFile("/sparse", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	defer f.Close()
	const off = 70000
	if _, err := f.WriteAt([]byte("end"), off); err != nil {
		t.Fatalf("WriteAt(%d): %v", off, err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if fi.Size() != off+3 {
		t.Errorf("Size = %d; want %d", fi.Size(), off+3)
	}
	gap := readAt(t, f, 0, off)
	if i := bytes.IndexFunc(gap, func(r rune) bool { return r != 0 }); i >= 0 {
		t.Errorf("gap byte %d = %#x; want 0", i, gap[i])
	}
	if got := readAt(t, f, off, 3); string(got) != "end" {
		t.Errorf("ReadAt(%d) = %q; want %q", off, got, "end")
	}
}

func testWriteAtParallel(t *testing.T, fsys afero.Fs) {
	const (
		workers = 8
		chunk   = 4096
		rounds  = 16 // chunks per worker
		size    = workers * chunk * rounds
	)
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i*7 + i/chunk)
	}
	f, err := fsys.OpenFile("/parallel", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	defer f.Close()

	// Worker w writes chunks w, w+workers, ... from the end backwards, so
	// the writes interleave and arrive out of order.
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for r := rounds - 1; r >= 0; r-- {
				off := int64((r*workers + w) * chunk)
				n, err := f.WriteAt(want[off:off+chunk], off)
				if err == nil && n != chunk {
					err = io.ErrShortWrite
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d: WriteAt(%d): %w", w, off, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	// Read it back in parallel too.
	got := make([]byte, size)
	errs = make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				off := int64((r*workers + w) * chunk)
				n, err := f.ReadAt(got[off:off+chunk], off)
				if n != chunk || (err != nil && err != io.EOF) {
					errs <- fmt.Errorf("worker %d: ReadAt(%d) = %d, %v", w, off, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("parallel ReadAt: content differs at byte %d", firstDiff(got, want))
	}
	f.Close()
	if data := readFile(t, fsys, "/parallel"); !bytes.Equal(data, want) {
		t.Errorf("content after parallel WriteAt differs at byte %d (len %d, want %d)",
			firstDiff(data, want), len(data), len(want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func testStatFile(t *testing.T, fsys afero.Fs) {
	before := time.Now().Add(-time.Minute)
	writeFile(t, fsys, "/s.txt", []byte("12345"))
	after := time.Now().Add(time.Minute)

	fi, err := fsys.Stat("/s.txt")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if fi.Name() != "s.txt" {
		t.Errorf("Name() = %q; want %q", fi.Name(), "s.txt")
	}
	if fi.IsDir() || !fi.Mode().IsRegular() {
		t.Errorf("Mode() = %v; want a regular file", fi.Mode())
	}
	if fi.Size() != 5 {
		t.Errorf("Size() = %d; want 5", fi.Size())
	}
	if mt := fi.ModTime(); mt.Before(before) || mt.After(after) {
		t.Errorf("ModTime() = %v; want about %v", mt, time.Now())
	}

	// The open file reports the same.
	f, err := fsys.Open("/s.txt")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	ffi, err := f.Stat()
	if err != nil {
		t.Fatalf("File.Stat: %v", err)
	}
	if ffi.Name() != "s.txt" || ffi.Size() != 5 || ffi.IsDir() {
		t.Errorf("File.Stat() = %q size %d dir %v; want %q size 5 file", ffi.Name(), ffi.Size(), ffi.IsDir(), "s.txt")
	}
}

func testStatDir(t *testing.T, fsys afero.Fs) {
	fi, err := fsys.Stat("/")
	if err != nil {
		t.Fatalf("Stat(/): %v", err)
	}
	if !fi.IsDir() {
		t.Errorf("Stat(/).IsDir() = false")
	}
	mkdir(t, fsys, "/d")
	fi, err = fsys.Stat("/d")
	if err != nil {
		t.Fatalf("Stat(/d): %v", err)
	}
	if !fi.IsDir() || !fi.Mode().IsDir() || fi.Name() != "d" {
		t.Errorf("Stat(/d) = %q %v; want directory %q", fi.Name(), fi.Mode(), "d")
	}
}

func testStatMissing(t *testing.T, fsys afero.Fs) {
	wantMissing(t, fsys, "/nope")
	mkdir(t, fsys, "/d")
	wantMissing(t, fsys, "/d/nope")
	wantMissing(t, fsys, "/nope/deeper")
}

func testMkdirExisting(t *testing.T, fsys afero.Fs) {
	mkdir(t, fsys, "/d")
	if err := fsys.Mkdir("/d", 0o755); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Mkdir(existing dir) error = %v; want fs.ErrExist", err)
	}
	writeFile(t, fsys, "/f", []byte("x"))
	if err := fsys.Mkdir("/f", 0o755); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Mkdir(existing file) error = %v; want fs.ErrExist", err)
	}
}

func testMkdirAll(t *testing.T, fsys afero.Fs) {
	if err := fsys.MkdirAll("/a/b/c", 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	for _, name := range []string{"/a", "/a/b", "/a/b/c"} {
		fi, err := fsys.Stat(name)
		if err != nil || !fi.IsDir() {
			t.Errorf("Stat(%q) = %v, %v; want a directory", name, fi, err)
		}
	}
	if err := fsys.MkdirAll("/a/b/c", 0o755); err != nil {
		t.Errorf("MkdirAll(existing) = %v; want nil", err)
	}
	if err := fsys.MkdirAll("/a/b/d", 0o755); err != nil {
		t.Errorf("MkdirAll(sibling) = %v", err)
	}
}

func testMkdirAllBelowFile(t *testing.T, fsys afero.Fs) {
	writeFile(t, fsys, "/file", []byte("x"))
	if err := fsys.MkdirAll("/file/sub", 0o755); err == nil {
		t.Errorf("MkdirAll below a file succeeded")
	}
	wantContent(t, fsys, "/file", []byte("x"))
}

// makeEntries creates n files in a new directory dir and returns their
// names.
func makeEntries(t *testing.T, fsys afero.Fs, dir string, n int) map[string]bool {
	t.Helper()
	mkdir(t, fsys, dir)
	names := make(map[string]bool, n)
	for i := range n {
		name := fmt.Sprintf("entry-%03d", i)
		if i%10 == 0 {
			mkdir(t, fsys, path.Join(dir, name))
		} else {
			writeFile(t, fsys, path.Join(dir, name), nil)
		}
		names[name] = true
	}
	return names
}

// collect reads all pages of a listing with next (Readdir or
// Readdirnames with a page size of page) and checks each name is seen
// exactly once.
func collect(t *testing.T, want map[string]bool, page int, next func() ([]string, error)) {
	t.Helper()
	seen := make(map[string]int)
	for calls := 0; ; calls++ {
		if calls > len(want)+2 {
			t.Fatalf("listing did not end after %d calls", calls)
		}
		names, err := next()
		if len(names) > page {
			t.Fatalf("page has %d entries; want at most %d", len(names), page)
		}
		for _, n := range names {
			seen[n]++
		}
		if err == io.EOF {
			if len(names) != 0 {
				t.Errorf("last page with io.EOF has %d entries; want 0", len(names))
			}
			break
		}
		if err != nil {
			t.Fatalf("listing: %v", err)
		}
		if len(names) == 0 {
			t.Fatalf("empty page without io.EOF")
		}
	}
	for n, c := range seen {
		if !want[n] {
			t.Errorf("unexpected entry %q", n)
		} else if c != 1 {
			t.Errorf("entry %q seen %d times; want once", n, c)
		}
	}
	for n := range want {
		if seen[n] == 0 {
			t.Errorf("entry %q not listed", n)
		}
	}
}

func testReaddirPaged(t *testing.T, fsys afero.Fs) {
	want := makeEntries(t, fsys, "/dir", 250)
	f, err := fsys.Open("/dir")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	collect(t, want, 100, func() ([]string, error) {
		fis, err := f.Readdir(100)
		names := make([]string, len(fis))
		for i, fi := range fis {
			names[i] = fi.Name()
			if wantDir := fi.Name()[len(fi.Name())-1] == '0'; fi.IsDir() != wantDir {
				t.Errorf("%q: IsDir() = %v; want %v", fi.Name(), fi.IsDir(), wantDir)
			}
		}
		return names, err
	})
}

func testReaddirAll(t *testing.T, fsys afero.Fs) {
	want := makeEntries(t, fsys, "/dir", 25)
	f, err := fsys.Open("/dir")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	fis, err := f.Readdir(-1)
	if err != nil {
		t.Fatalf("Readdir(-1): %v", err)
	}
	if len(fis) != len(want) {
		t.Errorf("Readdir(-1) returned %d entries; want %d", len(fis), len(want))
	}
	// An empty directory lists nothing, without error for n <= 0.
	mkdir(t, fsys, "/empty")
	e, err := fsys.Open("/empty")
	if err != nil {
		t.Fatalf("Open(/empty): %v", err)
	}
	defer e.Close()
	if fis, err := e.Readdir(0); err != nil || len(fis) != 0 {
		t.Errorf("Readdir(0) of empty dir = %d entries, %v; want 0, nil", len(fis), err)
	}
}

func testReaddirnames(t *testing.T, fsys afero.Fs) {
	want := makeEntries(t, fsys, "/dir", 250)
	f, err := fsys.Open("/dir")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	collect(t, want, 100, func() ([]string, error) { return f.Readdirnames(100) })

	g, err := fsys.Open("/dir")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer g.Close()
	names, err := g.Readdirnames(-1)
	if err != nil || len(names) != len(want) {
		t.Errorf("Readdirnames(-1) = %d names, %v; want %d, nil", len(names), err, len(want))
	}
}

func testRemoveFile(t *testing.T, fsys afero.Fs) {
	writeFile(t, fsys, "/f", []byte("x"))
	if err := fsys.Remove("/f"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	wantMissing(t, fsys, "/f")
}

func testRemoveEmptyDir(t *testing.T, fsys afero.Fs) {
	mkdir(t, fsys, "/d")
	if err := fsys.Remove("/d"); err != nil {
		t.Fatalf("Remove(empty dir): %v", err)
	}
	wantMissing(t, fsys, "/d")
}

func testRemoveNonEmptyDir(t *testing.T, fsys afero.Fs) {
	mkdir(t, fsys, "/d")
	writeFile(t, fsys, "/d/f", []byte("keep"))
	if err := fsys.Remove("/d"); err == nil {
		t.Fatal("Remove(non-empty dir) succeeded")
	}
	wantContent(t, fsys, "/d/f", []byte("keep"))
}

func testRemoveMissing(t *testing.T, fsys afero.Fs) {
	if err := fsys.Remove("/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove(missing) error = %v; want fs.ErrNotExist", err)
	}
}

func testRemoveAll(t *testing.T, fsys afero.Fs) {
	if err := fsys.MkdirAll("/t/a/b", 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	writeFile(t, fsys, "/t/a/b/f", []byte("x"))
	writeFile(t, fsys, "/t/g", []byte("y"))
	writeFile(t, fsys, "/keep", []byte("z"))
	if err := fsys.RemoveAll("/t"); err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	for _, name := range []string{"/t", "/t/a", "/t/a/b/f", "/t/g"} {
		wantMissing(t, fsys, name)
	}
	wantContent(t, fsys, "/keep", []byte("z"))
	if err := fsys.RemoveAll("/t"); err != nil {
		t.Errorf("RemoveAll(missing) = %v; want nil", err)
	}
	if err := fsys.RemoveAll("/keep"); err != nil {
		t.Errorf("RemoveAll(file) = %v", err)
	}
	wantMissing(t, fsys, "/keep")
}

func testRenameFile(t *testing.T, fsys afero.Fs) {
	writeFile(t, fsys, "/old", []byte("data"))
	mkdir(t, fsys, "/sub")
	if err := fsys.Rename("/old", "/new"); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	wantMissing(t, fsys, "/old")
	wantContent(t, fsys, "/new", []byte("data"))
	if err := fsys.Rename("/new", "/sub/moved"); err != nil {
		t.Fatalf("Rename into subdirectory: %v", err)
	}
	wantMissing(t, fsys, "/new")
	wantContent(t, fsys, "/sub/moved", []byte("data"))
}

func testRenameDir(t *testing.T, fsys afero.Fs) {
	if err := fsys.MkdirAll("/a/b", 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	writeFile(t, fsys, "/a/b/f", []byte("deep"))
	if err := fsys.Rename("/a", "/z"); err != nil {
		t.Fatalf("Rename(dir): %v", err)
	}
	wantMissing(t, fsys, "/a")
	wantMissing(t, fsys, "/a/b/f")
	if fi, err := fsys.Stat("/z/b"); err != nil || !fi.IsDir() {
		t.Errorf("Stat(/z/b) = %v, %v; want a directory", fi, err)
	}
	wantContent(t, fsys, "/z/b/f", []byte("deep"))
}

func testRenameOverExisting(t *testing.T, fsys afero.Fs) {
	writeFile(t, fsys, "/src", []byte("new content"))
	writeFile(t, fsys, "/dst", []byte("old"))
	if err := fsys.Rename("/src", "/dst"); err != nil {
		t.Fatalf("Rename over existing file: %v", err)
	}
	wantMissing(t, fsys, "/src")
	wantContent(t, fsys, "/dst", []byte("new content"))
	f, err := fsys.Open("/")
	if err != nil {
		t.Fatalf("Open(/): %v", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatalf("Readdirnames: %v", err)
	}
	if len(names) != 1 || names[0] != "dst" {
		t.Errorf("root lists %q; want [dst]", names)
	}
}

func testRenameMissing(t *testing.T, fsys afero.Fs) {
	if err := fsys.Rename("/nope", "/other"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename(missing) error = %v; want fs.ErrNotExist", err)
	}
	wantMissing(t, fsys, "/other")
}

func testChmod(t *testing.T, fsys afero.Fs) {
	writeFile(t, fsys, "/f", []byte("x"))
	mkdir(t, fsys, "/d")
	tests := []struct {
		name string
		mode fs.FileMode
		dir  bool
	}{
		{"/f", 0o600, false},
		{"/f", 0o640, false},
		{"/d", 0o700, true},
		{"/d", 0o755, true},
	}
	for _, tc := range tests {
		if err := fsys.Chmod(tc.name, tc.mode); err != nil {
			t.Fatalf("Chmod(%q, %v): %v", tc.name, tc.mode, err)
		}
		fi, err := fsys.Stat(tc.name)
		if err != nil {
			t.Fatalf("Stat(%q): %v", tc.name, err)
		}
		if got := fi.Mode().Perm(); got != tc.mode {
			t.Errorf("after Chmod(%q, %v): Perm() = %v", tc.name, tc.mode, got)
		}
		if fi.IsDir() != tc.dir {
			t.Errorf("after Chmod(%q): IsDir() = %v; want %v", tc.name, fi.IsDir(), tc.dir)
		}
	}
	if err := fsys.Chmod("/nope", 0o600); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Chmod(missing) error = %v; want fs.ErrNotExist", err)
	}
}

func testChtimes(t *testing.T, fsys afero.Fs) {
	writeFile(t, fsys, "/f", []byte("x"))
	mkdir(t, fsys, "/d")
	atime := time.Date(2021, 2, 3, 4, 5, 6, 0, time.UTC)
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"/f", "/d"} {
		if err := fsys.Chtimes(name, atime, mtime); err != nil {
			t.Fatalf("Chtimes(%q): %v", name, err)
		}
		fi, err := fsys.Stat(name)
		if err != nil {
			t.Fatalf("Stat(%q): %v", name, err)
		}
		if !fi.ModTime().Equal(mtime) {
			t.Errorf("after Chtimes(%q): ModTime() = %v; want %v", name, fi.ModTime(), mtime)
		}
	}
	if err := fsys.Chtimes("/nope", atime, mtime); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Chtimes(missing) error = %v; want fs.ErrNotExist", err)
	}
}

func testTruncate(t *testing.T, fsys afero.Fs) {
	writeFile(t, fsys, "/f", []byte("0123456789"))
	f, err := fsys.OpenFile("/f", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	defer f.Close()
	sizes := []struct {
		size int64
		want string
	}{
		{4, "0123"},
		{6, "0123\x00\x00"},
		{0, ""},
	}
	for _, tc := range sizes {
		if err := f.Truncate(tc.size); err != nil {
			t.Fatalf("Truncate(%d): %v", tc.size, err)
		}
		fi, err := fsys.Stat("/f")
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if fi.Size() != tc.size {
			t.Errorf("after Truncate(%d): Size() = %d", tc.size, fi.Size())
		}
		if tc.size > 0 {
			if got := readAt(t, f, 0, int(tc.size)); string(got) != tc.want {
				t.Errorf("after Truncate(%d): content %q; want %q", tc.size, got, tc.want)
			}
		}
	}
}
