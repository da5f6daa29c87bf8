package sftpserver_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/vfs"
)

// newStorageServer is newConfigServer with storage options.
func newStorageServer(t *testing.T, text string, opt vfs.AccountOptions, names ...string) *configFixture {
	t.Helper()
	return serveConfig(t, text, names, auth.ConfiguredOptions{Storage: opt})
}

const vfsConfig = `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/base
create_home_folder = Yes

[groups/g-partners]
name = partners
home_folder_path = {BASE}/partners
create_home_folder = Yes
home_folder_structure =
    /pull
    /push
virtual_folders =
    /team, {BASE}/shared/team
    /queue/${USER}, {BASE}/queues/${USER}
    /deep/a/b, {BASE}/deep

[groups/g-support]
name = support
virtual_folders = /support, {BASE}/support

[groups/g-clash]
name = clash
home_folder_path = {BASE}/base
create_home_folder = Yes
virtual_folders = /team, {BASE}/shared/team

[groups/g-amend]
name = amend
home_folder_path = {BASE}/base
create_home_folder = Yes
amend_write_name = uuid-prefix

[groups/g-delay]
name = delay
home_folder_path = {BASE}/base
create_home_folder = Yes
ssh_delete_delay = 1

[accounts/a-alice]
name = alice
group = g-partners, g-support
ssh_authorized_keys_content = {KEY:alice}

[accounts/a-clash]
name = clash
group = g-clash
ssh_authorized_keys_content = {KEY:clash}

[accounts/a-mo]
name = mo
group = g-amend
ssh_authorized_keys_content = {KEY:mo}

[accounts/a-dee]
name = dee
group = g-delay
ssh_authorized_keys_content = {KEY:dee}
`

