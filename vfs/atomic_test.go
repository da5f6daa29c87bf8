package vfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/vfs"
	"github.com/sftpkit/sftpkit/vfs/vfstest"
)

// decoBackend makes a fresh, empty base Fs for the decorator tests.
type decoBackend struct {
	name string
	new  func(t *testing.T) afero.Fs
	// parallel: WriteAt from several goroutines on one file is safe.
	parallel bool
}

func decoBackends() []decoBackend {
	return []decoBackend{
		{name: "MemMapFs", new: func(*testing.T) afero.Fs { return afero.NewMemMapFs() }},
		{name: "RootFs", new: func(t *testing.T) afero.Fs { return newRootFs(t, t.TempDir()) }, parallel: true},
	}
}

func decoWrite(t *testing.T, fsys afero.Fs, name, data string) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatalf("OpenFile(%q): %v", name, err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatalf("Write(%q): %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close(%q): %v", name, err)
	}
}

func decoWant(t *testing.T, fsys afero.Fs, name, want string) {
	t.Helper()
	got, err := afero.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("ReadFile(%q): %v", name, err)
	}
	if string(got) != want {
		t.Fatalf("content of %q = %q; want %q", name, got, want)
	}
}

func decoMissing(t *testing.T, fsys afero.Fs, name string) {
	t.Helper()
	if _, err := fsys.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat(%q) error = %v; want fs.ErrNotExist", name, err)
	}
}

// decoList returns the sorted names in dir.
func decoList(t *testing.T, fsys afero.Fs, dir string) []string {
	t.Helper()
	f, err := fsys.Open(dir)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatalf("Readdirnames(%q): %v", dir, err)
	}
	slices.Sort(names)
	return names
}

// decoTemps returns the temporary upload files in dir.
func decoTemps(t *testing.T, fsys afero.Fs, dir string) []string {
	t.Helper()
	var temps []string
	for _, n := range decoList(t, fsys, dir) {
		if strings.HasSuffix(n, vfs.UploadTempSuffix) {
			temps = append(temps, n)
		}
	}
	return temps
}

func TestAtomic_CleanUploadPublishes(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
			if err := base.Mkdir("/d", 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := fsys.OpenFile("/d/report.csv", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name() != "/d/report.csv" {
				t.Errorf("Name() = %q", f.Name())
			}
			if _, err := f.WriteAt([]byte("world"), 6); err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte("hello "), 0); err != nil {
				t.Fatal(err)
			}
			if fi, err := f.Stat(); err != nil || fi.Name() != "report.csv" || fi.Size() != 11 {
				t.Errorf("Stat() = %v, %v; want report.csv, size 11", fi, err)
			}
			// Invisible to others until closed; only a dot-file is listed.
			decoMissing(t, base, "/d/report.csv")
			temps := decoTemps(t, base, "/d")
			if len(temps) != 1 || !strings.HasPrefix(temps[0], ".report.csv.") {
				t.Errorf("temporary files = %q; want one .report.csv.*%s", temps, vfs.UploadTempSuffix)
			}
			if err := f.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			decoWant(t, base, "/d/report.csv", "hello world")
			if names := decoList(t, base, "/d"); !slices.Equal(names, []string{"report.csv"}) {
				t.Errorf("/d lists %q; want only report.csv", names)
			}
			if err := f.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("second Close = %v; want fs.ErrClosed", err)
			}
		})
	}
}

func TestAtomic_ReplaceKeepsOldUntilClose(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
			decoWrite(t, base, "/f", "old content")
			if err := base.Chmod("/f", 0o600); err != nil {
				t.Fatal(err)
			}
			// O_TRUNC without O_CREATE and perm 0, as SETSTAT-less clients send.
			f, err := fsys.OpenFile("/f", os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			if fi, err := f.Stat(); err != nil || fi.Size() != 0 {
				t.Errorf("Stat after O_TRUNC = %v, %v; want size 0", fi, err)
			}
			f.Write([]byte("new"))
			decoWant(t, base, "/f", "old content")
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			decoWant(t, base, "/f", "new")
			if fi, err := base.Stat("/f"); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("mode after replace = %v, %v; want 0600", fi.Mode(), err)
			}
		})
	}
}

