package vfs_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/vfs"
	"github.com/sftpkit/sftpkit/vfs/vfstest"
)

// mtFixture is a MountTable over host directories below base:
//
//	/                     home    (files f, file.txt; dir docs)
//	/team                 team    (files f, a.txt; dir sub)
//	/team/nested          nested  (file f)
//	/upload/sales/emea    emea    (file f); /upload and /upload/sales are synthetic
//	/gone                 Missing()
type mtFixture struct {
	t                        *vfs.MountTable
	base                     string // host directory holding all the others
	home, team, nested, emea string // host directories of the backends
}

// mtWrite creates the host file dir/name with content, and its parents.
func mtWrite(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mtMkdir creates the host directory dir/name and its parents.
func mtMkdir(t testing.TB, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
		t.Fatal(err)
	}
}

// mtRootFs opens dir as a RootFs closed at the end of the test.
func mtRootFs(t testing.TB, dir string, opts ...vfs.RootOption) *vfs.RootFs {
	t.Helper()
	fsys, err := vfs.NewRootFs(dir, opts...)
	if err != nil {
		t.Fatalf("NewRootFs: %v", err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// mtTable builds a MountTable, failing the test on error.
func mtTable(t testing.TB, home afero.Fs, mounts []vfs.Mount, opt vfs.MountOptions) *vfs.MountTable {
	t.Helper()
	mt, err := vfs.NewMountTable(home, mounts, opt)
	if err != nil {
		t.Fatalf("NewMountTable: %v", err)
	}
	return mt
}

func newMtFixture(t *testing.T, opts ...vfs.RootOption) *mtFixture {
	t.Helper()
	base := t.TempDir()
	x := &mtFixture{
		base:   base,
		home:   filepath.Join(base, "home"),
		team:   filepath.Join(base, "team"),
		nested: filepath.Join(base, "nested"),
		emea:   filepath.Join(base, "emea"),
	}
	mtWrite(t, x.home, "f", "home")
	mtWrite(t, x.home, "file.txt", "text")
	mtMkdir(t, x.home, "docs")
	mtWrite(t, x.team, "f", "team")
	mtWrite(t, x.team, "a.txt", "a")
	mtMkdir(t, x.team, "sub")
	mtWrite(t, x.nested, "f", "nested")
	mtWrite(t, x.emea, "f", "emea")
	x.t = mtTable(t, mtRootFs(t, x.home, opts...), []vfs.Mount{
		{Path: "/upload/sales/emea", Fs: mtRootFs(t, x.emea, opts...)},
		{Path: "/team/nested", Fs: mtRootFs(t, x.nested, opts...)},
		{Path: "/team", Fs: mtRootFs(t, x.team, opts...)},
		{Path: "/gone", Fs: vfs.Missing()},
	}, vfs.MountOptions{})
	return x
}

// hostTree describes everything below dir: relative names, types, sizes
// and contents.
func mtTree(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d", rel, fi.Mode(), fi.Size())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %q", data)
		}
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// listNames returns the names Readdirnames(-1) gives for dir, sorted.
func mtList(t testing.TB, fsys afero.Fs, dir string) []string {
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
	sort.Strings(names)
	return names
}

// mtRead reads name through fsys.
func mtRead(t testing.TB, fsys afero.Fs, name string) string {
	t.Helper()
	data, err := afero.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("ReadFile(%q): %v", name, err)
	}
	return string(data)
}

// mtSentinel is the content of files that must never be served.
const mtSentinel = "SENTINEL-mount-table-7d2e"

// mtCloseIfOpen closes f, if any, and returns err.
func mtCloseIfOpen(f afero.File, err error) error {
	if f != nil {
		f.Close()
	}
	return err
}

// mtSameFile is os.SameFile that also sees through FileInfo wrappers (a
// mount point's FileInfo is renamed), comparing device and inode.
func mtSameFile(a, b fs.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && sa != nil && sb != nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// mtSameHost reports whether fi describes the host file host.
func mtSameHost(t testing.TB, fi fs.FileInfo, host string) bool {
	t.Helper()
	hfi, err := os.Stat(host)
	if err != nil {
		t.Fatal(err)
	}
	return mtSameFile(fi, hfi)
}

func TestNewMountTable_Validation(t *testing.T) {
	mem := afero.NewMemMapFs()
	tests := []struct {
		name   string
		home   afero.Fs
		mounts []vfs.Mount
		opt    vfs.MountOptions
	}{
		{"nil home", nil, nil, vfs.MountOptions{}},
		{"nil mount Fs", mem, []vfs.Mount{{Path: "/a"}}, vfs.MountOptions{}},
		{"root", mem, []vfs.Mount{{Path: "/", Fs: mem}}, vfs.MountOptions{}},
		{"empty", mem, []vfs.Mount{{Path: "", Fs: mem}}, vfs.MountOptions{}},
		{"relative", mem, []vfs.Mount{{Path: "a", Fs: mem}}, vfs.MountOptions{}},
		{"trailing slash", mem, []vfs.Mount{{Path: "/a/", Fs: mem}}, vfs.MountOptions{}},
		{"dotdot", mem, []vfs.Mount{{Path: "/a/../b", Fs: mem}}, vfs.MountOptions{}},
		{"double slash", mem, []vfs.Mount{{Path: "//a", Fs: mem}}, vfs.MountOptions{}},
		{"backslash", mem, []vfs.Mount{{Path: `/a\b`, Fs: mem}}, vfs.MountOptions{}},
		{"NUL", mem, []vfs.Mount{{Path: "/a\x00", Fs: mem}}, vfs.MountOptions{}},
		{"duplicate", mem, []vfs.Mount{{Path: "/a", Fs: mem}, {Path: "/a", Fs: afero.NewMemMapFs()}}, vfs.MountOptions{}},
		{"duplicate folded", mem, []vfs.Mount{{Path: "/a/B", Fs: mem}, {Path: "/A/b", Fs: mem}}, vfs.MountOptions{CaseInsensitive: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if mt, err := vfs.NewMountTable(tc.home, tc.mounts, tc.opt); err == nil {
				t.Errorf("NewMountTable succeeded: %v", mt)
			}
		})
	}
	// Different case is fine when matching is case-sensitive; nesting and
	// no mounts at all are fine.
	for _, mounts := range [][]vfs.Mount{
		{{Path: "/a/B", Fs: mem}, {Path: "/A/b", Fs: mem}},
		{{Path: "/a", Fs: mem}, {Path: "/a/b", Fs: mem}, {Path: "/a/b/c/d", Fs: mem}},
		nil,
	} {
		if _, err := vfs.NewMountTable(mem, mounts, vfs.MountOptions{}); err != nil {
			t.Errorf("NewMountTable(%v): %v", mounts, err)
		}
	}
}

// TestMount_VF03_LongestPrefix: the longest mount path wins; the mount
// path itself is the backend's "/".
func TestMount_VF03_LongestPrefix(t *testing.T) {
	x := newMtFixture(t)
	tests := []struct {
		name string
		want string // content of name/f, or "" if missing
		host string // host directory that name is
	}{
		{"/", "home", x.home},
		{"/team", "team", x.team},
		{"/team/nested", "nested", x.nested},
		{"/upload/sales/emea", "emea", x.emea},
		{"/team/sub", "", filepath.Join(x.team, "sub")},
		{"/docs", "", filepath.Join(x.home, "docs")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fi, err := x.t.Stat(tc.name)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if !mtSameHost(t, fi, tc.host) {
				t.Errorf("Stat(%q) is not the host directory %s", tc.name, tc.host)
			}
			if want := path.Base(tc.name); fi.Name() != want {
				t.Errorf("Stat(%q).Name() = %q; want %q", tc.name, fi.Name(), want)
			}
			f := path.Join(tc.name, "f")
			if tc.want == "" {
				if _, err := x.t.Stat(f); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Stat(%q) = %v; want fs.ErrNotExist", f, err)
				}
				return
			}
			if got := mtRead(t, x.t, f); got != tc.want {
				t.Errorf("content of %q = %q; want %q", f, got, tc.want)
			}
		})
	}
	// A longer name sharing a prefix is not below the mount.
	for _, name := range []string{"/teamx", "/team2/f", "/teamnested", "/team/nestedx", "/upload/salesx"} {
		if _, err := x.t.Stat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v; want fs.ErrNotExist", name, err)
		}
	}
	mtWrite(t, x.home, "teamx", "home-teamx")
	if got := mtRead(t, x.t, "/teamx"); got != "home-teamx" {
		t.Errorf("/teamx = %q; want the home's file", got)
	}
	mtWrite(t, x.team, "nestedx", "team-nestedx")
	if got := mtRead(t, x.t, "/team/nestedx"); got != "team-nestedx" {
		t.Errorf("/team/nestedx = %q; want the team's file", got)
	}
	// Non-canonical names are refused.
	for _, name := range []string{"", "team", "/team/", "/team/../f", "/./f", "//f", "/f\x00"} {
		if _, err := x.t.Stat(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Stat(%q) = %v; want fs.ErrInvalid", name, err)
		}
	}
}

