package vfs_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sftpkit/sftpkit/internal/vpath"
	"github.com/sftpkit/sftpkit/vfs"
)

// FuzzMountRoute feeds arbitrary paths, raw and canonicalised, to Stat,
// Open, OpenFile(O_CREATE) and Mkdir on mount tables (case-sensitive and
// case-insensitive) with nested mounts, each backed by a RootFs over its
// own host directory:
//
//	/            base/home
//	/a           base/x
//	/a/b/c       base/y     (/a/b is synthetic inside /a)
//	/p/q         base/z     (/p is synthetic)
//	/p/q/r       Missing()
//
// Beside them, base/outside holds a sentinel file, and links planted in
// the backends point at it. Nothing outside the backends may be read,
// listed or created; nothing may be created in the backends at a virtual
// name (VF-11); no call may panic.
func FuzzMountRoute(f *testing.F) {
	for _, seed := range []string{
		"/", "/a", "/a/b", "/a/b/c", "/a/b/c/f", "/a/b/x", "/p", "/p/q", "/p/q/r", "/p/q/r/x",
		"/A/B/C", "/P/Q", "/a/l/SENTINEL", "/l/SENTINEL", "/a/b/c/up/SENTINEL", "/p/q/abs/SENTINEL",
		"/a/../../outside/SENTINEL", "../outside", "/a/b/c/../../../l", "/p/x", "/ax", "/a/bx",
		"/a\x00b", "//a//b", "/a/b/c/", "\\..\\outside", "/new", "/a/new", "/a/b/c/new",
	} {
		f.Add(seed)
	}

	base := f.TempDir()
	dirs := map[string]string{}
	for _, d := range []string{"home", "x", "y", "z", "outside"} {
		dirs[d] = filepath.Join(base, d)
		if err := os.Mkdir(dirs[d], 0o755); err != nil {
			f.Fatal(err)
		}
	}
	secret := filepath.Join(dirs["outside"], "SENTINEL")
	if err := os.WriteFile(secret, []byte(mtSentinel), 0o644); err != nil {
		f.Fatal(err)
	}
	for d, name := range map[string]string{"home": "f", "x": "f", "y": "f", "z": "f"} {
		if err := os.WriteFile(filepath.Join(dirs[d], name), []byte(d), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	links := map[string]string{
		filepath.Join(dirs["home"], "l"):  "../outside",
		filepath.Join(dirs["x"], "l"):     "../outside",
		filepath.Join(dirs["y"], "up"):    "../outside",
		filepath.Join(dirs["z"], "abs"):   dirs["outside"],
		filepath.Join(dirs["z"], "dang"):  filepath.Join(dirs["outside"], "new"),
		filepath.Join(dirs["x"], "inner"): "f",
	}
	for name, target := range links {
		if err := os.Symlink(target, name); err != nil {
			f.Fatal(err)
		}
	}
	openRoot := func(d string) *vfs.RootFs {
		fsys, err := vfs.NewRootFs(dirs[d])
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { fsys.Close() })
		return fsys
	}
	home, x, y, z := openRoot("home"), openRoot("x"), openRoot("y"), openRoot("z")
	mounts := []vfs.Mount{
		{Path: "/a", Fs: x},
		{Path: "/a/b/c", Fs: y},
		{Path: "/p/q", Fs: z},
		{Path: "/p/q/r", Fs: vfs.Missing()},
	}
	var tables []*vfs.MountTable
	for _, ci := range []bool{false, true} {
		mt, err := vfs.NewMountTable(home, mounts, vfs.MountOptions{CaseInsensitive: ci})
		if err != nil {
			f.Fatal(err)
		}
		tables = append(tables, mt)
	}

	// The host state that must not change: everything next to the
	// backends and in outside, and no virtual name created in a backend.
	baseNames := func() []string {
		entries, err := os.ReadDir(base)
		if err != nil {
			f.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	wantBase := baseNames()
	secretInfo, err := os.Stat(secret)
	if err != nil {
		f.Fatal(err)
	}
	outsideInfo, err := os.Stat(dirs["outside"])
	if err != nil {
		f.Fatal(err)
	}
	forbidden := map[string][]string{ // virtual names per backend
		"home": {"a", "p"},
		"x":    {"b"},
		"z":    {"r"},
	}

	probe := func(t *testing.T, mt *vfs.MountTable, name string) {
		reached := func(fi fs.FileInfo) bool {
			return fi != nil && (mtSameFile(fi, secretInfo) || mtSameFile(fi, outsideInfo))
		}
		if fi, err := mt.Stat(name); err == nil && reached(fi) {
			t.Fatalf("Stat(%q) reached outside the backends", name)
		}
		if fi, _, err := mt.LstatIfPossible(name); err == nil && reached(fi) {
			t.Fatalf("Lstat(%q) reached outside the backends", name)
		}
		if file, err := mt.Open(name); err == nil {
			fi, err := file.Stat()
			if err == nil && reached(fi) {
				file.Close()
				t.Fatalf("Open(%q) opened something outside the backends", name)
			}
			if err == nil && fi.IsDir() {
				names, _ := file.Readdirnames(-1)
				if slices.Contains(names, "SENTINEL") {
					file.Close()
					t.Fatalf("Open(%q) listed the outside directory", name)
				}
			} else {
				data, _ := io.ReadAll(io.LimitReader(file, 1<<20))
				if bytes.Contains(data, []byte(mtSentinel)) {
					file.Close()
					t.Fatalf("Open(%q) returned the sentinel", name)
				}
			}
			file.Close()
		}

		// Creations: undo those that succeed so the tree stays small.
		_, _, lerr := mt.LstatIfPossible(name)
		existed := !errors.Is(lerr, fs.ErrNotExist)
		if file, err := mt.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
			file.Close()
			if !existed {
				if err := mt.Remove(name); err != nil {
					t.Fatalf("Remove(%q) after create: %v", name, err)
				}
			}
		} else if !vpath.IsCanonical(name) && !errors.Is(err, fs.ErrInvalid) {
			t.Fatalf("OpenFile(%q) of a non-canonical name = %v; want fs.ErrInvalid", name, err)
		}
		if err := mt.Mkdir(name, 0o755); err == nil {
			if existed {
				t.Fatalf("Mkdir(%q) succeeded over an existing entry", name)
			}
			if err := mt.Remove(name); err != nil {
				t.Fatalf("Remove(%q) after Mkdir: %v", name, err)
			}
		}

		if got := baseNames(); !slices.Equal(got, wantBase) {
			t.Fatalf("after %q: next to the backends: %q; want %q", name, got, wantBase)
		}
		entries, err := os.ReadDir(dirs["outside"])
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("after %q: outside has %d entries; want 1", name, len(entries))
		}
		if data, err := os.ReadFile(secret); err != nil || string(data) != mtSentinel {
			t.Fatalf("after %q: sentinel changed: %q, %v", name, data, err)
		}
		for d, names := range forbidden {
			entries, err := os.ReadDir(dirs[d])
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, e.Name()) }) {
					t.Fatalf("after %q: %s/%s created at a virtual name", name, d, e.Name())
				}
			}
		}
	}

	f.Fuzz(func(t *testing.T, input string) {
		for _, mt := range tables {
			probe(t, mt, input)
			if c, err := vpath.Canonical(input); err == nil && c != input {
				probe(t, mt, c)
			}
		}
	})
}