func TestVFS_VirtualFoldersEndToEnd(t *testing.T) {
	f := newStorageServer(t, vfsConfig, vfs.AccountOptions{}, "alice", "clash")
	for _, d := range []string{"shared/team", "support", "deep"} {
		os.MkdirAll(filepath.Join(f.base, d), 0o755)
	}
	os.WriteFile(filepath.Join(f.base, "shared/team/doc.txt"), []byte("teamdoc"), 0o644)

	c, err := f.login(t, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	// VF-04 merged root listing, GRP-04 folders from both groups.
	infos, err := c.ReadDir("/")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(infos); got != "deep,pull,push,queue,support,team" {
		t.Errorf("ls / = %s", got)
	}
	// HOME-17: the ${USER} real path was created at login.
	if _, err := os.Stat(filepath.Join(f.base, "queues", "alice")); err != nil {
		t.Errorf("queues/alice not created: %v", err)
	}
	// EVT-07: what the login created is reported.
	for _, d := range []string{filepath.Join(f.base, "partners", "alice"), filepath.Join(f.base, "queues", "alice")} {
		f.rec.wait(t, "home.created "+d, func(e sftpserver.Event) bool {
			return e.Type == sftpserver.EventHomeCreated && e.User == "alice" && e.Reason == d
		})
	}
	// VF-05 synthetic folders list only the next virtual component.
	if infos, err := c.ReadDir("/deep/a"); err != nil || names(infos) != "b" {
		t.Errorf("ls /deep/a = %s, %v", names(infos), err)
	}
	wantDenied(t, "mkdir inside a synthetic folder", c.Mkdir("/deep/x"))
	// Reads and writes go through to the real paths.
	if b, err := readAll(c, "/team/doc.txt"); err != nil || string(b) != "teamdoc" {
		t.Errorf("read /team/doc.txt = %q, %v", b, err)
	}
	wantOK(t, "upload into /support", writeSmall(c, "/support/s.txt", "s"))
	if _, err := os.Stat(filepath.Join(f.base, "support", "s.txt")); err != nil {
		t.Errorf("upload did not reach the real path: %v", err)
	}
	// VF-06 mount points and synthetic folders are protected; HOME-19 root.
	wantDenied(t, "rmdir /team", c.RemoveDirectory("/team"))
	wantDenied(t, "rename /support", c.Rename("/support", "/sup2"))
	wantDenied(t, "chmod /team", c.Chmod("/team", 0o700))
	wantDenied(t, "rmdir /deep", c.RemoveDirectory("/deep"))
	wantDenied(t, "rmdir /", c.RemoveDirectory("/"))
	// VF-08 rename across mounts is FAILURE, not a silent copy.
	wantFailure(t, "rename home -> mount", c.Rename("/pull", "/team/pull"))
	// VF-07 below a mount point everything follows permissions.
	wantOK(t, "remove inside a mount", c.Remove("/support/s.txt"))

	// VF-09: a real entry colliding with a virtual folder refuses the login.
	os.MkdirAll(filepath.Join(f.base, "base", "clash", "team"), 0o755)
	if _, err := f.login(t, "clash", ""); err == nil {
		t.Fatal("clash logged in although /team collides with a real folder")
	}
	f.rejected(t, "clash", "virtual-folder-conflict")
}

var uuidName = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-report\.csv$`)

func TestVFS_AmendWriteName(t *testing.T) {
	f := newStorageServer(t, vfsConfig, vfs.AccountOptions{}, "mo")
	c, err := f.login(t, "mo", "")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(f.base, "base", "mo"), 0o755)
	os.WriteFile(filepath.Join(f.base, "base", "mo", "report.csv"), []byte("old"), 0o644)
	wantOK(t, "upload", openWrite(c, "/report.csv", os.O_CREATE|os.O_TRUNC))
	entries, _ := os.ReadDir(filepath.Join(f.base, "base", "mo"))
	var amended string
	for _, e := range entries {
		if uuidName.MatchString(e.Name()) {
			amended = e.Name()
		}
	}
	if amended == "" {
		t.Fatalf("no uuid-prefixed file among %v", entries)
	}
	// AMEND-02: the requested file is untouched.
	if b, _ := os.ReadFile(filepath.Join(f.base, "base", "mo", "report.csv")); string(b) != "old" {
		t.Errorf("report.csv = %q", b)
	}
	// AMEND-07: the event names both.
	ev := f.rec.wait(t, "upload", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventUpload })
	if ev.Path != "/"+amended || ev.RequestedPath != "/report.csv" {
		t.Errorf("event path %q requested %q", ev.Path, ev.RequestedPath)
	}
}

func TestVFS_DelayedDeleteWithReplacementGuard(t *testing.T) {
	f := newStorageServer(t, vfsConfig, vfs.AccountOptions{}, "dee")
	c, err := f.login(t, "dee", "")
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(f.base, "base", "dee")
	wantOK(t, "upload a", writeSmall(c, "/a", "first"))
	wantOK(t, "upload b", writeSmall(c, "/b", "first"))
	// DEL-03: OK at once, the file still exists within the window.
	wantOK(t, "remove a", c.Remove("/a"))
	wantOK(t, "remove b", c.Remove("/b"))
	if _, err := os.Stat(filepath.Join(home, "a")); err != nil {
		t.Fatal("file gone before the delay")
	}
	// DEL-08: b is uploaded again within the window.
	wantOK(t, "re-upload b", writeSmall(c, "/b", "second upload"))
	outcomes := map[string]string{}
	for _, p := range []string{"/a", "/b"} {
		ev := f.rec.wait(t, "delayed delete of "+p, func(e sftpserver.Event) bool {
			return e.Type == sftpserver.EventRemoveDelayed && e.Path == p
		})
		outcomes[p] = ev.Outcome
	}
	if outcomes["/a"] != "deleted" || outcomes["/b"] != "skipped-replaced" {
		t.Errorf("outcomes = %v", outcomes)
	}
	if _, err := os.Stat(filepath.Join(home, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a not deleted")
	}
	if b, _ := os.ReadFile(filepath.Join(home, "b")); string(b) != "second upload" {
		t.Errorf("re-uploaded b = %q", b)
	}
}

func TestVFS_AtomicUploadKilledMidTransfer(t *testing.T) {
	f := newStorageServer(t, vfsConfig, vfs.AccountOptions{Atomic: &vfs.AtomicOptions{}}, "alice")
	for _, d := range []string{"shared/team", "support", "deep"} {
		os.MkdirAll(filepath.Join(f.base, d), 0o755)
	}
	home := filepath.Join(f.base, "partners", "alice")
	c, err := f.login(t, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, "previous version", writeSmall(c, "/push/data.bin", "previous"))

	// A raw client writes part of a new version, then the connection dies.
	conn := f.ts.Dial(t, f.clientConfig("alice"))
	rs := newRawSFTP(t, conn)
	h := rs.open("/push/data.bin", fxfWrite|fxfCreat|fxfTrunc)
	for i := range 4 {
		typ, p := rs.request(fxpWrite, str(string(h)), u64(uint64(i*1024)), str(strings.Repeat("n", 1024)))
		if code, _ := status(t, typ, p); code != statusOK {
			t.Fatal("write failed")
		}
	}
	conn.Close()
	f.rec.wait(t, "aborted upload", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventUpload && e.Aborted })
	if b, _ := os.ReadFile(filepath.Join(home, "push", "data.bin")); string(b) != "previous" {
		t.Errorf("published content = %q, want the previous version", b)
	}
	entries, _ := os.ReadDir(filepath.Join(home, "push"))
	for _, e := range entries {
		if e.Name() != "data.bin" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	// A clean upload is published.
	wantOK(t, "clean upload", writeSmall(c, "/push/data.bin", "new version"))
	if b, _ := os.ReadFile(filepath.Join(home, "push", "data.bin")); string(b) != "new version" {
		t.Errorf("after a clean upload: %q", b)
	}
}

func TestVFS_QuotaUnderConcurrentUploads(t *testing.T) {
	const limit = 64 << 10
	usage := vfs.NewQuotaUsage(0, 0)
	opt := vfs.AccountOptions{Quota: func(eff *groups.Effective) (vfs.Quota, *vfs.QuotaUsage) {
		return vfs.Quota{MaxBytes: limit}, usage
	}}
	f := newStorageServer(t, vfsConfig, opt, "mo", "alice")
	c, err := f.login(t, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := writeSmall(c, fmt.Sprintf("/push/f%d", i), strings.Repeat("q", 16<<10)); err != nil {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var total int64
	entries, _ := os.ReadDir(filepath.Join(f.base, "partners", "alice", "push"))
	for _, e := range entries {
		fi, _ := e.Info()
		total += fi.Size()
	}
	if total > limit || refused == 0 || usage.Bytes() != total {
		t.Errorf("on disk %d bytes (limit %d), %d uploads refused, usage %d", total, limit, refused, usage.Bytes())
	}
}

// TestVFS_ConfiguredAtomicUploadsAndQuota: atomic_uploads and
// quota_max_bytes from the configuration: an upload refused by the quota is
// never visible and leaves no temporary file.
func TestVFS_ConfiguredAtomicUploadsAndQuota(t *testing.T) {
	const text = `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/base
create_home_folder = Yes
atomic_uploads = Yes
quota_max_bytes = 32K

[accounts/sam]
name = sam
ssh_authorized_keys_content = {KEY:sam}
`
	f := newStorageServer(t, text, vfs.AccountOptions{}, "sam")
	c, err := f.login(t, "sam", "")
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(f.base, "base", "sam")
	wantOK(t, "16 KiB upload", writeSmall(c, "/a.bin", strings.Repeat("a", 16<<10)))
	if err := writeSmall(c, "/b.bin", strings.Repeat("b", 20<<10)); err == nil {
		t.Fatal("upload beyond quota_max_bytes accepted")
	}
	entries, _ := os.ReadDir(home)
	if len(entries) != 1 || entries[0].Name() != "a.bin" {
		var n []string
		for _, e := range entries {
			n = append(n, e.Name())
		}
		t.Fatalf("home holds %v, want only a.bin (nothing partial, no temporary file)", n)
	}
	// A second session of the same account shares the usage.
	c2, err := f.login(t, "sam", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSmall(c2, "/c.bin", strings.Repeat("c", 20<<10)); err == nil {
		t.Fatal("a second session ignored the usage of the first")
	}
	wantOK(t, "upload within the remaining quota", writeSmall(c2, "/d.bin", strings.Repeat("d", 8<<10)))
}

// TestVFS_DelayedDeleteOutlivesSessionAndShutdownFlushes (DEL-06): pending
// deletes are server-scoped: the client that asked may vanish, and a
// graceful Shutdown runs them at once.
func TestVFS_DelayedDeleteOutlivesSessionAndShutdownFlushes(t *testing.T) {
	text := strings.Replace(vfsConfig, "ssh_delete_delay = 1", "ssh_delete_delay = 3600", 1)
	f := newStorageServer(t, text, vfs.AccountOptions{}, "dee")
	c, err := f.login(t, "dee", "")
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, "upload", writeSmall(c, "/x", "x"))
	wantOK(t, "remove", c.Remove("/x"))
	c.Close() // the client goes away; the delete is still pending
	path := filepath.Join(f.base, "base", "dee", "x")
	if _, err := os.Stat(path); err != nil {
		t.Fatal("deleted before the delay")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.ts.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("pending delete not run by Shutdown")
	}
	ev := f.rec.wait(t, "delayed delete", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventRemoveDelayed })
	if ev.Outcome != "deleted" || !ev.Delayed || ev.User != "dee" {
		t.Errorf("event %+v", ev)
	}
}