// TestMount_VF04_MergedListing: "/" lists the home's entries plus the
// first components of the mount paths; a mount point with a nested mount
// lists both (SPEC 6(d)).
func TestMount_VF04_MergedListing(t *testing.T) {
	x := newMtFixture(t)
	tests := []struct {
		dir  string
		want []string
		dirs []string // entries that must be directories
	}{
		{"/", []string{"docs", "f", "file.txt", "gone", "team", "upload"}, []string{"docs", "gone", "team", "upload"}},
		{"/team", []string{"a.txt", "f", "nested", "sub"}, []string{"nested", "sub"}},
		{"/team/nested", []string{"f"}, nil},
		{"/upload", []string{"sales"}, []string{"sales"}},
		{"/upload/sales", []string{"emea"}, []string{"emea"}},
		{"/upload/sales/emea", []string{"f"}, nil},
		{"/team/sub", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			if got := mtList(t, x.t, tc.dir); !slices.Equal(got, tc.want) {
				t.Errorf("Readdirnames(%q) = %q; want %q", tc.dir, got, tc.want)
			}
			f, err := x.t.Open(tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fis, err := f.Readdir(-1)
			if err != nil {
				t.Fatalf("Readdir(-1): %v", err)
			}
			var names []string
			for _, fi := range fis {
				names = append(names, fi.Name())
				if fi.IsDir() != slices.Contains(tc.dirs, fi.Name()) {
					t.Errorf("%s: IsDir() = %v", fi.Name(), fi.IsDir())
				}
			}
			sort.Strings(names)
			if !slices.Equal(names, tc.want) {
				t.Errorf("Readdir(%q) = %q; want %q", tc.dir, names, tc.want)
			}
		})
	}

	// A mount point entry is the Stat of the mount's root.
	f, err := x.t.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	fis, err := f.Readdir(-1)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range fis {
		if fi.Name() == "team" && !mtSameHost(t, fi, x.team) {
			t.Errorf("listed team is not the team mount's root")
		}
		if fi.Name() == "gone" && (fi.Mode() != fs.ModeDir|0o555 || !fi.IsDir()) {
			t.Errorf("listed missing mount = %v; want a synthetic directory", fi.Mode())
		}
	}
}

