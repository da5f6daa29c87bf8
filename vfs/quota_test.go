package vfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/vfs"
	"github.com/sftpkit/sftpkit/vfs/vfstest"
)

// quotaCheck fails the test unless u matches what ScanUsage finds in base.
func quotaCheck(t *testing.T, base afero.Fs, u *vfs.QuotaUsage) {
	t.Helper()
	b, f, err := vfs.ScanUsage(base)
	if err != nil {
		t.Fatalf("ScanUsage: %v", err)
	}
	if u.Bytes() != b || u.Files() != f {
		t.Errorf("usage = %d bytes, %d files; storage holds %d bytes, %d files", u.Bytes(), u.Files(), b, f)
	}
}

func wantQuotaErr(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, vfs.ErrQuotaExceeded) || !errors.Is(err, syscall.EDQUOT) {
		t.Errorf("%s error = %v; want ErrQuotaExceeded (EDQUOT)", what, err)
	}
}

func TestQuota_MaxBytes(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			u := vfs.NewQuotaUsage(0, 0)
			fsys := vfs.Quotas(base, vfs.Quota{MaxBytes: 10}, u)
			f, err := fsys.OpenFile("/f", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte("012345"), 0); err != nil {
				t.Fatal(err)
			}
			n, err := f.WriteAt([]byte("67890"), 6) // 11 bytes
			wantQuotaErr(t, "WriteAt beyond MaxBytes", err)
			if n != 0 {
				t.Errorf("refused WriteAt wrote %d bytes", n)
			}
			if fi, _ := f.Stat(); fi.Size() != 6 {
				t.Errorf("size after refused write = %d; want 6", fi.Size())
			}
			// Overwriting does not grow; reaching the limit exactly is fine.
			if _, err := f.WriteAt([]byte("ab"), 0); err != nil {
				t.Errorf("overwrite: %v", err)
			}
			if _, err := f.WriteAt([]byte("6789"), 6); err != nil {
				t.Errorf("write up to the limit: %v", err)
			}
			if u.Bytes() != 10 {
				t.Errorf("usage = %d; want 10", u.Bytes())
			}
			if _, err := f.Seek(0, io.SeekEnd); err != nil {
				t.Fatal(err)
			}
			_, err = f.Write([]byte("x")) // sequential write past the end
			wantQuotaErr(t, "Write beyond MaxBytes", err)
			wantQuotaErr(t, "Truncate beyond MaxBytes", f.Truncate(11))
			// Shrinking releases.
			if err := f.Truncate(4); err != nil {
				t.Fatal(err)
			}
			if u.Bytes() != 4 {
				t.Errorf("usage after Truncate(4) = %d; want 4", u.Bytes())
			}
			if err := f.Truncate(10); err != nil {
				t.Errorf("Truncate(10): %v", err)
			}
			f.Close()
			quotaCheck(t, base, u)
		})
	}
}

func TestQuota_MaxFiles(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			u := vfs.NewQuotaUsage(0, 0)
			fsys := vfs.Quotas(base, vfs.Quota{MaxFiles: 2}, u)
			decoWrite(t, fsys, "/a", "a")
			decoWrite(t, fsys, "/b", "b")
			_, err := fsys.OpenFile("/c", os.O_WRONLY|os.O_CREATE, 0o644)
			wantQuotaErr(t, "third file", err)
			decoMissing(t, base, "/c")
			if err := fsys.Mkdir("/dir", 0o755); err != nil {
				t.Errorf("Mkdir at MaxFiles: %v (directories are not counted)", err)
			}
			// Overwriting an existing file creates none.
			decoWrite(t, fsys, "/a", "again")
			if err := fsys.Remove("/b"); err != nil {
				t.Fatal(err)
			}
			decoWrite(t, fsys, "/c", "c")
			if u.Files() != 2 {
				t.Errorf("files = %d; want 2", u.Files())
			}
			quotaCheck(t, base, u)
		})
	}
}

