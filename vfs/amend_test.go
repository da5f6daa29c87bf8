package vfs_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"regexp"
	"testing"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/vfs"
)

const amendFixedID = "f1efde05-9b54-4fd7-a6cb-9fffc62cc631"

func amendFixed() string { return amendFixedID }

// amendUUIDName is the AMEND-01 pattern for /in/REPORT.CSV.
var amendUUIDName = regexp.MustCompile(`^/in/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-REPORT\.CSV$`)

// amendSetup returns a base Fs with /in/REPORT.CSV holding "original" and
// AmendWriteNames over it.
func amendSetup(t *testing.T, b decoBackend, newID func() string) (base, amended afero.Fs) {
	t.Helper()
	base = b.new(t)
	if err := base.MkdirAll("/in", 0o755); err != nil {
		t.Fatal(err)
	}
	decoWrite(t, base, "/in/REPORT.CSV", "original")
	return base, vfs.AmendWriteNames(base, newID)
}

// AMEND-01: a write creates /in/<uuid4>-REPORT.CSV.
func TestAmend01_UUIDPrefix(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base, fsys := amendSetup(t, b, nil)
			seen := map[string]bool{}
			for range 3 {
				f, err := fsys.OpenFile("/in/REPORT.CSV", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				name := f.Name()
				if !amendUUIDName.MatchString(name) {
					t.Errorf("Name() = %q; want /in/<uuid4>-REPORT.CSV", name)
				}
				if seen[name] {
					t.Errorf("name %q generated twice", name)
				}
				seen[name] = true
				if _, err := f.Write([]byte("new")); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				decoWant(t, base, name, "new")
			}
			names := decoList(t, base, "/in")
			if len(names) != 4 {
				t.Errorf("/in lists %q; want REPORT.CSV and 3 amended names", names)
			}
		})
	}
}

// AMEND-02: the requested file is never modified, whatever the write mode.
func TestAmend02_TargetUntouched(t *testing.T) {
	flags := map[string]int{
		"write|creat|trunc": os.O_WRONLY | os.O_CREATE | os.O_TRUNC,
		"write":             os.O_WRONLY,
		"read|write":        os.O_RDWR,
		"write|append":      os.O_WRONLY | os.O_APPEND,
		"creat only":        os.O_RDONLY | os.O_CREATE,
		"trunc only":        os.O_RDONLY | os.O_TRUNC,
	}
	for _, b := range decoBackends() {
		for name, flag := range flags {
			t.Run(b.name+"/"+name, func(t *testing.T) {
				base, fsys := amendSetup(t, b, amendFixed)
				f, err := fsys.OpenFile("/in/REPORT.CSV", flag, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
					if _, err := f.Write([]byte("X")); err != nil {
						t.Fatal(err)
					}
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				decoWant(t, base, "/in/REPORT.CSV", "original")
				if _, err := base.Stat("/in/" + amendFixedID + "-REPORT.CSV"); err != nil {
					t.Errorf("amended file missing: %v", err)
				}
			})
		}
	}
}

// AMEND-03: exclusive create; an existing amended name is never overwritten.
func TestAmend03_Exclusive(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base, fsys := amendSetup(t, b, amendFixed)
			taken := "/in/" + amendFixedID + "-REPORT.CSV"
			decoWrite(t, base, taken, "keep")
			for _, flag := range []int{os.O_WRONLY | os.O_CREATE | os.O_TRUNC, os.O_RDWR, os.O_WRONLY} {
				f, err := fsys.OpenFile("/in/REPORT.CSV", flag, 0o644)
				if err == nil {
					f.Close()
					t.Fatalf("OpenFile(%#x) over an existing amended name succeeded", flag)
				}
				if !errors.Is(err, fs.ErrExist) {
					t.Errorf("OpenFile(%#x) error = %v; want fs.ErrExist", flag, err)
				}
			}
			decoWant(t, base, taken, "keep")
			decoWant(t, base, "/in/REPORT.CSV", "original")

			// Also when the exclusive create happens in AtomicUploads.
			atomicAmend := vfs.AmendWriteNames(vfs.AtomicUploads(base, vfs.AtomicOptions{}), amendFixed)
			if f, err := atomicAmend.Create("/in/REPORT.CSV"); !errors.Is(err, fs.ErrExist) {
				if err == nil {
					f.Close()
				}
				t.Errorf("AtomicUploads: Create error = %v; want fs.ErrExist", err)
			}
			decoWant(t, base, taken, "keep")
		})
	}
}

// AMEND-04 is the SFTP layer's: it checks the requested path, which
// RequestedName returns (see AMEND-07); the decorator checks nothing.

// AMEND-05: reads, Mkdir, Rename and other operations are unaffected.
func TestAmend05_PassThrough(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base, fsys := amendSetup(t, b, amendFixed)
			decoWant(t, fsys, "/in/REPORT.CSV", "original")
			f, err := fsys.OpenFile("/in/REPORT.CSV", os.O_RDONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name() != "/in/REPORT.CSV" {
				t.Errorf("read open Name() = %q", f.Name())
			}
			if _, ok := vfs.RequestedName(f); ok {
				t.Error("RequestedName of a read open reports ok")
			}
			f.Close()
			if _, err := fsys.Open("/in/missing"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(missing) error = %v; want fs.ErrNotExist", err)
			}
			if err := fsys.Mkdir("/in/sub", 0o755); err != nil {
				t.Fatal(err)
			}
			if fi, err := base.Stat("/in/sub"); err != nil || !fi.IsDir() {
				t.Errorf("Mkdir did not create /in/sub: %v", err)
			}
			if err := fsys.Rename("/in/REPORT.CSV", "/in/sub/R.CSV"); err != nil {
				t.Fatal(err)
			}
			decoWant(t, base, "/in/sub/R.CSV", "original")
			if err := fsys.Chmod("/in/sub/R.CSV", 0o600); err != nil {
				t.Fatal(err)
			}
			if err := fsys.Remove("/in/sub/R.CSV"); err != nil {
				t.Fatal(err)
			}
			if names := decoList(t, base, "/in/sub"); len(names) != 0 {
				t.Errorf("/in/sub lists %q after Remove", names)
			}
		})
	}
}