// TestMount_VF04_Paging: paged listings of a merged directory yield every
// entry exactly once, whatever the page size, with Readdir and
// Readdirnames mixed.
func TestMount_VF04_Paging(t *testing.T) {
	base := t.TempDir()
	want := map[string]bool{}
	for i := range 57 {
		name := fmt.Sprintf("r%02d", i)
		mtWrite(t, base, name, "")
		want[name] = true
	}
	// Real entries with the name of a virtual one are hidden (VF-10).
	mtMkdir(t, base, "v03")
	mtWrite(t, base, "v05", "shadowed")
	var mounts []vfs.Mount
	for i := range 7 {
		p := fmt.Sprintf("/v%02d", i)
		if i%2 == 1 {
			p += "/deeper"
		}
		mounts = append(mounts, vfs.Mount{Path: p, Fs: afero.NewMemMapFs()})
		want[fmt.Sprintf("v%02d", i)] = true
	}
	mt := mtTable(t, mtRootFs(t, base), mounts, vfs.MountOptions{})
	for _, page := range []int{1, 2, 3, 6, 7, 8, 50, 63, 64, 65, 200} {
		for _, mode := range []string{"Readdir", "Readdirnames", "mixed"} {
			t.Run(fmt.Sprintf("%s/%d", mode, page), func(t *testing.T) {
				f, err := mt.Open("/")
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				seen := map[string]int{}
				for call := 0; ; call++ {
					if call > len(want)+2 {
						t.Fatal("listing does not end")
					}
					var names []string
					var err error
					if mode == "Readdir" || (mode == "mixed" && call%2 == 0) {
						var fis []os.FileInfo
						fis, err = f.Readdir(page)
						for _, fi := range fis {
							names = append(names, fi.Name())
						}
					} else {
						names, err = f.Readdirnames(page)
					}
					if len(names) > page {
						t.Fatalf("page of %d entries; want at most %d", len(names), page)
					}
					for _, n := range names {
						seen[n]++
					}
					if err == io.EOF {
						if len(names) != 0 {
							t.Errorf("io.EOF with %d entries", len(names))
						}
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if len(names) == 0 {
						t.Fatal("empty page without io.EOF")
					}
				}
				for n := range want {
					if seen[n] != 1 {
						t.Errorf("%q seen %d times; want 1", n, seen[n])
					}
				}
				for n := range seen {
					if !want[n] {
						t.Errorf("unexpected entry %q", n)
					}
				}
			})
		}
	}

	// Seek(0, SeekStart) restarts the listing.
	f, err := mt.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	again, err := f.Readdirnames(-1)
	if err != nil || len(again) != len(first) || len(first) != len(want) {
		t.Errorf("after Seek: %d names, %v; want %d (first pass %d)", len(again), err, len(want), len(first))
	}
	if names, err := f.Readdirnames(-1); err != nil || len(names) != 0 {
		t.Errorf("Readdirnames(-1) at the end = %q, %v; want none, nil", names, err)
	}
	if names, err := f.Readdirnames(5); err != io.EOF || len(names) != 0 {
		t.Errorf("Readdirnames(5) at the end = %q, %v; want none, io.EOF", names, err)
	}
}

// TestMount_VF05_Synthetic: synthetic folders are read-only directories
// that list only the next virtual components.
func TestMount_VF05_Synthetic(t *testing.T) {
	x := newMtFixture(t)
	before := mtTree(t, x.base)
	for _, dir := range []string{"/upload", "/upload/sales"} {
		t.Run(dir, func(t *testing.T) {
			fi, err := x.t.Stat(dir)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if !fi.IsDir() || fi.Mode() != fs.ModeDir|0o555 || fi.Name() != path.Base(dir) || fi.Size() != 0 || fi.Sys() != nil {
				t.Errorf("Stat = %q %v size %d; want directory 0555", fi.Name(), fi.Mode(), fi.Size())
			}
			fi2, _, err := x.t.LstatIfPossible(dir)
			if err != nil || !fi2.ModTime().Equal(fi.ModTime()) || fi2.Mode() != fi.Mode() {
				t.Errorf("Lstat = %v, %v; want the same as Stat (deterministic)", fi2, err)
			}
			f, err := x.t.Open(dir)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if ffi, err := f.Stat(); err != nil || !ffi.IsDir() || f.Name() != dir {
				t.Errorf("File.Stat = %v, %v; Name = %q", ffi, err, f.Name())
			}
			if _, err := f.Read(make([]byte, 1)); err == nil {
				t.Error("Read of a synthetic folder succeeded")
			}
			if _, err := f.Write([]byte("x")); !errors.Is(err, fs.ErrPermission) {
				t.Errorf("Write = %v; want fs.ErrPermission", err)
			}
			f.Close()

			child := dir + "/new"
			ops := []struct {
				name string
				err  error
			}{
				{"Mkdir child", x.t.Mkdir(child, 0o755)},
				{"MkdirAll child", x.t.MkdirAll(child+"/deeper", 0o755)},
				{"Create child", mtCloseIfOpen(x.t.Create(child))},
				{"OpenFile child O_CREATE", mtCloseIfOpen(x.t.OpenFile(child, os.O_WRONLY|os.O_CREATE, 0o644))},
				{"Symlink child", x.t.SymlinkIfPossible("/f", child)},
				{"Rename into", x.t.Rename("/f", child)},
				{"Remove", x.t.Remove(dir)},
				{"RemoveAll", x.t.RemoveAll(dir)},
				{"Rename source", x.t.Rename(dir, "/moved")},
				{"Rename destination", x.t.Rename("/docs", dir)},
				{"Chmod", x.t.Chmod(dir, 0o777)},
				{"Chtimes", x.t.Chtimes(dir, time.Now(), time.Now())},
				{"Chown", x.t.Chown(dir, os.Getuid(), os.Getgid())},
				{"OpenFile write", mtCloseIfOpen(x.t.OpenFile(dir, os.O_WRONLY, 0))},
			}
			for _, op := range ops {
				if !errors.Is(op.err, fs.ErrPermission) {
					t.Errorf("%s: %v; want fs.ErrPermission", op.name, op.err)
				}
			}
			// Nothing lives in a synthetic folder besides the virtual
			// components.
			for _, name := range []string{child, child + "/x"} {
				if _, err := x.t.Stat(name); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Stat(%q) = %v; want fs.ErrNotExist", name, err)
				}
				if err := mtCloseIfOpen(x.t.Open(name)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Open(%q) = %v; want fs.ErrNotExist", name, err)
				}
				if err := x.t.Remove(name); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Remove(%q) = %v; want fs.ErrNotExist", name, err)
				}
			}
		})
	}
	if after := mtTree(t, x.base); after != before {
		t.Errorf("storage changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestMount_VF05_SyntheticInsideMount: a proper prefix of a nested mount
// path inside another mount is synthetic too, and hides a real entry.
func TestMount_VF05_SyntheticInsideMount(t *testing.T) {
	base := t.TempDir()
	mtWrite(t, filepath.Join(base, "x"), "b/real", "shadowed")
	mtWrite(t, filepath.Join(base, "x"), "keep", "k")
	mtWrite(t, filepath.Join(base, "y"), "f", "y")
	mt := mtTable(t, afero.NewMemMapFs(), []vfs.Mount{
		{Path: "/a", Fs: mtRootFs(t, filepath.Join(base, "x"))},
		{Path: "/a/b/c", Fs: mtRootFs(t, filepath.Join(base, "y"))},
	}, vfs.MountOptions{})
	if got := mtList(t, mt, "/a"); !slices.Equal(got, []string{"b", "keep"}) {
		t.Errorf("/a lists %q", got)
	}
	if got := mtList(t, mt, "/a/b"); !slices.Equal(got, []string{"c"}) {
		t.Errorf("/a/b lists %q; want [c]", got)
	}
	if fi, err := mt.Stat("/a/b"); err != nil || fi.Mode() != fs.ModeDir|0o555 {
		t.Errorf("Stat(/a/b) = %v, %v; want synthetic directory", fi, err)
	}
	if _, err := mt.Stat("/a/b/real"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(/a/b/real) = %v; want fs.ErrNotExist (shadowed)", err)
	}
	if err := mt.Remove("/a/b"); !errors.Is(err, vfs.ErrProtected) {
		t.Errorf("Remove(/a/b) = %v; want ErrProtected", err)
	}
	if got := mtRead(t, mt, "/a/b/c/f"); got != "y" {
		t.Errorf("/a/b/c/f = %q", got)
	}
	if err := mt.CheckCollisions(); !errors.Is(err, vfs.ErrVirtualFolderConflict) {
		t.Errorf("CheckCollisions = %v; want a conflict for /a/b", err)
	}
}

// TestMount_VF06_Protected: mount points and the home root (HOME-19)
// cannot be removed, renamed or have attributes set; their content can.
func TestMount_VF06_Protected(t *testing.T) {
	x := newMtFixture(t)
	before := mtTree(t, x.base)
	now := time.Now()
	for _, p := range []string{"/", "/team", "/team/nested", "/upload/sales/emea", "/gone"} {
		t.Run(p, func(t *testing.T) {
			ops := []struct {
				name string
				err  error
			}{
				{"Remove", x.t.Remove(p)},
				{"RemoveAll", x.t.RemoveAll(p)},
				{"Rename source", x.t.Rename(p, "/moved")},
				{"Rename source within", x.t.Rename(p, p+"x")},
				{"Rename destination", x.t.Rename("/f", p)},
				{"Rename destination from own backend", x.t.Rename(path.Join(p, "f"), p)},
				{"Chmod", x.t.Chmod(p, 0o700)},
				{"Chtimes", x.t.Chtimes(p, now, now)},
				{"Chown", x.t.Chown(p, os.Getuid(), os.Getgid())},
			}
			for _, op := range ops {
				if !errors.Is(op.err, vfs.ErrProtected) || !errors.Is(op.err, fs.ErrPermission) {
					t.Errorf("%s: %v; want ErrProtected (fs.ErrPermission)", op.name, op.err)
				}
			}
		})
	}
	if after := mtTree(t, x.base); after != before {
		t.Errorf("storage changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Stat, Open and creating children are delegated.
	for _, p := range []string{"/team", "/team/nested", "/upload/sales/emea"} {
		if fi, err := x.t.Stat(p); err != nil || !fi.IsDir() {
			t.Errorf("Stat(%q) = %v, %v", p, fi, err)
		}
		if err := afero.WriteFile(x.t, p+"/new", []byte(p), 0o644); err != nil {
			t.Errorf("WriteFile(%q/new): %v", p, err)
		}
		if err := x.t.Mkdir(p+"/newdir", 0o755); err != nil {
			t.Errorf("Mkdir(%q/newdir): %v", p, err)
		}
	}
	for host, want := range map[string]string{x.team: "/team", x.nested: "/team/nested", x.emea: "/upload/sales/emea"} {
		if data, err := os.ReadFile(filepath.Join(host, "new")); err != nil || string(data) != want {
			t.Errorf("host file %s/new = %q, %v; want %q", host, data, err, want)
		}
		if fi, err := os.Stat(filepath.Join(host, "newdir")); err != nil || !fi.IsDir() {
			t.Errorf("host dir %s/newdir: %v", host, err)
		}
	}
}

// TestMount_VF07_BelowMount: everything below a mount point is delegated.
func TestMount_VF07_BelowMount(t *testing.T) {
	x := newMtFixture(t)
	steps := []struct {
		name string
		do   func() error
	}{
		{"MkdirAll", func() error { return x.t.MkdirAll("/team/sub/vid/deep", 0o755) }},
		{"Create", func() error { return afero.WriteFile(x.t, "/team/sub/vid/deep/f", []byte("v"), 0o644) }},
		{"Rename", func() error { return x.t.Rename("/team/sub/vid/deep/f", "/team/sub/g") }},
		{"Chmod", func() error { return x.t.Chmod("/team/sub/g", 0o600) }},
		{"Chtimes", func() error {
			return x.t.Chtimes("/team/sub/g", time.Unix(1e9, 0), time.Unix(1e9, 0))
		}},
		{"Remove", func() error { return x.t.Remove("/team/sub/vid/deep") }},
		{"RemoveAll", func() error { return x.t.RemoveAll("/team/sub/vid") }},
		{"Remove file", func() error { return x.t.Remove("/team/a.txt") }},
		{"Rename dir in nested", func() error {
			if err := x.t.Mkdir("/team/nested/d", 0o755); err != nil {
				return err
			}
			return x.t.Rename("/team/nested/d", "/team/nested/e")
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	fi, err := os.Stat(filepath.Join(x.team, "sub", "g"))
	if err != nil || fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(time.Unix(1e9, 0)) {
		t.Errorf("host team/sub/g = %v, %v", fi, err)
	}
	for _, gone := range []string{"sub/vid", "a.txt"} {
		if _, err := os.Stat(filepath.Join(x.team, gone)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("host team/%s still exists", gone)
		}
	}
	if fi, err := os.Stat(filepath.Join(x.nested, "e")); err != nil || !fi.IsDir() {
		t.Errorf("host nested/e: %v", err)
	}
	f, err := x.t.Open("/team/sub/g")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Name() != "/team/sub/g" {
		t.Errorf("Name() = %q; want the virtual path", f.Name())
	}
	if fi, err := f.Stat(); err != nil || fi.Name() != "g" {
		t.Errorf("File.Stat = %v, %v", fi, err)
	}
}

// TestMount_VF08_CrossBackendRename: renames between backends fail with
// EXDEV and copy nothing.
func TestMount_VF08_CrossBackendRename(t *testing.T) {
	x := newMtFixture(t)
	tests := []struct{ from, to string }{
		{"/f", "/team/moved"},
		{"/team/f", "/moved"},
		{"/team/f", "/team/nested/moved"},
		{"/team/nested/f", "/team/moved"},
		{"/team/f", "/upload/sales/emea/moved"},
		{"/upload/sales/emea/f", "/docs/moved"},
		{"/docs", "/team/docs"},
		{"/team/sub", "/team/nested/sub"},
		{"/f", "/gone/f"},
	}
	before := mtTree(t, x.base)
	for _, tc := range tests {
		err := x.t.Rename(tc.from, tc.to)
		if !errors.Is(err, syscall.EXDEV) {
			t.Errorf("Rename(%q, %q) = %v; want EXDEV", tc.from, tc.to, err)
		}
		var le *os.LinkError
		if !errors.As(err, &le) || le.Old != tc.from || le.New != tc.to {
			t.Errorf("Rename(%q, %q) = %#v; want *os.LinkError with the virtual names", tc.from, tc.to, err)
		}
	}
	if after := mtTree(t, x.base); after != before {
		t.Errorf("storage changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Within one backend it works, also over an existing file.
	if err := x.t.Rename("/team/a.txt", "/team/sub/a.txt"); err != nil {
		t.Errorf("Rename within a mount: %v", err)
	}
	if err := x.t.Rename("/file.txt", "/f"); err != nil {
		t.Errorf("Rename within the home: %v", err)
	}
	if got := mtRead(t, x.t, "/f"); got != "text" {
		t.Errorf("/f = %q", got)
	}
}

// TestMount_VF09_Collisions is the test matrix of VF-09 plus nested
// mounts (SPEC 6(d)).
func TestMount_VF09_Collisions(t *testing.T) {
	type entry struct{ name, kind string } // kind: "dir", "file", "link"
	tests := []struct {
		name     string
		home     []entry
		x        []entry // entries of the mount /a's backend, if used
		mounts   []string
		ci       bool
		existing string // "" = no collision
		virtual  string
	}{
		{name: "real dir parent", home: []entry{{"upload", "dir"}}, mounts: []string{"/upload/team/sales"}, existing: "/upload", virtual: "/upload/team/sales"},
		{name: "real file parent", home: []entry{{"upload", "file"}}, mounts: []string{"/upload/team/sales"}, existing: "/upload", virtual: "/upload/team/sales"},
		{name: "dangling link parent", home: []entry{{"upload", "link"}}, mounts: []string{"/upload/team/sales"}, existing: "/upload", virtual: "/upload/team/sales"},
		{name: "similar name", home: []entry{{"upload2", "dir"}, {"uploa", "file"}}, mounts: []string{"/upload/team/sales"}},
		{name: "no real entry", mounts: []string{"/upload/team/sales"}},
		{name: "real dir at mount path", home: []entry{{"invoices", "dir"}}, mounts: []string{"/invoices"}, existing: "/invoices", virtual: "/invoices"},
		{name: "nested collides in outer mount", x: []entry{{"b", "dir"}}, mounts: []string{"/a", "/a/b"}, existing: "/a/b", virtual: "/a/b"},
		{name: "nested deeper collides in outer mount", x: []entry{{"b", "file"}}, mounts: []string{"/a", "/a/b/c"}, existing: "/a/b", virtual: "/a/b/c"},
		{name: "nested ok", x: []entry{{"bb", "dir"}}, mounts: []string{"/a", "/a/b/c"}},
		{name: "outer mount collides in home", home: []entry{{"a", "dir"}}, mounts: []string{"/a", "/a/b"}, existing: "/a", virtual: "/a"},
		{name: "case differs, sensitive", home: []entry{{"Upload", "dir"}}, mounts: []string{"/upload/x"}},
		{name: "case differs, insensitive", home: []entry{{"Upload", "dir"}}, mounts: []string{"/upload/x"}, ci: true, existing: "/upload", virtual: "/upload/x"},
		{name: "nested case insensitive", x: []entry{{"B", "dir"}}, mounts: []string{"/A", "/a/b"}, ci: true, existing: "/a/b", virtual: "/a/b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			make := func(dir string, entries []entry) afero.Fs {
				mtMkdir(t, base, dir)
				host := filepath.Join(base, dir)
				for _, e := range entries {
					switch e.kind {
					case "dir":
						mtMkdir(t, host, e.name)
					case "file":
						mtWrite(t, host, e.name, "x")
					case "link":
						if err := os.Symlink("missing-target", filepath.Join(host, e.name)); err != nil {
							t.Fatal(err)
						}
					}
				}
				return mtRootFs(t, host)
			}
			home := make("home", tc.home)
			var mounts []vfs.Mount
			for i, p := range tc.mounts {
				var fsys afero.Fs
				if i == 0 && strings.EqualFold(p, "/a") {
					fsys = make("x", tc.x)
				} else {
					fsys = make(fmt.Sprintf("m%d", i), nil)
				}
				mounts = append(mounts, vfs.Mount{Path: p, Fs: fsys})
			}
			mt := mtTable(t, home, mounts, vfs.MountOptions{CaseInsensitive: tc.ci})
			err := mt.CheckCollisions()
			if tc.existing == "" {
				if err != nil {
					t.Fatalf("CheckCollisions = %v; want nil", err)
				}
				return
			}
			var ce *vfs.CollisionError
			if !errors.Is(err, vfs.ErrVirtualFolderConflict) || !errors.As(err, &ce) {
				t.Fatalf("CheckCollisions = %v; want a *CollisionError", err)
			}
			if ce.Existing != tc.existing || ce.Virtual != tc.virtual {
				t.Errorf("CollisionError = %+v; want Virtual %q Existing %q", ce, tc.virtual, tc.existing)
			}
			if strings.Contains(err.Error(), base) {
				t.Errorf("error %q reveals a host path", err)
			}
		})
	}

	// A missing backend has no entries, so it collides with nothing.
	mt := mtTable(t, afero.NewMemMapFs(), []vfs.Mount{
		{Path: "/a", Fs: vfs.Missing()}, {Path: "/a/b", Fs: afero.NewMemMapFs()},
	}, vfs.MountOptions{})
	if err := mt.CheckCollisions(); err != nil {
		t.Errorf("CheckCollisions with a missing mount = %v", err)
	}
	mt = mtTable(t, afero.NewMemMapFs(), []vfs.Mount{
		{Path: "/A", Fs: vfs.Missing()}, {Path: "/a/b", Fs: afero.NewMemMapFs()},
	}, vfs.MountOptions{CaseInsensitive: true})
	if err := mt.CheckCollisions(); err != nil {
		t.Errorf("CheckCollisions with a missing mount (case-insensitive) = %v", err)
	}
}

// TestMount_VF10_Shadowed: a real entry created after login that collides
// with a virtual path is hidden; the virtual one wins.
func TestMount_VF10_Shadowed(t *testing.T) {
	x := newMtFixture(t)
	mtWrite(t, x.home, "team/secret", "real")
	mtWrite(t, x.home, "upload", "real file")
	mtWrite(t, x.team, "nested/secret", "real")
	for dir, want := range map[string][]string{
		"/":     {"docs", "f", "file.txt", "gone", "team", "upload"},
		"/team": {"a.txt", "f", "nested", "sub"},
	} {
		if got := mtList(t, x.t, dir); !slices.Equal(got, want) {
			t.Errorf("%s lists %q; want %q", dir, got, want)
		}
	}
	for _, p := range []string{"/team/secret", "/team/nested/secret"} {
		if _, err := x.t.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v; want fs.ErrNotExist", p, err)
		}
	}
	if fi, err := x.t.Stat("/upload"); err != nil || !fi.IsDir() {
		t.Errorf("Stat(/upload) = %v, %v; want the synthetic directory", fi, err)
	}
	if err := x.t.CheckCollisions(); !errors.Is(err, vfs.ErrVirtualFolderConflict) {
		t.Errorf("CheckCollisions = %v; want a conflict at the next login", err)
	}
}

// TestMount_VF11_CreateOverVirtual: creating a real entry at a virtual or
// synthetic path fails with fs.ErrExist without touching storage.
func TestMount_VF11_CreateOverVirtual(t *testing.T) {
	x := newMtFixture(t)
	before := mtTree(t, x.base)
	for _, p := range []string{"/upload", "/upload/sales", "/upload/sales/emea", "/team", "/team/nested", "/gone", "/"} {
		t.Run(p, func(t *testing.T) {
			ops := []struct {
				name string
				err  error
			}{
				{"Mkdir", x.t.Mkdir(p, 0o755)},
				{"Symlink", x.t.SymlinkIfPossible("/f", p)},
			}
			if p != "/" {
				ops = append(ops,
					struct {
						name string
						err  error
					}{"OpenFile O_CREATE", mtCloseIfOpen(x.t.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o644))},
					struct {
						name string
						err  error
					}{"OpenFile O_CREATE|O_EXCL", mtCloseIfOpen(x.t.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644))},
					struct {
						name string
						err  error
					}{"Create", mtCloseIfOpen(x.t.Create(p))},
				)
			}
			for _, op := range ops {
				if !errors.Is(op.err, fs.ErrExist) {
					t.Errorf("%s(%q) = %v; want fs.ErrExist", op.name, p, op.err)
				}
			}
			if err := x.t.MkdirAll(p, 0o755); err != nil {
				t.Errorf("MkdirAll(%q) = %v; want nil (exists)", p, err)
			}
		})
	}
	if after := mtTree(t, x.base); after != before {
		t.Errorf("storage changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestMount_VF12_Missing: a mount whose real path is missing is listed and
// protected, and everything inside reports fs.ErrNotExist.
func TestMount_VF12_Missing(t *testing.T) {
	x := newMtFixture(t)
	if got := mtList(t, x.t, "/"); !slices.Contains(got, "gone") {
		t.Errorf("/ lists %q; want gone", got)
	}
	fi, err := x.t.Stat("/gone")
	if err != nil || !fi.IsDir() || fi.Name() != "gone" {
		t.Errorf("Stat(/gone) = %v, %v; want a directory", fi, err)
	}
	notExist := []struct {
		name string
		err  error
	}{
		{"Open", mtCloseIfOpen(x.t.Open("/gone"))},
		{"Open child", mtCloseIfOpen(x.t.Open("/gone/x"))},
		{"Stat child", func() error { _, err := x.t.Stat("/gone/x"); return err }()},
		{"Create child", mtCloseIfOpen(x.t.Create("/gone/x"))},
		{"Mkdir child", x.t.Mkdir("/gone/x", 0o755)},
		{"MkdirAll child", x.t.MkdirAll("/gone/x/y", 0o755)},
		{"Remove child", x.t.Remove("/gone/x")},
		{"Rename inside", x.t.Rename("/gone/x", "/gone/y")},
		{"Chmod child", x.t.Chmod("/gone/x", 0o644)},
		{"Readlink child", func() error { _, err := x.t.ReadlinkIfPossible("/gone/x"); return err }()},
	}
	for _, op := range notExist {
		if !errors.Is(op.err, fs.ErrNotExist) {
			t.Errorf("%s: %v; want fs.ErrNotExist", op.name, op.err)
		}
		var pe *fs.PathError
		var le *os.LinkError
		if !errors.As(op.err, &pe) && !errors.As(op.err, &le) {
			t.Errorf("%s: %#v; want a path error", op.name, op.err)
		} else if pe != nil && !strings.HasPrefix(pe.Path, "/gone") {
			t.Errorf("%s: error path %q; want the virtual path", op.name, pe.Path)
		}
	}
	if err := x.t.Remove("/gone"); !errors.Is(err, vfs.ErrProtected) {
		t.Errorf("Remove(/gone) = %v; want ErrProtected", err)
	}

	// Missing() itself.
	m := vfs.Missing()
	if m.Name() == "" {
		t.Error("Missing().Name() is empty")
	}
	for name, err := range map[string]error{
		"Create":    mtCloseIfOpen(m.Create("/x")),
		"Open":      mtCloseIfOpen(m.Open("/")),
		"OpenFile":  mtCloseIfOpen(m.OpenFile("/x", os.O_RDWR|os.O_CREATE, 0o644)),
		"Mkdir":     m.Mkdir("/x", 0o755),
		"MkdirAll":  m.MkdirAll("/x", 0o755),
		"Remove":    m.Remove("/x"),
		"RemoveAll": m.RemoveAll("/x"),
		"Rename":    m.Rename("/x", "/y"),
		"Stat":      func() error { _, err := m.Stat("/"); return err }(),
		"Chmod":     m.Chmod("/x", 0o644),
		"Chown":     m.Chown("/x", 0, 0),
		"Chtimes":   m.Chtimes("/x", time.Now(), time.Now()),
	} {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Missing().%s = %v; want fs.ErrNotExist", name, err)
		}
	}
}

// TestMount_VF14_CaseInsensitive: with CaseInsensitive, virtual paths
// match in any case and are listed in lower case.
func TestMount_VF14_CaseInsensitive(t *testing.T) {
	base := t.TempDir()
	home, team := filepath.Join(base, "home"), filepath.Join(base, "team")
	mtWrite(t, home, "Other", "home")
	mtWrite(t, team, "F", "team")
	homeFs, teamFs := mtRootFs(t, home), mtRootFs(t, team)
	mounts := []vfs.Mount{{Path: "/Upload/Team", Fs: teamFs}}
	ci := mtTable(t, homeFs, mounts, vfs.MountOptions{CaseInsensitive: true})
	cs := mtTable(t, homeFs, mounts, vfs.MountOptions{})

	tests := []struct {
		name   string
		ci, cs string // content of the file, "" = fs.ErrNotExist
	}{
		{"/Upload/Team/F", "team", "team"},
		{"/upload/team/F", "team", ""},
		{"/UPLOAD/TEAM/F", "team", ""},
		{"/uPlOaD/Team/F", "team", ""},
		{"/upload/team/f", "", ""}, // inside the backend, its own rules apply
		{"/Other", "home", "home"},
		{"/other", "", ""},
	}
	for _, tc := range tests {
		for _, v := range []struct {
			mt   *vfs.MountTable
			want string
		}{{ci, tc.ci}, {cs, tc.cs}} {
			data, err := afero.ReadFile(v.mt, tc.name)
			if v.want == "" {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("ReadFile(%q) (ci=%v) = %q, %v; want fs.ErrNotExist", tc.name, v.mt == ci, data, err)
				}
			} else if err != nil || string(data) != v.want {
				t.Errorf("ReadFile(%q) (ci=%v) = %q, %v; want %q", tc.name, v.mt == ci, data, err, v.want)
			}
		}
	}
	if got := mtList(t, ci, "/"); !slices.Equal(got, []string{"Other", "upload"}) {
		t.Errorf("case-insensitive / lists %q; want [Other upload]", got)
	}
	if got := mtList(t, ci, "/UPLOAD"); !slices.Equal(got, []string{"team"}) {
		t.Errorf("case-insensitive /UPLOAD lists %q; want [team]", got)
	}
	if got := mtList(t, cs, "/"); !slices.Equal(got, []string{"Other", "Upload"}) {
		t.Errorf("case-sensitive / lists %q; want [Other Upload]", got)
	}
	for _, p := range []string{"/UPLOAD", "/upload/TEAM"} {
		if fi, err := ci.Stat(p); err != nil || fi.Name() != path.Base(strings.ToLower(p)) {
			t.Errorf("Stat(%q) = %v, %v; want lower-case name", p, fi, err)
		}
		if err := ci.Remove(p); !errors.Is(err, vfs.ErrProtected) {
			t.Errorf("Remove(%q) = %v; want ErrProtected", p, err)
		}
		if err := ci.Mkdir(p, 0o755); !errors.Is(err, fs.ErrExist) {
			t.Errorf("Mkdir(%q) = %v; want fs.ErrExist", p, err)
		}
	}
	// A real entry differing only in case is hidden when case-insensitive.
	mtMkdir(t, home, "UPLOAD")
	if got := mtList(t, ci, "/"); !slices.Equal(got, []string{"Other", "upload"}) {
		t.Errorf("case-insensitive / lists %q; want [Other upload]", got)
	}
	if got := mtList(t, cs, "/"); !slices.Equal(got, []string{"Other", "UPLOAD", "Upload"}) {
		t.Errorf("case-sensitive / lists %q; want [Other UPLOAD Upload]", got)
	}
	if err := ci.CheckCollisions(); !errors.Is(err, vfs.ErrVirtualFolderConflict) {
		t.Errorf("case-insensitive CheckCollisions = %v; want a conflict", err)
	}
	if err := cs.CheckCollisions(); err != nil {
		t.Errorf("case-sensitive CheckCollisions = %v; want nil", err)
	}
}

// TestMount_ErrorsNameVirtualPaths: errors from a mount's backend carry
// the virtual path, never the mount-relative one or a host path, and keep
// their cause.
func TestMount_ErrorsNameVirtualPaths(t *testing.T) {
	x := newMtFixture(t)
	mtWrite(t, x.team, "full/x", "x")
	type check struct {
		name string
		err  error
		want error // errors.Is
		path string
		old  string
		new  string
	}
	checks := []check{
		{name: "Stat", err: func() error { _, err := x.t.Stat("/team/missing"); return err }(), want: fs.ErrNotExist, path: "/team/missing"},
		{name: "Lstat", err: func() error { _, _, err := x.t.LstatIfPossible("/team/nested/missing"); return err }(), want: fs.ErrNotExist, path: "/team/nested/missing"},
		{name: "Open", err: mtCloseIfOpen(x.t.Open("/upload/sales/emea/missing")), want: fs.ErrNotExist, path: "/upload/sales/emea/missing"},
		{name: "Mkdir", err: x.t.Mkdir("/team/sub", 0o755), want: fs.ErrExist, path: "/team/sub"},
		{name: "Remove", err: x.t.Remove("/team/full"), want: syscall.ENOTEMPTY, path: "/team/full"},
		{name: "Chmod", err: x.t.Chmod("/team/missing", 0o644), want: fs.ErrNotExist, path: "/team/missing"},
		{name: "Chtimes", err: x.t.Chtimes("/team/missing", time.Now(), time.Now()), want: fs.ErrNotExist, path: "/team/missing"},
		{name: "Chown", err: x.t.Chown("/team/missing", os.Getuid(), os.Getgid()), want: fs.ErrNotExist, path: "/team/missing"},
		{name: "OpenFile excl", err: mtCloseIfOpen(x.t.OpenFile("/team/f", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)), want: fs.ErrExist, path: "/team/f"},
		{name: "Readlink", err: func() error { _, err := x.t.ReadlinkIfPossible("/team/f"); return err }(), want: syscall.EINVAL, path: "/team/f"},
		{name: "Rename", err: x.t.Rename("/team/missing", "/team/other"), want: fs.ErrNotExist, old: "/team/missing", new: "/team/other"},
		{name: "escape", err: mtCloseIfOpen(x.t.Open("/team/../etc")), want: fs.ErrInvalid, path: "/team/../etc"},
	}
	for _, c := range checks {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, c.err, c.want)
		}
		if c.path != "" {
			var pe *fs.PathError
			if !errors.As(c.err, &pe) || pe.Path != c.path {
				t.Errorf("%s: %#v; want *fs.PathError with Path %q", c.name, c.err, c.path)
			}
		} else {
			var le *os.LinkError
			if !errors.As(c.err, &le) || le.Old != c.old || le.New != c.new {
				t.Errorf("%s: %#v; want *os.LinkError %q -> %q", c.name, c.err, c.old, c.new)
			}
		}
		if c.err != nil && strings.Contains(c.err.Error(), x.base) {
			t.Errorf("%s: %q reveals a host path", c.name, c.err)
		}
	}

	// File errors name the virtual path too.
	f, err := x.t.OpenFile("/team/f", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("Write on a read-only file succeeded")
	} else {
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != "/team/f" || strings.Contains(err.Error(), x.base) {
			t.Errorf("Write error = %v; want *fs.PathError naming /team/f", err)
		}
	}
	f.Close()
	if _, err := f.ReadAt(make([]byte, 1), 0); err == nil || !strings.Contains(err.Error(), "/team/f") {
		t.Errorf("ReadAt after Close = %v; want an error naming /team/f", err)
	}
	if d, err := x.t.Open("/team"); err != nil {
		t.Fatal(err)
	} else {
		fi, err := d.Stat()
		if err != nil || fi.Name() != "team" || d.Name() != "/team" {
			t.Errorf("Open(/team).Stat() = %v, %v; Name() = %q", fi, err, d.Name())
		}
		d.Close()
	}
}

// TestMount_Symlinks: links are created in the backend that owns the link
// path and may only point inside it.
func TestMount_Symlinks(t *testing.T) {
	x := newMtFixture(t, vfs.AllowSymlinks())
	ok := []struct{ target, link, text string }{
		{"a.txt", "/team/l1", "a.txt"},
		{"/team/a.txt", "/team/sub/l2", "../a.txt"},
		{"/team", "/team/sub/l3", ".."},
		{"/f", "/docs/l4", "../f"},
		{"../nested/f", "/team/nested/l5", "f"},
	}
	for _, tc := range ok {
		if err := x.t.SymlinkIfPossible(tc.target, tc.link); err != nil {
			t.Errorf("Symlink(%q, %q): %v", tc.target, tc.link, err)
			continue
		}
		if text, err := x.t.ReadlinkIfPossible(tc.link); err != nil || text != tc.text {
			t.Errorf("Readlink(%q) = %q, %v; want %q", tc.link, text, err, tc.text)
		}
		fi, lstat, err := x.t.LstatIfPossible(tc.link)
		if err != nil || !lstat || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("Lstat(%q) = %v, %v, %v; want a symbolic link", tc.link, fi, lstat, err)
		}
	}
	if got := mtRead(t, x.t, "/team/sub/l2"); got != "a" {
		t.Errorf("through /team/sub/l2: %q", got)
	}
	if got := mtList(t, x.t, "/team/sub/l3"); !slices.Contains(got, "a.txt") {
		t.Errorf("/team/sub/l3 lists %q", got)
	}

	before := mtTree(t, x.base)
	bad := []struct {
		target, link string
		want         error
	}{
		{"/f", "/team/l", fs.ErrPermission},                   // into another backend
		{"/team/f", "/l", fs.ErrPermission},                   // from the home into a mount
		{"/team/nested/f", "/team/l", fs.ErrPermission},       // into a nested mount
		{"nested", "/team/l", fs.ErrPermission},               // the nested mount point
		{"/upload", "/l", fs.ErrPermission},                   // a synthetic folder
		{"../../../f", "/team/l", fs.ErrPermission},           // above "/"
		{"/f", "/upload/l", fs.ErrPermission},                 // inside a synthetic folder
		{"/f", "/team", fs.ErrExist},                          // over a mount point
		{"/f", "/gone/l", fs.ErrPermission},                   // into another backend
		{"/gone/x", "/gone/l", fs.ErrNotExist},                // missing backend
		{"/f", "/team/../l", fs.ErrInvalid},                   // not canonical
		{"/team/f", "/upload/sales/emea/l", fs.ErrPermission}, // across mounts
		{"../../../team/f", "/upload/sales/emea/l", fs.ErrPermission},
	}
	for _, tc := range bad {
		err := x.t.SymlinkIfPossible(tc.target, tc.link)
		if !errors.Is(err, tc.want) {
			t.Errorf("Symlink(%q, %q) = %v; want %v", tc.target, tc.link, err, tc.want)
		}
		var le *os.LinkError
		if !errors.As(err, &le) || le.Old != tc.target || le.New != tc.link {
			t.Errorf("Symlink(%q, %q) = %#v; want *os.LinkError with the virtual names", tc.target, tc.link, err)
		}
	}
	if after := mtTree(t, x.base); after != before {
		t.Errorf("storage changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, p := range []string{"/upload", "/upload/sales"} {
		if _, err := x.t.ReadlinkIfPossible(p); err == nil {
			t.Errorf("Readlink(%q) succeeded", p)
		}
	}

	// A backend without symbolic links.
	plain := struct{ afero.Fs }{afero.NewMemMapFs()} // no optional interfaces
	mem := mtTable(t, afero.NewMemMapFs(), []vfs.Mount{{Path: "/m", Fs: plain}}, vfs.MountOptions{})
	if err := mem.SymlinkIfPossible("/x", "/m/l"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Symlink on a backend without links = %v; want errors.ErrUnsupported", err)
	}
	if _, err := mem.ReadlinkIfPossible("/m/l"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Readlink on a backend without links = %v; want errors.ErrUnsupported", err)
	}
	if _, lstat, err := mem.LstatIfPossible("/m/l"); lstat || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat on a backend without Lstat = %v, %v; want false, fs.ErrNotExist", lstat, err)
	}
}

// mtCloseCounter is a MemMapFs that counts Close calls.
type mtCloseCounter struct {
	afero.Fs
	n   *int
	err error
}

func (c mtCloseCounter) Close() error { *c.n++; return c.err }

// mtUncomparableCloser has a non-comparable dynamic type.
type mtUncomparableCloser struct {
	afero.Fs
	n []int
}

func (c mtUncomparableCloser) Close() error { c.n[0]++; return nil }

func TestMount_Close(t *testing.T) {
	var home, a, shared int
	boom := errors.New("boom")
	sharedFs := mtCloseCounter{Fs: afero.NewMemMapFs(), n: &shared}
	unc := mtUncomparableCloser{Fs: afero.NewMemMapFs(), n: make([]int, 1)}
	mt := mtTable(t, mtCloseCounter{Fs: afero.NewMemMapFs(), n: &home}, []vfs.Mount{
		{Path: "/a", Fs: mtCloseCounter{Fs: afero.NewMemMapFs(), n: &a, err: boom}},
		{Path: "/b", Fs: sharedFs},
		{Path: "/c", Fs: sharedFs},
		{Path: "/d", Fs: afero.NewMemMapFs()}, // not a Closer
		{Path: "/e", Fs: unc},
	}, vfs.MountOptions{})
	var _ io.Closer = mt
	err := mt.Close()
	if !errors.Is(err, boom) {
		t.Errorf("Close = %v; want the backend's error", err)
	}
	if err2 := mt.Close(); !errors.Is(err2, boom) {
		t.Errorf("second Close = %v; want the same result", err2)
	}
	if home != 1 || a != 1 || shared != 1 || unc.n[0] != 1 {
		t.Errorf("Close calls: home %d, a %d, shared %d, uncomparable %d; want 1 each", home, a, shared, unc.n[0])
	}
}

// TestMount_Concurrent exercises one table from many goroutines (run with
// -race).
func TestMount_Concurrent(t *testing.T) {
	x := newMtFixture(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 20 {
				for _, p := range []string{"/", "/team", "/upload", "/upload/sales/emea", "/team/nested"} {
					f, err := x.t.Open(p)
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := f.Readdirnames(2); err != nil && err != io.EOF {
						t.Error(err)
					}
					f.Close()
					if _, err := x.t.Stat(p); err != nil {
						t.Error(err)
					}
				}
				name := fmt.Sprintf("/team/sub/w%d-%d", w, i)
				if err := afero.WriteFile(x.t, name, []byte(name), 0o644); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := len(mtList(t, x.t, "/team/sub")); got != 8*20 {
		t.Errorf("/team/sub has %d entries; want %d", got, 8*20)
	}
}

// TestMount_Conformance runs the backend suite over mount tables: without
// mounts over a MemMapFs and a RootFs home, and with the whole tested tree
// inside a mount.
func TestMount_Conformance(t *testing.T) {
	t.Run("MemMapFsHome", func(t *testing.T) {
		// The MemMapFs defects documented in TestMemMapFs_Conformance.
		vfstest.TestFsOpts(t, func(t *testing.T) afero.Fs {
			return mtTable(t, afero.NewMemMapFs(), nil, vfs.MountOptions{})
		}, vfstest.Options{
			SkipParallelWrite: true,
			Skip:              []string{"Remove/NonEmptyDir", "ReadAt/PastEnd", "MkdirAll/BelowFile"},
		})
	})
	t.Run("RootFsHome", func(t *testing.T) {
		vfstest.TestFs(t, func(t *testing.T) afero.Fs {
			return mtTable(t, mtRootFs(t, t.TempDir()), nil, vfs.MountOptions{})
		})
	})
	t.Run("InsideMount", func(t *testing.T) {
		vfstest.TestFs(t, func(t *testing.T) afero.Fs {
			mt := mtTable(t, mtRootFs(t, t.TempDir()), []vfs.Mount{
				{Path: "/m", Fs: mtRootFs(t, t.TempDir())},
				{Path: "/other/deep", Fs: afero.NewMemMapFs()},
			}, vfs.MountOptions{})
			return mtPrefixFs{fs: mt, prefix: "/m"}
		})
	})
	t.Run("InsideNestedMount", func(t *testing.T) {
		vfstest.TestFs(t, func(t *testing.T) afero.Fs {
			mt := mtTable(t, mtRootFs(t, t.TempDir()), []vfs.Mount{
				{Path: "/m", Fs: mtRootFs(t, t.TempDir())},
				{Path: "/m/n/o", Fs: mtRootFs(t, t.TempDir())},
			}, vfs.MountOptions{CaseInsensitive: true})
			return mtPrefixFs{fs: mt, prefix: "/M/N/O"}
		})
	})
}

// mtPrefixFs serves fs's subtree prefix as its "/". Test-only: like
// afero.BasePathFs it is lexical, not a jail.
type mtPrefixFs struct {
	fs     afero.Fs
	prefix string
}

func (p mtPrefixFs) p(name string) string {
	if name == "/" {
		return p.prefix
	}
	return p.prefix + name
}

func (p mtPrefixFs) file(f afero.File, err error, name string) (afero.File, error) {
	if err != nil {
		return nil, err
	}
	return mtPrefixFile{File: f, name: name}, nil
}

func (p mtPrefixFs) Name() string { return "mtPrefixFs" }
func (p mtPrefixFs) Create(name string) (afero.File, error) {
	f, err := p.fs.Create(p.p(name))
	return p.file(f, err, name)
}
func (p mtPrefixFs) Open(name string) (afero.File, error) {
	f, err := p.fs.Open(p.p(name))
	return p.file(f, err, name)
}
func (p mtPrefixFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := p.fs.OpenFile(p.p(name), flag, perm)
	return p.file(f, err, name)
}
func (p mtPrefixFs) Mkdir(name string, perm os.FileMode) error { return p.fs.Mkdir(p.p(name), perm) }
func (p mtPrefixFs) MkdirAll(name string, perm os.FileMode) error {
	return p.fs.MkdirAll(p.p(name), perm)
}
func (p mtPrefixFs) Remove(name string) error                  { return p.fs.Remove(p.p(name)) }
func (p mtPrefixFs) RemoveAll(name string) error               { return p.fs.RemoveAll(p.p(name)) }
func (p mtPrefixFs) Rename(o, n string) error                  { return p.fs.Rename(p.p(o), p.p(n)) }
func (p mtPrefixFs) Stat(name string) (os.FileInfo, error)     { return p.fs.Stat(p.p(name)) }
func (p mtPrefixFs) Chmod(name string, mode os.FileMode) error { return p.fs.Chmod(p.p(name), mode) }
func (p mtPrefixFs) Chown(name string, uid, gid int) error     { return p.fs.Chown(p.p(name), uid, gid) }
func (p mtPrefixFs) Chtimes(name string, a, m time.Time) error { return p.fs.Chtimes(p.p(name), a, m) }

type mtPrefixFile struct {
	afero.File
	name string
}

func (f mtPrefixFile) Name() string { return f.name }

func ExampleNewMountTable() {
	base, err := os.MkdirTemp("", "mounts")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	for _, dir := range []string{"home", "sales"} {
		if err := os.Mkdir(filepath.Join(base, dir), 0o700); err != nil {
			log.Fatal(err)
		}
	}
	home, err := vfs.NewRootFs(filepath.Join(base, "home"))
	if err != nil {
		log.Fatal(err)
	}
	sales, err := vfs.NewRootFs(filepath.Join(base, "sales"))
	if err != nil {
		log.Fatal(err)
	}
	fsys, err := vfs.NewMountTable(home, []vfs.Mount{
		{Path: "/upload/team/sales", Fs: sales},
		{Path: "/archive", Fs: vfs.Missing()}, // configured but absent (VF-12)
	}, vfs.MountOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close() // closes home and sales too

	// At login: no real entry may collide with a virtual path (VF-09).
	fmt.Println(fsys.CheckCollisions())

	if err := afero.WriteFile(fsys, "/upload/team/sales/q1.csv", []byte("1,2"), 0o600); err != nil {
		log.Fatal(err)
	}
	if err := afero.WriteFile(fsys, "/notes.txt", nil, 0o600); err != nil {
		log.Fatal(err)
	}
	names, _ := afero.ReadDir(fsys, "/")
	for _, fi := range names {
		fmt.Println(fi.Name(), fi.IsDir())
	}
	data, _ := os.ReadFile(filepath.Join(base, "sales", "q1.csv"))
	fmt.Println(string(data))

	// Synthetic folders and mount points are protected; renames do not
	// cross backends.
	fmt.Println(errors.Is(fsys.Remove("/upload"), fs.ErrPermission))
	fmt.Println(errors.Is(fsys.Rename("/upload/team/sales", "/x"), vfs.ErrProtected))
	fmt.Println(errors.Is(fsys.Rename("/notes.txt", "/upload/team/sales/notes.txt"), syscall.EXDEV))
	_, err = fsys.Stat("/archive/2020")
	fmt.Println(err)
	// Output:
	// <nil>
	// archive true
	// notes.txt false
	// upload true
	// 1,2
	// true
	// true
	// true
	// stat /archive/2020: file does not exist
}