func TestQuota_Releases(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			if err := base.MkdirAll("/d/e", 0o755); err != nil {
				t.Fatal(err)
			}
			decoWrite(t, base, "/pre", "existing!") // before the tracker
			bytes, files, err := vfs.ScanUsage(base)
			if err != nil || bytes != 9 || files != 1 {
				t.Fatalf("ScanUsage = %d, %d, %v; want 9, 1", bytes, files, err)
			}
			u := vfs.NewQuotaUsage(bytes, files)
			fsys := vfs.Quotas(base, vfs.Quota{MaxBytes: 100, MaxFiles: 10}, u)
			steps := []struct {
				name string
				do   func() error
			}{
				{"write", func() error { decoWrite(t, fsys, "/d/e/f", "0123456789"); return nil }},
				{"overwrite with O_TRUNC", func() error { decoWrite(t, fsys, "/pre", "abc"); return nil }},
				{"rename over", func() error { return fsys.Rename("/pre", "/d/e/f") }},
				{"rename", func() error { return fsys.Rename("/d/e/f", "/g") }},
				{"remove", func() error { return fsys.Remove("/g") }},
				{"remove all", func() error {
					decoWrite(t, fsys, "/d/e/x", "xxxxx")
					decoWrite(t, fsys, "/d/y", "yy")
					return fsys.RemoveAll("/d")
				}},
			}
			for _, s := range steps {
				if err := s.do(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				quotaCheck(t, base, u)
				if t.Failed() {
					t.Fatalf("after %s", s.name)
				}
			}
			if u.Bytes() != 0 || u.Files() != 0 {
				t.Errorf("usage at the end = %d, %d; want 0, 0", u.Bytes(), u.Files())
			}
		})
	}
}

// A file removed while open keeps its bytes counted until closed.
func TestQuota_RemoveWhileOpen(t *testing.T) {
	base := newRootFs(t, t.TempDir())
	u := vfs.NewQuotaUsage(0, 0)
	fsys := vfs.Quotas(base, vfs.Quota{MaxBytes: 100}, u)
	f, err := fsys.Create("/f")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 60))
	if err := fsys.Remove("/f"); err != nil {
		t.Fatal(err)
	}
	if u.Files() != 0 || u.Bytes() != 60 {
		t.Errorf("after Remove: %d bytes, %d files; want 60, 0", u.Bytes(), u.Files())
	}
	_, err = f.Write(make([]byte, 50))
	wantQuotaErr(t, "write to the removed file", err)
	f.Write(make([]byte, 10))
	// A new file of the same name is tracked separately.
	decoWrite(t, fsys, "/f", "abc")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	quotaCheck(t, base, u)

	// Likewise for RemoveAll.
	if err := fsys.MkdirAll("/d/e", 0o755); err != nil {
		t.Fatal(err)
	}
	g, err := fsys.Create("/d/e/g")
	if err != nil {
		t.Fatal(err)
	}
	g.Write(make([]byte, 20))
	decoWrite(t, fsys, "/d/h", "hh")
	if err := fsys.RemoveAll("/d"); err != nil {
		t.Fatal(err)
	}
	if u.Files() != 1 || u.Bytes() != 23 {
		t.Errorf("after RemoveAll: %d bytes, %d files; want 23, 1", u.Bytes(), u.Files())
	}
	g.Close()
	quotaCheck(t, base, u)
}

