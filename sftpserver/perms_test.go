package sftpserver_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/sftpkit/sftpkit/perms"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

// policyServer starts a server whose sessions get the permissions value
// text (SPEC §7 syntax) and whose home holds a small tree:
//
//	/a.txt  /dir/  /dir/inner.txt  /empty/  /link -> a.txt  /broken -> missing  /dirlink -> dir
func policyServer(t *testing.T, text string) (*sftptest.Server, *sftp.Client, string) {
	t.Helper()
	v, err := perms.Parse(text)
	if err != nil {
		t.Fatalf("perms.Parse(%q): %v", text, err)
	}
	var rules []perms.SourcedRule
	for _, r := range v.Rules {
		rules = append(rules, perms.SourcedRule{Rule: r, Source: "test"})
	}
	ts, _ := newTestServer(t, &sftpserver.Server{
		Policy: func(ctx context.Context, s sftpserver.SessionInfo) (*perms.Policy, error) {
			return perms.Compile(s.Identity.User, v.Global, "test", rules)
		},
	})
	h := filepath.Join(ts.Root, ts.User)
	for _, d := range []string{"dir", "empty"} {
		if err := os.MkdirAll(filepath.Join(h, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{"a.txt": "AAA", "dir/inner.txt": "III"} {
		if err := os.WriteFile(filepath.Join(h, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"link": "a.txt", "broken": "missing", "dirlink": "dir"} {
		if err := os.Symlink(target, filepath.Join(h, link)); err != nil {
			t.Fatal(err)
		}
	}
	return ts, ts.Client(t), h
}

func wantDenied(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("%s: %v, want PERMISSION_DENIED", what, err)
	}
}

func wantOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v, want success", what, err)
	}
}

func wantFailure(t *testing.T, what string, err error) {
	t.Helper()
	var se *sftp.StatusError
	if !errors.As(err, &se) || se.Code != 4 {
		t.Errorf("%s: %v, want FAILURE", what, err)
	}
}

func openRead(c *sftp.Client, p string) error {
	f, err := c.Open(p)
	if err == nil {
		f.Close()
	}
	return err
}

func openWrite(c *sftp.Client, p string, flags int) error {
	f, err := c.OpenFile(p, os.O_WRONLY|flags)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("new")); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func names(infos []os.FileInfo) string {
	var n []string
	for _, fi := range infos {
		n = append(n, fi.Name())
	}
	sort.Strings(n)
	return strings.Join(n, ",")
}

func TestOP01_GlobalRead(t *testing.T) {
	ts, c, _ := policyServer(t, "allow-read")
	wantOK(t, "OPEN(read) /a.txt", openRead(c, "/a.txt"))
	wantDenied(t, "OPEN(write) /a.txt", openWrite(c, "/a.txt", os.O_TRUNC))
	_, err := c.ReadDir("/")
	wantDenied(t, "READDIR /", err)
	_, err = c.Stat("/a.txt")
	wantOK(t, "STAT /a.txt", err)
	_, err = c.Stat("/dir")
	wantOK(t, "STAT /dir", err)
	// PERM-E11: the messages name the missing permission and the virtual path.
	rs := newRawSFTP(t, ts.Dial(t, nil))
	typ, p := rs.request(11, str("/")) // OPENDIR
	if code, msg := status(t, typ, p); code != 3 || msg != "permission denied: allow-list required for /" {
		t.Errorf("OPENDIR / = %d %q", code, msg)
	}
	typ, p = rs.request(fxpOpen, str("/a.txt"), u32(fxfWrite|fxfTrunc), u32(0))
	if code, msg := status(t, typ, p); code != 3 || msg != "permission denied: allow-write required for /a.txt" {
		t.Errorf("OPEN(write) = %d %q", code, msg)
	}
}

func TestOP02_GlobalWrite(t *testing.T) {
	_, c, h := policyServer(t, "allow-write")
	wantOK(t, "upload new", openWrite(c, "/new.txt", os.O_CREATE|os.O_TRUNC))
	wantOK(t, "overwrite", openWrite(c, "/new.txt", os.O_TRUNC))
	wantOK(t, "append", openWrite(c, "/new.txt", os.O_APPEND))
	if b, _ := os.ReadFile(filepath.Join(h, "new.txt")); string(b) != "newnew" {
		t.Errorf("content = %q, want newnew", b)
	}
	_, err := c.Stat("/new.txt")
	wantDenied(t, "STAT uploaded", err)
	wantDenied(t, "OPEN(read)", openRead(c, "/new.txt"))
	_, err = c.ReadDir("/")
	wantDenied(t, "READDIR", err)
}

func TestOP03_ReadOnlyOpenCannotCreateOrTruncate(t *testing.T) {
	_, c, h := policyServer(t, "allow-read")
	_, err := c.OpenFile("/created.txt", os.O_RDONLY|os.O_CREATE)
	wantDenied(t, "READ|CREAT", err)
	if _, err := os.Stat(filepath.Join(h, "created.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("file created by a read-only open")
	}
	_, err = c.OpenFile("/a.txt", os.O_RDONLY|os.O_TRUNC)
	wantDenied(t, "READ|TRUNC", err)
	if b, _ := os.ReadFile(filepath.Join(h, "a.txt")); string(b) != "AAA" {
		t.Errorf("content = %q after READ|TRUNC", b)
	}
}

func TestOP04_Traverse(t *testing.T) {
	_, c, _ := policyServer(t, "allow-traverse")
	infos, err := c.ReadDir("/")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(infos); got != "dir,dirlink,empty" {
		t.Errorf("READDIR / = %s, want directories and links to them only", got)
	}
	_, err = c.Stat("/dir")
	wantOK(t, "STAT /dir", err)
	_, err = c.Stat("/a.txt")
	wantDenied(t, "STAT /a.txt", err)
	_, err = c.Stat("/missing")
	wantDenied(t, "STAT /missing", err)
	wantDenied(t, "OPEN(read) /a.txt", openRead(c, "/a.txt"))
}

func TestOP05_List(t *testing.T) {
	_, c, _ := policyServer(t, "allow-list")
	infos, err := c.ReadDir("/")
	if err != nil || names(infos) != "a.txt,broken,dir,dirlink,empty,link" {
		t.Errorf("READDIR / = %s, %v", names(infos), err)
	}
	_, err = c.Stat("/a.txt")
	wantOK(t, "STAT /a.txt", err)
	if target, err := c.ReadLink("/link"); err != nil || target != "a.txt" {
		t.Errorf("READLINK = %q, %v", target, err)
	}
	wantDenied(t, "OPEN(read)", openRead(c, "/a.txt"))
}

func TestOP06_ReadCannotReadlink(t *testing.T) {
	_, c, _ := policyServer(t, "allow-read")
	_, err := c.ReadLink("/link")
	wantDenied(t, "READLINK", err)
}

func TestOP07_CreateFolder(t *testing.T) {
	_, c, _ := policyServer(t, "allow-create-folder")
	wantOK(t, "MKDIR /new", c.Mkdir("/new"))
	wantDenied(t, "OPEN(write)", openWrite(c, "/new.txt", os.O_CREATE))
	wantDenied(t, "RENAME", c.Rename("/new", "/new2"))
}

func TestOP08_DeleteFileAndFolder(t *testing.T) {
	ts, c, h := policyServer(t, "allow-delete-file")
	wantOK(t, "REMOVE /a.txt", c.Remove("/a.txt"))
	wantDenied(t, "RMDIR /empty", c.RemoveDirectory("/empty"))
	// pkg/sftp's Client.Remove falls back to RMDIR: send REMOVE itself.
	rs := newRawSFTP(t, ts.Dial(t, nil))
	typ, p := rs.request(fxpRemove, str("/dir"))
	if code, msg := status(t, typ, p); code != statusFail {
		t.Errorf("REMOVE /dir = %d %q, want FAILURE", code, msg)
	}
	if _, err := os.Stat(filepath.Join(h, "dir")); err != nil {
		t.Fatal("directory removed by REMOVE")
	}

	_, c2, _ := policyServer(t, "allow-delete-folder")
	wantOK(t, "RMDIR /empty", c2.RemoveDirectory("/empty"))
	wantFailure(t, "RMDIR /dir (not empty)", c2.RemoveDirectory("/dir"))
	wantDenied(t, "REMOVE /a.txt", c2.Remove("/a.txt"))
}

func TestOP09_SetAttributes(t *testing.T) {
	_, c, h := policyServer(t, "allow-set-attributes")
	wantOK(t, "chmod", c.Chmod("/a.txt", 0o600))
	mt := time.Date(2021, 5, 6, 7, 8, 9, 0, time.UTC)
	wantOK(t, "chtimes", c.Chtimes("/a.txt", mt, mt))
	wantDenied(t, "truncate", c.Truncate("/a.txt", 1))
	wantDenied(t, "OPEN(write)", openWrite(c, "/a.txt", os.O_TRUNC))
	if fi, _ := os.Stat(filepath.Join(h, "a.txt")); fi.Size() != 3 || fi.Mode().Perm() != 0o600 {
		t.Errorf("file after setstat: size %d mode %v", fi.Size(), fi.Mode())
	}
}

func TestOP10_RenameNeedsBothSides(t *testing.T) {
	_, c, h := policyServer(t, "allow-read\n/in/*, allow-rename")
	os.MkdirAll(filepath.Join(h, "in"), 0o755)
	os.MkdirAll(filepath.Join(h, "out"), 0o755)
	for _, f := range []string{"in/a", "in/b0", "out/a"} {
		os.WriteFile(filepath.Join(h, f), []byte(f), 0o644)
	}
	wantOK(t, "/in/a -> /in/b", c.Rename("/in/a", "/in/b"))
	wantDenied(t, "/in/b -> /out/b", c.Rename("/in/b", "/out/b"))
	wantDenied(t, "/out/a -> /in/a", c.Rename("/out/a", "/in/a"))

	_, c2, h2 := policyServer(t, "allow-full-control\n/in/*, allow-rename")
	os.MkdirAll(filepath.Join(h2, "in"), 0o755)
	os.WriteFile(filepath.Join(h2, "in", "a"), nil, 0o644)
	wantOK(t, "/in/a -> /x (destination has full control)", c2.Rename("/in/a", "/x"))
}

func TestOP11_FolderRename(t *testing.T) {
	_, c, h := policyServer(t, "allow-read\n/in/*, allow-rename")
	os.MkdirAll(filepath.Join(h, "in", "d"), 0o755)
	wantOK(t, "RENAME /in/d -> /in/e", c.Rename("/in/d", "/in/e"))
}

func TestOP12_PosixRenameReplaces(t *testing.T) {
	_, c, h := policyServer(t, "allow-list\n/in/*, allow-rename")
	os.MkdirAll(filepath.Join(h, "in"), 0o755)
	os.WriteFile(filepath.Join(h, "in", "src"), []byte("src"), 0o644)
	os.WriteFile(filepath.Join(h, "in", "dst"), []byte("dst"), 0o644)
	wantOK(t, "posix-rename over a file", c.PosixRename("/in/src", "/in/dst"))
	if b, _ := os.ReadFile(filepath.Join(h, "in", "dst")); string(b) != "src" {
		t.Errorf("destination = %q", b)
	}
}

func TestOP13_HomeRootProtectedUnderFullControl(t *testing.T) {
	_, c, _ := policyServer(t, "allow-full-control")
	wantDenied(t, "RMDIR /", c.RemoveDirectory("/"))
	wantDenied(t, "RENAME / -> /x", c.Rename("/", "/x"))
	wantDenied(t, "SETSTAT /", c.Chmod("/", 0o777))
}

func TestOP14_RealPathNeedsNoPermission(t *testing.T) {
	_, c, _ := policyServer(t, "deny-full-control")
	if p, err := c.RealPath("/a/../../b"); err != nil || p != "/b" {
		t.Errorf("REALPATH = %q, %v", p, err)
	}
}

func TestOP16_SymlinkNeedsFullControlWhenAllowed(t *testing.T) {
	v, err := perms.Parse("allow-read, allow-write\n/in/*, allow-full-control")
	if err != nil {
		t.Fatal(err)
	}
	var rules []perms.SourcedRule
	for _, r := range v.Rules {
		rules = append(rules, perms.SourcedRule{Rule: r, Source: "test"})
	}
	ts := sftptest.NewServer(t, &sftpserver.Server{AllowSymlinks: true,
		Policy: func(ctx context.Context, s sftpserver.SessionInfo) (*perms.Policy, error) {
			return perms.Compile(s.Identity.User, v.Global, "test", rules)
		}})
	c := ts.Client(t)
	if err := c.Mkdir("/in"); err == nil {
		t.Fatal("mkdir allowed without allow-create-folder")
	}
	os.MkdirAll(filepath.Join(ts.Root, ts.User, "in"), 0o755)
	wantOK(t, "symlink in /in", c.Symlink("/secret", "/in/l"))
	wantDenied(t, "symlink at /l", c.Symlink("/secret", "/l"))
}

func TestOP17_CheckBeforeTouch(t *testing.T) {
	_, c, _ := policyServer(t, "allow-list")
	wantDenied(t, "OPEN(read) /missing without allow-read", openRead(c, "/missing"))
	_, c2, _ := policyServer(t, "allow-read")
	if err := openRead(c2, "/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OPEN(read) /missing with allow-read = %v, want NO_SUCH_FILE", err)
	}
}

// TestPermEvents: a denial's event names the missing permission and the
// deciding rule with its source (EVT-04).
func TestPermEvents(t *testing.T) {
	v, _ := perms.Parse("allow-read\n/in/*, allow-list")
	rules := []perms.SourcedRule{{Rule: v.Rules[0], Source: "group partners"}}
	ts, rec := newTestServer(t, &sftpserver.Server{
		Policy: func(ctx context.Context, s sftpserver.SessionInfo) (*perms.Policy, error) {
			return perms.Compile(s.Identity.User, v.Global, "group DEFAULT_GROUP", rules)
		}})
	c := ts.Client(t)
	_ = c.Mkdir("/in/x")
	ev := rec.wait(t, "denied mkdir", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventMkdir })
	if ev.Status != 3 || ev.Permission != "allow-create-folder" || ev.Rule != "/in/*" || ev.RuleSource != "group partners" {
		t.Errorf("event = %+v", ev)
	}
}

// mk creates files (and their directories) in a home.
func mk(t *testing.T, h string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(h, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// PERM-E03, documented example A.
func TestPermE03_ExampleA(t *testing.T) {
	_, c, h := policyServer(t, "allow-read\n/inbox/*, allow-full-control\n*.csv, allow-read, allow-write")
	mk(t, h, "inbox/a.csv", "x/a.csv", "x/a.txt")
	wantOK(t, "/inbox/a.csv read", openRead(c, "/inbox/a.csv"))
	wantOK(t, "/inbox/a.csv delete (full control)", c.Remove("/inbox/a.csv"))
	wantOK(t, "/x/a.csv read", openRead(c, "/x/a.csv"))
	wantOK(t, "/x/a.csv write", openWrite(c, "/x/a.csv", os.O_TRUNC))
	wantDenied(t, "/x/a.csv delete", c.Remove("/x/a.csv"))
	wantOK(t, "/x/a.txt read", openRead(c, "/x/a.txt"))
	wantDenied(t, "/x/a.txt write", openWrite(c, "/x/a.txt", os.O_TRUNC))
	_, err := c.ReadDir("/inbox")
	wantDenied(t, "READDIR /inbox (global read only)", err)
}

// PERM-E04, documented example B.
func TestPermE04_ExampleB(t *testing.T) {
	_, c, h := policyServer(t, "allow-read\n/inbox/*, allow-full-control\n*.csv, allow-write")
	mk(t, h, "inbox/a.csv", "x/a.csv")
	wantOK(t, "/x/a.csv write", openWrite(c, "/x/a.csv", os.O_TRUNC))
	wantDenied(t, "/x/a.csv read", openRead(c, "/x/a.csv"))
	_, err := c.Stat("/x/a.csv")
	wantDenied(t, "/x/a.csv stat", err)
	wantOK(t, "/inbox/a.csv read", openRead(c, "/inbox/a.csv"))
	wantOK(t, "/inbox/a.csv delete", c.Remove("/inbox/a.csv"))
}

// PERM-E05, documented example C: rule order decides.
func TestPermE05_ExampleC(t *testing.T) {
	_, c, h := policyServer(t, "allow-read\n*.csv, allow-write\n/inbox/*, allow-full-control")
	mk(t, h, "inbox/a.csv", "inbox/a.txt")
	wantDenied(t, "REMOVE /inbox/a.csv", c.Remove("/inbox/a.csv"))
	wantOK(t, "REMOVE /inbox/a.txt", c.Remove("/inbox/a.txt"))
}

// PERM-E06, documented examples D and E: /inbox* also matches /inbox-qa.
func TestPermE06_ExamplesDE(t *testing.T) {
	_, c, h := policyServer(t, "allow-read\n/inbox*, allow-full-control")
	mk(t, h, "inbox-qa/x")
	wantOK(t, "D: /inbox-qa/x delete", c.Remove("/inbox-qa/x"))

	_, c2, h2 := policyServer(t, "allow-read\n/inbox, allow-full-control\n/inbox/*, allow-full-control")
	mk(t, h2, "inbox-qa/x", "inbox/y")
	wantDenied(t, "E: /inbox-qa/x delete", c2.Remove("/inbox-qa/x"))
	wantOK(t, "E: /inbox-qa/x read", openRead(c2, "/inbox-qa/x"))
	if _, err := c2.ReadDir("/inbox"); err != nil {
		t.Errorf("E: READDIR /inbox: %v", err)
	}
	wantOK(t, "E: /inbox/y delete", c2.Remove("/inbox/y"))
}

// PERM-E08: permissions are not hierarchical.
func TestPermE08_NonHierarchical(t *testing.T) {
	_, c, h := policyServer(t, "allow-list, allow-read\n/uploads, deny-full-control\n/uploads/*/*, allow-list, allow-write, allow-read")
	mk(t, h, "uploads/tok/existing")
	infos, err := c.ReadDir("/")
	if err != nil || !strings.Contains(names(infos), "uploads") {
		t.Errorf("READDIR / = %s, %v; want uploads listed", names(infos), err)
	}
	_, err = c.ReadDir("/uploads")
	wantDenied(t, "READDIR /uploads", err)
	if _, err := c.ReadDir("/uploads/tok"); err != nil {
		t.Errorf("READDIR /uploads/tok: %v", err)
	}
	wantOK(t, "OPEN(write) /uploads/tok/f", openWrite(c, "/uploads/tok/f", os.O_CREATE))
	wantDenied(t, "OPEN(write) /uploads/f", openWrite(c, "/uploads/f", os.O_CREATE))
}

// TestOP15_UnsupportedExtensions: hardlink@openssh.com and any unknown
// extended request answer OP_UNSUPPORTED.
func TestOP15_UnsupportedExtensions(t *testing.T) {
	ts, _, _ := policyServer(t, "allow-full-control")
	rs := newRawSFTP(t, ts.Dial(t, nil))
	for _, req := range [][][]byte{
		{str("hardlink@openssh.com"), str("/a.txt"), str("/b.txt")},
		{str("unknown@example.com"), str("x")},
		{str("copy-data")},
	} {
		typ, p := rs.request(200, req...) // SSH_FXP_EXTENDED
		if code, msg := status(t, typ, p); code != 8 {
			t.Errorf("extension %q: status %d %q, want OP_UNSUPPORTED", req[0][4:], code, msg)
		}
	}
	if _, err := os.Lstat(filepath.Join(ts.Root, ts.User, "b.txt")); err == nil {
		t.Error("hard link created")
	}
}