// AMEND-06: READ|WRITE opens a new, empty file.
func TestAmend06_ReadWriteNewFile(t *testing.T) {
	for _, b := range decoBackends() {
		t.Run(b.name, func(t *testing.T) {
			base, fsys := amendSetup(t, b, amendFixed)
			f, err := fsys.OpenFile("/in/REPORT.CSV", os.O_RDWR, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 8)
			if n, err := f.ReadAt(buf, 0); n != 0 || err != io.EOF {
				t.Errorf("ReadAt of the new file = %d, %v; want 0, io.EOF", n, err)
			}
			if fi, err := f.Stat(); err != nil || fi.Size() != 0 {
				t.Errorf("Stat = %v, %v; want size 0", fi, err)
			}
			if _, err := f.WriteAt([]byte("abc"), 0); err != nil {
				t.Fatal(err)
			}
			if n, err := f.ReadAt(buf[:3], 0); n != 3 || string(buf[:3]) != "abc" {
				t.Errorf("ReadAt after write = %d, %v, %q", n, err, buf[:3])
			}
			decoWant(t, base, "/in/REPORT.CSV", "original")
		})
	}
}

// AMEND-07: Name is the amended path, RequestedName the client's, through
// the other decorators too.
func TestAmend07_RequestedName(t *testing.T) {
	base := afero.NewMemMapFs()
	stacks := map[string]afero.Fs{
		"alone": vfs.AmendWriteNames(base, amendFixed),
		"stack": vfs.AmendWriteNames(vfs.AtomicUploads(vfs.Quotas(base, vfs.Quota{}, nil), vfs.AtomicOptions{}), amendFixed),
		"inner": vfs.Quotas(vfs.AmendWriteNames(base, amendFixed), vfs.Quota{}, nil),
	}
	for name, fsys := range stacks {
		t.Run(name, func(t *testing.T) {
			f, err := fsys.OpenFile("/REPORT.CSV", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			want := "/" + amendFixedID + "-REPORT.CSV"
			if f.Name() != want {
				t.Errorf("Name() = %q; want %q", f.Name(), want)
			}
			if got, ok := vfs.RequestedName(f); !ok || got != "/REPORT.CSV" {
				t.Errorf("RequestedName = %q, %v; want /REPORT.CSV, true", got, ok)
			}
			if _, ok := f.(vfs.Aborter); !ok {
				t.Error("file does not implement Aborter")
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if err := base.Remove(want); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, ok := vfs.RequestedName(nil); ok {
		t.Error("RequestedName(nil) reports ok")
	}
}

func TestAmend_Errors(t *testing.T) {
	base := afero.NewMemMapFs()
	for _, id := range []string{"", "a/b", "x\x00"} {
		fsys := vfs.AmendWriteNames(base, func() string { return id })
		if _, err := fsys.Create("/f"); !errors.Is(err, vfs.ErrBadAmendID) || !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("ID %q: Create error = %v; want ErrBadAmendID", id, err)
		}
	}
	fsys := vfs.AmendWriteNames(base, amendFixed)
	if _, err := fsys.OpenFile("/", os.O_WRONLY, 0); err == nil {
		t.Error("write open of / succeeded")
	}
	if names := decoList(t, base, "/"); len(names) != 0 {
		t.Errorf("root lists %q; want nothing created", names)
	}
}

// The optional afero interfaces of the backend stay reachable.
func TestAmend_LinkInterfaces(t *testing.T) {
	base := newRootFs(t, t.TempDir(), vfs.AllowSymlinks())
	fsys := vfs.AmendWriteNames(base, amendFixed)
	decoWrite(t, base, "/target", "x")
	sl, ok := fsys.(afero.Symlinker)
	if !ok {
		t.Fatal("AmendWriteNames(RootFs) is not an afero.Symlinker")
	}
	if err := sl.SymlinkIfPossible("/target", "/link"); err != nil {
		t.Fatal(err)
	}
	if fi, ok, err := sl.LstatIfPossible("/link"); err != nil || !ok || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("LstatIfPossible = %v, %v, %v; want a symbolic link", fi, ok, err)
	}
	if text, err := sl.ReadlinkIfPossible("/link"); err != nil || text != "target" {
		t.Errorf("ReadlinkIfPossible = %q, %v", text, err)
	}
	mem := vfs.AmendWriteNames(afero.NewMemMapFs(), nil).(afero.Symlinker)
	if err := mem.SymlinkIfPossible("/a", "/b"); !errors.Is(err, afero.ErrNoSymlink) {
		t.Errorf("SymlinkIfPossible over MemMapFs = %v; want afero.ErrNoSymlink", err)
	}
}