// Two handles on one file share its accounting.
func TestQuota_SharedHandles(t *testing.T) {
	base := newRootFs(t, t.TempDir())
	u := vfs.NewQuotaUsage(0, 0)
	s1 := vfs.Quotas(base, vfs.Quota{MaxBytes: 1000}, u)
	s2 := vfs.Quotas(base, vfs.Quota{MaxBytes: 1000}, u) // another session
	f1, err := s1.OpenFile("/f", os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := s2.OpenFile("/f", os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f1.WriteAt(make([]byte, 100), 0)
	f2.WriteAt(make([]byte, 100), 0)
	f2.WriteAt(make([]byte, 50), 100)
	if u.Bytes() != 150 || u.Files() != 1 {
		t.Errorf("usage = %d, %d; want 150, 1", u.Bytes(), u.Files())
	}
	if err := s2.Rename("/f", "/g"); err != nil {
		t.Fatal(err)
	}
	f1.WriteAt(make([]byte, 10), 150)
	f1.Close()
	f2.Close()
	quotaCheck(t, base, u)
}

// Many concurrent uploads through the whole stack never exceed MaxBytes,
// publish only complete files, and leave usage equal to the storage.
func TestQuota_ConcurrentUploads(t *testing.T) {
	const (
		uploads  = 24
		size     = 64 << 10
		chunk    = 4 << 10
		workers  = 8
		maxBytes = 10*size + size/2 // room for about ten
	)
	base := newRootFs(t, t.TempDir())
	u := vfs.NewQuotaUsage(0, 0)
	q := vfs.Quota{MaxBytes: maxBytes}
	content := func(i int) []byte {
		return bytes.Repeat([]byte{byte('a' + i%26)}, size)
	}

	var peak atomic.Int64
	stop := make(chan struct{})
	var monitor sync.WaitGroup
	monitor.Go(func() {
		for {
			if b := u.Bytes(); b > peak.Load() {
				peak.Store(b)
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})

	var published atomic.Int64
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Go(func() {
			// One session per upload, all of one account.
			fsys := vfs.AtomicUploads(vfs.Quotas(base, q, u), vfs.AtomicOptions{})
			name := fmt.Sprintf("/up-%02d", i)
			f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				t.Errorf("%s: open: %v", name, err)
				return
			}
			data := content(i)
			next := make(chan int64, size/chunk)
			for off := int64(0); off < size; off += chunk {
				next <- off
			}
			close(next)
			var failed atomic.Bool
			var inner sync.WaitGroup
			for range workers {
				inner.Go(func() {
					for off := range next {
						if _, err := f.WriteAt(data[off:off+chunk], off); err != nil {
							if !errors.Is(err, vfs.ErrQuotaExceeded) && !errors.Is(err, vfs.ErrUploadAborted) {
								t.Errorf("%s: WriteAt: %v", name, err)
							}
							failed.Store(true)
						}
					}
				})
			}
			inner.Wait()
			err = f.Close()
			switch {
			case failed.Load() && err == nil:
				t.Errorf("%s: Close after a refused write succeeded", name)
			case !failed.Load() && err != nil:
				t.Errorf("%s: Close: %v", name, err)
			case err == nil:
				published.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	monitor.Wait()

	if p := peak.Load(); p > maxBytes {
		t.Errorf("usage peaked at %d; MaxBytes is %d", p, maxBytes)
	}
	if n := published.Load(); n == 0 || n > maxBytes/size {
		t.Errorf("%d uploads published; want between 1 and %d", n, maxBytes/size)
	}
	for _, name := range decoList(t, base, "/") {
		if strings.HasSuffix(name, vfs.UploadTempSuffix) {
			t.Errorf("temporary file left: %s", name)
			continue
		}
		var i int
		fmt.Sscanf(name, "up-%02d", &i)
		got, err := afero.ReadFile(base, "/"+name)
		if err != nil || !bytes.Equal(got, content(i)) {
			t.Errorf("%s: published content wrong (len %d, %v)", name, len(got), err)
		}
	}
	if int64(len(decoList(t, base, "/"))) != published.Load() {
		t.Errorf("%d files in storage; %d published", len(decoList(t, base, "/")), published.Load())
	}
	quotaCheck(t, base, u)
}

// Concurrent writers on one file: usage is the file's size, exactly.
func TestQuota_ConcurrentWritersOneFile(t *testing.T) {
	const (
		workers = 8
		chunk   = 1 << 10
		chunks  = 256
	)
	base := newRootFs(t, t.TempDir())
	u := vfs.NewQuotaUsage(0, 0)
	fsys := vfs.Quotas(base, vfs.Quota{MaxBytes: chunk * chunks}, u)
	f, err := fsys.Create("/f")
	if err != nil {
		t.Fatal(err)
	}
	next := make(chan int64, chunks)
	for i := chunks - 1; i >= 0; i-- {
		next <- int64(i * chunk)
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			buf := make([]byte, chunk)
			for off := range next {
				if _, err := f.WriteAt(buf, off); err != nil {
					t.Errorf("WriteAt(%d): %v", off, err)
				}
			}
		})
	}
	wg.Wait()
	if u.Bytes() != chunk*chunks {
		t.Errorf("usage = %d; want %d", u.Bytes(), chunk*chunks)
	}
	_, err = f.WriteAt([]byte{1}, chunk*chunks)
	wantQuotaErr(t, "one byte more", err)
	f.Close()
	quotaCheck(t, base, u)
}

// With AtomicUploads outside, a refused write aborts the upload: nothing
// partial is published and the previous file stays.
func TestQuota_AtomicAbortOnRefusal(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			decoWrite(t, base, "/f", "keep")
			u := vfs.NewQuotaUsage(4, 1)
			fsys := vfs.AtomicUploads(vfs.Quotas(base, vfs.Quota{MaxBytes: 10}, u), vfs.AtomicOptions{})
			f, err := fsys.Create("/f")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte("12345"), 0); err != nil {
				t.Fatal(err)
			}
			_, err = f.WriteAt([]byte("67890"), 5) // old 4 + new 10 > 10
			wantQuotaErr(t, "WriteAt", err)
			err = f.Close()
			if !errors.Is(err, vfs.ErrUploadAborted) || !errors.Is(err, vfs.ErrQuotaExceeded) {
				t.Errorf("Close = %v; want ErrUploadAborted wrapping ErrQuotaExceeded", err)
			}
			decoWant(t, base, "/f", "keep")
			quotaCheck(t, base, u)
			if u.Bytes() != 4 || u.Files() != 1 {
				t.Errorf("usage = %d, %d; want 4, 1", u.Bytes(), u.Files())
			}
		})
	}
}