func TestAtomic_AbortDiscards(t *testing.T) {
	for _, b := range decoBackends() {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%v", b.name, existing), func(t *testing.T) {
				base := b.new(t)
				fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
				if existing {
					decoWrite(t, base, "/f", "previous")
				}
				f, err := fsys.Create("/f")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt([]byte("partial"), 0); err != nil {
					t.Fatal(err)
				}
				ab, ok := f.(vfs.Aborter)
				if !ok {
					t.Fatal("file does not implement vfs.Aborter")
				}
				cause := errors.New("connection lost")
				ab.Abort(cause)
				ab.Abort(errors.New("second abort is ignored"))
				if _, err := f.WriteAt([]byte("more"), 7); !errors.Is(err, vfs.ErrUploadAborted) {
					t.Errorf("WriteAt after Abort = %v; want ErrUploadAborted", err)
				}
				err = f.Close()
				if !errors.Is(err, vfs.ErrUploadAborted) || !errors.Is(err, cause) {
					t.Errorf("Close after Abort = %v; want ErrUploadAborted and the cause", err)
				}
				if existing {
					decoWant(t, base, "/f", "previous")
				} else {
					decoMissing(t, base, "/f")
				}
				if temps := decoTemps(t, base, "/"); len(temps) != 0 {
					t.Errorf("temporary files left: %q", temps)
				}
				ab.Abort(nil) // after Close: no effect, no panic
			})
		}
	}
}

func TestAtomic_Validate(t *testing.T) {
	errVirus := errors.New("EICAR test signature")
	validate := func(ctx context.Context, u vfs.Upload) error {
		if u.Path != "/in/f" {
			return fmt.Errorf("Path = %q", u.Path)
		}
		buf := make([]byte, u.Size)
		if n, err := u.File.ReadAt(buf, 0); int64(n) != u.Size || (err != nil && err != io.EOF) {
			return fmt.Errorf("ReadAt = %d, %v", n, err)
		}
		switch {
		case bytes.Contains(buf, []byte("EICAR")):
			return errVirus
		case bytes.Contains(buf, []byte("PANIC")):
			panic("validator bug")
		}
		return nil
	}
	tests := []struct {
		content string
		wantErr []error
	}{
		{"clean data", nil},
		{"X5O!P%@AP EICAR", []error{vfs.ErrUploadRejected, errVirus}},
		{"PANIC", []error{vfs.ErrUploadRejected}},
	}
	for _, b := range decoBackends() {
		for _, tc := range tests {
			t.Run(b.name+"/"+tc.content, func(t *testing.T) {
				base := b.new(t)
				base.Mkdir("/in", 0o755)
				decoWrite(t, base, "/in/f", "previous")
				fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{Validate: validate})
				// Write-only, as an SFTP upload: the validator can read
				// the content anyway, the caller cannot.
				f, err := fsys.OpenFile("/in/f", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteString(tc.content); err != nil {
					t.Fatal(err)
				}
				if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, syscall.EBADF) {
					t.Errorf("ReadAt on a write-only upload = %v; want EBADF", err)
				}
				err = f.Close()
				if tc.wantErr == nil {
					if err != nil {
						t.Fatalf("Close: %v", err)
					}
					decoWant(t, base, "/in/f", tc.content)
				} else {
					for _, want := range tc.wantErr {
						if !errors.Is(err, want) {
							t.Errorf("Close = %v; want it to wrap %v", err, want)
						}
					}
					decoWant(t, base, "/in/f", "previous")
				}
				if temps := decoTemps(t, base, "/in"); len(temps) != 0 {
					t.Errorf("temporary files left: %q", temps)
				}
			})
		}
	}
}

// failRenameFs fails every Rename, as a broken backend would.
type failRenameFs struct{ afero.Fs }

var errRenameBroken = errors.New("rename broken")

func (f failRenameFs) Rename(string, string) error { return errRenameBroken }

func TestAtomic_FailedCloseDiscards(t *testing.T) {
	base := afero.NewMemMapFs()
	decoWrite(t, base, "/f", "previous")
	fsys := vfs.AtomicUploads(failRenameFs{base}, vfs.AtomicOptions{})
	f, err := fsys.Create("/f")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if err := f.Close(); !errors.Is(err, errRenameBroken) {
		t.Errorf("Close = %v; want the rename error", err)
	}
	decoWant(t, base, "/f", "previous")
	if temps := decoTemps(t, base, "/"); len(temps) != 0 {
		t.Errorf("temporary files left: %q", temps)
	}
}

