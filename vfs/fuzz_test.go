package vfs_test

import (
	"bytes"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sftpkit/sftpkit/vfs"
)

// FuzzRootFs_Names feeds arbitrary names to Stat, OpenFile(O_RDONLY) and
// Mkdir on a RootFs over base/home whose sibling base/home2 (reachable
// only by escaping, including through planted links) holds a sentinel
// file. Nothing outside the root may be read or created, and nothing may
// panic.
func FuzzRootFs_Names(f *testing.F) {
	for _, seed := range []string{
		"/", "/a", "/a/b", "", ".", "..", "a", "/..", "/../home2/SENTINEL",
		"/../../../../etc/passwd", "../home2", "/home2/SENTINEL", "/l", "/l/SENTINEL",
		"/abs", "/abs/SENTINEL", "/dangling", "/dangling/x", "/d/up", "/d/up/SENTINEL",
		"/a\x00b", "//a", "/./a", "/a/", "/a/../..", "\\..\\home2", "/..\\home2\\SENTINEL",
		"/" + strings.Repeat("a/", 200), "/" + strings.Repeat("x", 300),
	} {
		f.Add(seed)
	}

	base := f.TempDir()
	home := filepath.Join(base, "home")
	sibling := filepath.Join(base, "home2")
	for _, d := range []string{filepath.Join(home, "d"), sibling} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	secret := filepath.Join(sibling, "SENTINEL")
	if err := os.WriteFile(secret, []byte(sentinel), 0o644); err != nil {
		f.Fatal(err)
	}
	links := map[string]string{
		"l":        "../home2",
		"abs":      sibling,
		"dangling": filepath.Join(sibling, "missing"),
		"d/up":     "../../home2",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(home, name)); err != nil {
			f.Fatal(err)
		}
	}
	secretInfo, err := os.Stat(secret)
	if err != nil {
		f.Fatal(err)
	}
	siblingInfo, err := os.Stat(sibling)
	if err != nil {
		f.Fatal(err)
	}
	baseInfo, err := os.Stat(base)
	if err != nil {
		f.Fatal(err)
	}
	outside := []os.FileInfo{secretInfo, siblingInfo, baseInfo}
	fsys, err := vfs.NewRootFs(home)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fsys.Close() })

	probe := func(t *testing.T, name string) {
		if fi, err := fsys.Stat(name); err == nil {
			for _, o := range outside {
				if os.SameFile(fi, o) {
					t.Fatalf("Stat(%q) reached %s outside the root", name, o.Name())
				}
			}
		}

		if file, err := fsys.OpenFile(name, os.O_RDONLY, 0); err == nil {
			fi, err := file.Stat()
			if err == nil {
				for _, o := range outside {
					if os.SameFile(fi, o) {
						file.Close()
						t.Fatalf("OpenFile(%q) opened %s outside the root", name, o.Name())
					}
				}
			}
			if err == nil && fi.IsDir() {
				names, _ := file.Readdirnames(-1)
				if slices.Contains(names, "SENTINEL") {
					file.Close()
					t.Fatalf("OpenFile(%q) listed the sibling directory", name)
				}
			} else {
				data, _ := io.ReadAll(io.LimitReader(file, 1<<20))
				if bytes.Contains(data, []byte(sentinel)) {
					file.Close()
					t.Fatalf("OpenFile(%q) returned the sentinel", name)
				}
			}
			file.Close()
		}

		if err := fsys.Mkdir(name, 0o755); err == nil {
			// Created inside the root: undo it so the tree stays small.
			if err := fsys.Remove(name); err != nil {
				t.Fatalf("Remove(%q) after Mkdir: %v", name, err)
			}
		}

		entries, err := os.ReadDir(base)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("after %q: %d entries next to the root; want 2", name, len(entries))
		}
		entries, err = os.ReadDir(sibling)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("after %q: sibling directory has %d entries; want 1", name, len(entries))
		}
	}

	f.Fuzz(func(t *testing.T, name string) {
		// Most raw inputs are rejected as non-canonical; the cleaned
		// absolute form also drives os.Root's resolution (links, "..").
		probe(t, name)
		if c := path.Clean("/" + name); c != name {
			probe(t, c)
		}
	})
}