// The full stack: amended names, atomic uploads and quotas together.
func TestQuota_FullStack(t *testing.T) {
	base := newRootFs(t, t.TempDir())
	u := vfs.NewQuotaUsage(0, 0)
	fsys := vfs.AmendWriteNames(vfs.AtomicUploads(vfs.Quotas(base, vfs.Quota{MaxBytes: 100, MaxFiles: 3}, u), vfs.AtomicOptions{}), nil)
	var names []string
	for range 3 {
		f, err := fsys.OpenFile("/REPORT.CSV", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("0123456789"), 0)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name())
	}
	if _, err := fsys.Create("/REPORT.CSV"); !errors.Is(err, vfs.ErrQuotaExceeded) {
		t.Errorf("fourth upload = %v; want ErrQuotaExceeded", err)
	}
	for _, n := range names {
		decoWant(t, base, n, "0123456789")
	}
	quotaCheck(t, base, u)

	// An upload killed mid-transfer: the SFTP layer aborts the outermost
	// file, then closes it.
	if err := fsys.Remove(names[0]); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Create("/REPORT.CSV")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("partial"), 0)
	f.(vfs.Aborter).Abort(errors.New("connection lost"))
	if err := f.Close(); !errors.Is(err, vfs.ErrUploadAborted) {
		t.Errorf("Close after Abort = %v; want ErrUploadAborted", err)
	}
	decoMissing(t, base, f.Name())
	if n := len(decoList(t, base, "/")); n != 2 {
		t.Errorf("%d files in storage; want 2", n)
	}
	quotaCheck(t, base, u)
}

func TestQuota_Symlink(t *testing.T) {
	base := newRootFs(t, t.TempDir(), vfs.AllowSymlinks())
	u := vfs.NewQuotaUsage(0, 0)
	fsys := vfs.Quotas(base, vfs.Quota{MaxFiles: 1}, u)
	sl := fsys.(afero.Symlinker)
	if err := sl.SymlinkIfPossible("/x", "/l1"); err != nil {
		t.Fatal(err)
	}
	wantQuotaErr(t, "second link", sl.SymlinkIfPossible("/x", "/l2"))
	if err := fsys.Remove("/l1"); err != nil {
		t.Fatal(err)
	}
	quotaCheck(t, base, u)
}

func TestScanUsage(t *testing.T) {
	base := afero.NewMemMapFs()
	base.MkdirAll("/a/b", 0o755)
	decoWrite(t, base, "/a/b/c", "12345")
	decoWrite(t, base, "/a/d", "67")
	decoWrite(t, base, "/e", "")
	bytes, files, err := vfs.ScanUsage(base)
	if err != nil || bytes != 7 || files != 3 {
		t.Errorf("ScanUsage = %d, %d, %v; want 7, 3, nil", bytes, files, err)
	}
}

// Quotas, alone and under AtomicUploads, stays a conformant backend whose
// usage matches the storage after every test of the suite.
func TestQuota_Conformance(t *testing.T) {
	stacks := map[string]func(base afero.Fs, u *vfs.QuotaUsage) afero.Fs{
		"Quotas": func(base afero.Fs, u *vfs.QuotaUsage) afero.Fs {
			return vfs.Quotas(base, vfs.Quota{MaxBytes: 1 << 30, MaxFiles: 1000}, u)
		},
		"AtomicUploads(Quotas)": func(base afero.Fs, u *vfs.QuotaUsage) afero.Fs {
			return vfs.AtomicUploads(vfs.Quotas(base, vfs.Quota{MaxBytes: 1 << 30, MaxFiles: 1000}, u), vfs.AtomicOptions{})
		},
	}
	for name, stack := range stacks {
		t.Run(name, func(t *testing.T) {
			vfstest.TestFs(t, func(t *testing.T) afero.Fs {
				base := newRootFs(t, t.TempDir())
				u := vfs.NewQuotaUsage(0, 0)
				t.Cleanup(func() { quotaCheck(t, base, u) })
				return stack(base, u)
			})
		})
	}
}