// failWriteFs returns files whose writes fail.
type failWriteFs struct{ afero.Fs }

type failWriteFile struct{ afero.File }

var errDiskBroken = errors.New("disk broken")

func (f failWriteFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	file, err := f.Fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return failWriteFile{file}, nil
}

func (failWriteFile) WriteAt([]byte, int64) (int, error) { return 0, errDiskBroken }

func TestAtomic_FailedWriteAborts(t *testing.T) {
	base := afero.NewMemMapFs()
	fsys := vfs.AtomicUploads(failWriteFs{base}, vfs.AtomicOptions{})
	f, err := fsys.Create("/f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, errDiskBroken) {
		t.Errorf("WriteAt = %v; want the write error", err)
	}
	if err := f.Close(); !errors.Is(err, vfs.ErrUploadAborted) || !errors.Is(err, errDiskBroken) {
		t.Errorf("Close = %v; want ErrUploadAborted wrapping the write error", err)
	}
	decoMissing(t, base, "/f")
}

func TestAtomic_ParallelWriteAt(t *testing.T) {
	const (
		workers = 8
		chunk   = 32 << 10
		chunks  = 64
	)
	want := make([]byte, chunk*chunks)
	for i := range want {
		want[i] = byte(i*31 + i/chunk)
	}
	for _, b := range decoBackends() {
		if !b.parallel {
			continue // afero.MemMapFs shares one offset between WriteAt calls
		}
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
			f, err := fsys.OpenFile("/big", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			next := make(chan int, chunks)
			for i := chunks - 1; i >= 0; i-- { // out of order
				next <- i
			}
			close(next)
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for i := range next {
						off := int64(i * chunk)
						if n, err := f.WriteAt(want[off:off+chunk], off); err != nil || n != chunk {
							t.Errorf("WriteAt(%d) = %d, %v", off, n, err)
						}
					}
				})
			}
			wg.Wait()
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := afero.ReadFile(base, "/big")
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("content differs (len %d, want %d, err %v)", len(got), len(want), err)
			}
		})
	}
}

// Opens that neither create nor truncate act on the real file at once.
func TestAtomic_ResumePassesThrough(t *testing.T) {
	tests := map[string]int{
		"write":           os.O_WRONLY,
		"write|creat":     os.O_WRONLY | os.O_CREATE, // OpenSSH resume: CREAT|APPEND
		"read|write":      os.O_RDWR,
		"read|write|crea": os.O_RDWR | os.O_CREATE,
	}
	for _, b := range decoBackends() {
		for name, flag := range tests {
			t.Run(b.name+"/"+name, func(t *testing.T) {
				base := b.new(t)
				fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
				decoWrite(t, base, "/f", "hello")
				f, err := fsys.OpenFile("/f", flag, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				fi, err := f.Stat()
				if err != nil || fi.Size() != 5 {
					t.Fatalf("Stat = %v, %v; want the existing file", fi, err)
				}
				if _, err := f.WriteAt([]byte(" world"), fi.Size()); err != nil {
					t.Fatal(err)
				}
				decoWant(t, base, "/f", "hello world") // visible before Close
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				if temps := decoTemps(t, base, "/"); len(temps) != 0 {
					t.Errorf("temporary files: %q", temps)
				}
			})
		}
	}
}

func TestAtomic_Exclusive(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
			excl := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			decoWrite(t, base, "/taken", "keep")
			if _, err := fsys.OpenFile("/taken", excl, 0o644); !errors.Is(err, fs.ErrExist) {
				t.Errorf("O_EXCL on existing = %v; want fs.ErrExist", err)
			}

			// A file appearing during the upload is not replaced.
			f, err := fsys.OpenFile("/race", excl, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("mine"))
			if _, err := fsys.OpenFile("/race", excl, 0o644); !errors.Is(err, fs.ErrExist) {
				t.Errorf("second O_EXCL open during the upload = %v; want fs.ErrExist", err)
			}
			decoWrite(t, base, "/race", "theirs")
			if err := f.Close(); !errors.Is(err, fs.ErrExist) {
				t.Errorf("Close = %v; want fs.ErrExist", err)
			}
			decoWant(t, base, "/race", "theirs")
			if temps := decoTemps(t, base, "/"); len(temps) != 0 {
				t.Errorf("temporary files left: %q", temps)
			}
		})
	}
}

func TestAtomic_OpenErrors(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
			if _, err := fsys.OpenFile("/missing", os.O_WRONLY|os.O_TRUNC, 0); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("O_TRUNC of a missing file = %v; want fs.ErrNotExist", err)
			}
			base.Mkdir("/dir", 0o755)
			if _, err := fsys.OpenFile("/dir", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); !errors.Is(err, syscall.EISDIR) {
				t.Errorf("upload onto a directory = %v; want EISDIR", err)
			}
			if names := decoList(t, base, "/"); !slices.Equal(names, []string{"dir"}) {
				t.Errorf("root lists %q; want [dir]", names)
			}
		})
	}
}

// A client that sets times or modes before CLOSE (OpenSSH put -p) reaches
// its upload through the requested name.
func TestAtomic_SetstatDuringUpload(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base := b.new(t)
			fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
			f, err := fsys.Create("/f")
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("0123456789"))
			fi, err := fsys.Stat("/f")
			if err != nil || fi.Size() != 10 || fi.Name() != "f" {
				t.Fatalf("Stat during upload = %v, %v; want f, size 10", fi, err)
			}
			// SETSTAT as the SFTP layer applies it: size (by opening the
			// name write-only and truncating), then mode, then times.
			g, err := fsys.OpenFile("/f", os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if g.Name() != "/f" {
				t.Errorf("second handle Name() = %q", g.Name())
			}
			if err := g.Truncate(4); err != nil {
				t.Fatal(err)
			}
			g.Close()
			if err := fsys.Chmod("/f", 0o640); err != nil {
				t.Fatal(err)
			}
			mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := fsys.Chtimes("/f", mtime, mtime); err != nil {
				t.Fatal(err)
			}
			decoMissing(t, base, "/f")
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			decoWant(t, base, "/f", "0123")
			fi, err = base.Stat("/f")
			if err != nil || !fi.ModTime().Equal(mtime) || fi.Mode().Perm() != 0o640 {
				t.Errorf("published file = %v, %v, %v; want mtime %v, mode 0640", fi.ModTime(), fi.Mode(), err, mtime)
			}
			// Afterwards the name is the real file again.
			if err := fsys.Chtimes("/f", time.Now(), time.Now()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAtomic_ValidateContextCancelledByAbort(t *testing.T) {
	started := make(chan struct{})
	fsys := vfs.AtomicUploads(afero.NewMemMapFs(), vfs.AtomicOptions{
		Validate: func(ctx context.Context, u vfs.Upload) error {
			close(started)
			<-ctx.Done()
			return context.Cause(ctx)
		},
	})
	f, err := fsys.Create("/f")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-started
		f.(vfs.Aborter).Abort(nil)
	}()
	if err := f.Close(); !errors.Is(err, vfs.ErrUploadAborted) {
		t.Errorf("Close = %v; want ErrUploadAborted", err)
	}
}

func TestAtomic_LongName(t *testing.T) {
	base := newRootFs(t, t.TempDir())
	fsys := vfs.AtomicUploads(base, vfs.AtomicOptions{})
	name := "/" + strings.Repeat("é", 127) // 254 bytes
	decoWrite(t, fsys, name, "x")
	decoWant(t, base, name, "x")
}

// AtomicUploads stays a conformant backend.
func TestAtomic_Conformance(t *testing.T) {
	t.Run("RootFs", func(t *testing.T) {
		vfstest.TestFs(t, func(t *testing.T) afero.Fs {
			return vfs.AtomicUploads(newRootFs(t, t.TempDir()), vfs.AtomicOptions{})
		})
	})
	t.Run("MemMapFs", func(t *testing.T) {
		// Only MemMapFs's own defects, see TestMemMapFs_Conformance.
		vfstest.TestFsOpts(t, func(t *testing.T) afero.Fs {
			return vfs.AtomicUploads(afero.NewMemMapFs(), vfs.AtomicOptions{})
		}, vfstest.Options{
			SkipParallelWrite: true,
			Skip:              []string{"Remove/NonEmptyDir", "ReadAt/PastEnd", "MkdirAll/BelowFile"},
		})
	})
}
