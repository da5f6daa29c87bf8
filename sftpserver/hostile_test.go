package sftpserver_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

// outside creates a directory beside the server's root holding a secret file,
// and returns its path.
func outside(t *testing.T, ts *sftptest.Server) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(ts.Root), filepath.Base(ts.Root)+"-outside")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// login connects once so that the home exists, and returns the client.
func login(t *testing.T, ts *sftptest.Server) *sftp.Client {
	t.Helper()
	c := ts.Client(t)
	if _, err := c.Getwd(); err != nil {
		t.Fatal(err)
	}
	return c
}

func readAll(c *sftp.Client, p string) ([]byte, error) {
	f, err := c.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func TestHostile_DotDotAndAbsolutePaths(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	out := outside(t, ts)
	c := login(t, ts)
	rel, _ := filepath.Rel(home(ts), filepath.Join(out, "secret"))
	for _, p := range []string{
		rel,                                  // ../../x-outside/secret
		"/" + rel,                            // /../../x-outside/secret
		"../../../../../../../../etc/passwd", // clamps to /etc/passwd in the home
		"/etc/passwd",
		filepath.Join(out, "secret"), // the host path itself
	} {
		if b, err := readAll(c, p); err == nil || bytes.Contains(b, []byte("SECRET")) || bytes.Contains(b, []byte("root:")) {
			t.Errorf("read %q = %q, %v; want an error", p, b, err)
		}
		if err := writeSmall(c, p, "x"); err == nil {
			// Clamped into the home: must have landed inside it.
			if _, err := os.Stat(filepath.Join(out, "x")); err == nil {
				t.Errorf("write %q escaped", p)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "secret")); string(b) != "SECRET" {
		t.Fatal("outside file modified")
	}
	// REALPATH never reveals the host path.
	for _, p := range []string{".", "..", "/../..", "a/../../b"} {
		got, err := c.RealPath(p)
		if err != nil || strings.Contains(got, ts.Root) || !strings.HasPrefix(got, "/") {
			t.Errorf("realpath %q = %q, %v", p, got, err)
		}
	}
}

func TestHostile_PlantedSymlinks(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	out := outside(t, ts)
	c := login(t, ts)
	rel, _ := filepath.Rel(home(ts), out)
	links := map[string]string{
		"abs-etc":  "/etc",
		"rel-etc":  "../../../../../../../../etc",
		"abs-out":  out,
		"rel-out":  rel,
		"abs-file": filepath.Join(out, "secret"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(home(ts), name)); err != nil {
			t.Fatal(err)
		}
	}
	for name := range links {
		for _, p := range []string{name + "/passwd", name + "/secret", name} {
			b, err := readAll(c, p)
			if bytes.Contains(b, []byte("SECRET")) || bytes.Contains(b, []byte("root:")) {
				t.Errorf("read through planted link %q returned outside data (err %v)", p, err)
			}
		}
		if _, err := c.ReadDir(name); err == nil {
			t.Errorf("listing through planted link %q succeeded", name)
		}
		if err := writeSmall(c, name+"/new", "x"); err == nil {
			t.Errorf("write through planted link %q succeeded", name)
		}
		if err := c.Rename(name+"/secret", "/stolen"); err == nil {
			t.Errorf("rename through planted link %q succeeded", name)
		}
		if err := c.Chmod(name, 0o777); err == nil {
			t.Errorf("chmod through planted link %q succeeded", name)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "new")); err == nil {
		t.Fatal("file created outside the jail")
	}
	if fi, _ := os.Stat(filepath.Join(out, "secret")); fi.Mode().Perm() != 0o644 {
		t.Fatal("outside file's mode changed")
	}
}

func TestHostile_DanglingSymlinkAsUploadTarget(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	out := outside(t, ts)
	c := login(t, ts)
	target := filepath.Join(out, "planted-upload")
	if err := os.Symlink(target, filepath.Join(home(ts), "up")); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(home(ts), filepath.Join(out, "planted-rel"))
	if err := os.Symlink(rel, filepath.Join(home(ts), "uprel")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/up", "/uprel"} {
		if err := writeSmall(c, p, "payload"); err == nil {
			t.Errorf("upload onto dangling link %s succeeded", p)
		}
	}
	for _, f := range []string{"planted-upload", "planted-rel"} {
		if _, err := os.Lstat(filepath.Join(out, f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s created outside the jail", f)
		}
	}
}

// TestHostile_SymlinkCreationRefused: SYMLINK is OP_UNSUPPORTED by default (OP-16).
func TestHostile_SymlinkCreationRefused(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := login(t, ts)
	err := c.Symlink("/etc/passwd", "/link")
	var se *sftp.StatusError
	if !errors.As(err, &se) || se.Code != 8 {
		t.Fatalf("symlink = %v, want OP_UNSUPPORTED", err)
	}
	if _, err := os.Lstat(filepath.Join(home(ts), "link")); err == nil {
		t.Fatal("link created")
	}
	// hardlink@openssh.com is unsupported too (OP-15).
	if err := writeSmall(c, "/f", "x"); err != nil {
		t.Fatal(err)
	}
	if err := c.Link("/f", "/g"); !errors.As(err, &se) || se.Code != 8 {
		t.Fatalf("link = %v, want OP_UNSUPPORTED", err)
	}
}

// TestHostile_SymlinkConfinedWhenAllowed: with AllowSymlinks a target that
// climbs out after normalisation is PERMISSION_DENIED (OP-16).
func TestHostile_SymlinkConfinedWhenAllowed(t *testing.T) {
	ts := sftptest.NewServer(t, &sftpserver.Server{AllowSymlinks: true})
	c := login(t, ts)
	if err := writeSmall(c, "/secret", "in-jail"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mkdir("/in"); err != nil {
		t.Fatal(err)
	}
	if err := c.Symlink("/secret", "/in/l"); err != nil {
		t.Fatalf("symlink inside jail: %v", err)
	}
	if b, err := readAll(c, "/in/l"); err != nil || string(b) != "in-jail" {
		t.Fatalf("read through link = %q, %v", b, err)
	}
	// pkg/sftp's client turns PERMISSION_DENIED into fs.ErrPermission.
	if err := c.Symlink("../../etc", "/in/bad"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("symlink ../../etc = %v, want PERMISSION_DENIED", err)
	}
}

// TestHostile_ReadWriteOpenThenRead: a READ|WRITE open followed by a READ
// returns the content and leaves the file intact (no zero-filling).
func TestHostile_ReadWriteOpenThenRead(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := login(t, ts)
	if err := writeSmall(c, "/f", "hello world"); err != nil {
		t.Fatal(err)
	}
	f, err := c.OpenFile("/f", os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := f.ReadAt(buf, 6); err != nil || string(buf) != "world" {
		t.Fatalf("read = %q, %v", buf, err)
	}
	if _, err := f.WriteAt([]byte("HELLO"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if b, _ := os.ReadFile(filepath.Join(home(ts), "f")); string(b) != "HELLO world" {
		t.Fatalf("file = %q", b)
	}
}

// TestHostile_HugeOffsets: READ and WRITE at offsets ≥ 2^63 (negative int64)
// are refused with FAILURE; the server stays up.
func TestHostile_HugeOffsets(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := ts.Dial(t, nil)
	rs := newRawSFTP(t, c)
	h := rs.open("/f", fxfRead|fxfWrite|fxfCreat)
	for _, off := range []uint64{1 << 63, 1<<64 - 1, 1 << 62} {
		typ, p := rs.request(fxpWrite, str(string(h)), u64(off), str("data"))
		if code, _ := status(t, typ, p); code != statusFail {
			t.Errorf("WRITE at %d: status %d, want FAILURE", off, code)
		}
		typ, p = rs.request(fxpRead, str(string(h)), u64(off), u32(100))
		if typ == fxpData {
			t.Errorf("READ at %d returned data", off)
		} else if code, _ := status(t, typ, p); code != statusFail && code != statusEOF {
			t.Errorf("READ at %d: status %d", off, code)
		}
	}
	typ, p := rs.request(fxpClose, str(string(h)))
	if code, msg := status(t, typ, p); code != statusOK {
		t.Fatalf("close: %d %s", code, msg)
	}
	// Still serving.
	if _, err := ts.Client(t).Stat("/f"); err != nil {
		t.Fatal(err)
	}
}

// TestHostile_ShortSubsystemPayload: a subsystem request whose payload is
// shorter than its length prefix is refused without a panic.
func TestHostile_ShortSubsystemPayload(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := ts.Dial(t, nil)
	for _, payload := range [][]byte{nil, {0}, {0, 0, 0}, {0, 0, 0, 9, 's', 'f'}, {0xff, 0xff, 0xff, 0xff}} {
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		ok, err := s.SendRequest("subsystem", true, payload)
		if err != nil || ok {
			t.Errorf("payload %x: ok=%v err=%v, want refused", payload, ok, err)
		}
		s.Close()
	}
	if _, err := ts.Client(t).Getwd(); err != nil {
		t.Fatalf("server unusable after short payloads: %v", err)
	}
}

// TestHostile_DisconnectMidUpload: the event says aborted, not completed.
func TestHostile_DisconnectMidUpload(t *testing.T) {
	ts, rec := newTestServer(t, nil)
	c := ts.Dial(t, nil)
	rs := newRawSFTP(t, c)
	h := rs.open("/partial.bin", fxfWrite|fxfCreat|fxfTrunc)
	for i := range 4 {
		typ, p := rs.request(fxpWrite, str(string(h)), u64(uint64(i*1024)), str(strings.Repeat("x", 1024)))
		if code, _ := status(t, typ, p); code != statusOK {
			t.Fatalf("write: %d", code)
		}
	}
	c.Close() // no CLOSE: the connection just goes away
	ev := rec.wait(t, "transfer.upload", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventUpload })
	if !ev.Aborted || ev.BytesWritten != 4096 || ev.Path != "/partial.bin" {
		t.Fatalf("upload event after disconnect = %+v, want aborted with 4096 bytes", ev)
	}
	rec.wait(t, "session.ended", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventSessionEnd })
}

// TestHostile_ErrorsNameNoHostPath: no status message contains the host root.
func TestHostile_ErrorsNameNoHostPath(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := login(t, ts)
	if err := c.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	if err := writeSmall(c, "/d/f", "x"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(home(ts), "esc")); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"open missing":    func() error { _, err := c.Open("/missing"); return err },
		"stat missing":    func() error { _, err := c.Stat("/missing/x"); return err },
		"mkdir existing":  func() error { return c.Mkdir("/d") },
		"rmdir non-empty": func() error { return c.RemoveDirectory("/d") },
		"rmdir file":      func() error { return c.RemoveDirectory("/d/f") },
		"remove dir":      func() error { return c.Remove("/d") },
		"rename missing":  func() error { return c.Rename("/nope", "/nope2") },
		"list file":       func() error { _, err := c.ReadDir("/d/f"); return err },
		"open escape":     func() error { _, err := c.Open("/esc/passwd"); return err },
		"list escape":     func() error { _, err := c.ReadDir("/esc"); return err },
		"create in file":  func() error { return writeSmall(c, "/d/f/x", "x") },
		"nul in path":     func() error { _, err := c.Stat("/a\x00b"); return err },
		"backslash":       func() error { _, err := c.Stat(`/a\b`); return err },
		"setstat missing": func() error { return c.Chmod("/missing", 0o600) },
	}
	for name, op := range ops {
		err := op()
		if err == nil {
			t.Errorf("%s: succeeded", name)
			continue
		}
		for _, leak := range []string{ts.Root, filepath.Dir(ts.Root), "/tmp"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: error %q names a host path", name, err)
			}
		}
	}
}

// TestHostile_ConcurrentClients runs several sessions at once under -race.
func TestHostile_ConcurrentClients(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	errc := make(chan error, 4)
	for i := range 4 {
		c := ts.Client(t)
		go func() {
			name := "/c" + string(rune('0'+i))
			for j := range 20 {
				if err := writeSmall(c, name, strings.Repeat("z", j*100)); err != nil {
					errc <- err
					return
				}
				if _, err := c.ReadDir("/"); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	deadline := time.After(60 * time.Second)
	for range 4 {
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("timeout")
		}
	}
}

// TestHostile_PipelinedWriteOnGuessedHandle: a client that sends READs or
// WRITEs on the handle an OPEN will get (handles are "1", "2", …) around that
// OPEN must not race pkg/sftp's handle setup, which can crash the process
// (run under -race; found by FuzzAdapter). Orderings: after the OPEN, before
// it, and with request ids reused so that replies cannot be matched by id.
func TestHostile_PipelinedWriteOnGuessedHandle(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := ts.Dial(t, nil)
	cl := ts.Client(t)
	if err := writeSmall(cl, "/f", strings.Repeat("x", 4096)); err != nil {
		t.Fatal(err)
	}
	handle := func(k int) []byte { return str(strconv.Itoa(k)) }
	orderings := map[string]func(k int, id uint32) [][]any{
		"writes after open": func(k int, id uint32) [][]any {
			out := [][]any{{byte(fxpOpen), u32(id), str("/pipelined"), u32(fxfWrite | fxfCreat), u32(0)}}
			for i := range 4 {
				out = append(out, []any{byte(fxpWrite), u32(id + 1 + uint32(i)), handle(k), u64(uint64(i)), str("x")})
			}
			return append(out, []any{byte(fxpClose), u32(id + 5), handle(k)})
		},
		"read before open": func(k int, id uint32) [][]any {
			return [][]any{
				{byte(fxpRead), u32(id), handle(k), u64(0), u32(10)},
				{byte(fxpOpen), u32(id + 1), str("/f"), u32(fxfRead), u32(0)},
				{byte(fxpClose), u32(id + 2), handle(k)},
			}
		},
		"reused ids": func(k int, id uint32) [][]any {
			return [][]any{
				{byte(fxpStat), u32(id), str("/missing")},
				{byte(fxpOpen), u32(id), str("/f"), u32(fxfRead), u32(0)},
				{byte(fxpRead), u32(id), handle(k), u64(0), u32(10)},
				{byte(fxpClose), u32(id), handle(k)},
			}
		},
	}
	for name, packets := range orderings {
		t.Run(name, func(t *testing.T) {
			rs := newRawSFTP(t, c)
			defer rs.sess.Close()
			sent := 0
			for k := 1; k <= 200; k++ {
				for _, p := range packets(k, uint32(k*10)) {
					parts := make([][]byte, 0, len(p)-1)
					for _, x := range p[1:] {
						parts = append(parts, x.([]byte))
					}
					rs.send(p[0].(byte), parts...)
					sent++
				}
			}
			for range sent {
				if typ, _ := rs.recv(); typ != fxpHandle && typ != fxpStatus && typ != fxpData {
					t.Fatalf("unexpected reply type %d", typ)
				}
			}
		})
	}
}

// TestAppend_PipelinedWritesInOrder: WRITEs on an APPEND handle go to the end
// of the file in the order sent, whatever their offsets, even when pipelined
// (pkg/sftp would otherwise run them on concurrent workers).
func TestAppend_PipelinedWritesInOrder(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := login(t, ts)
	if err := writeSmall(c, "/log", "start;"); err != nil {
		t.Fatal(err)
	}
	rs := newRawSFTP(t, ts.Dial(t, nil))
	h := rs.open("/log", fxfWrite|0x04) // WRITE|APPEND
	want := "start;"
	const n = 200
	for i := range n {
		chunk := strconv.Itoa(i) + ";"
		want += chunk
		rs.send(fxpWrite, u32(uint32(1000+i)), str(string(h)), u64(0), str(chunk))
	}
	for range n {
		typ, p := rs.recv()
		if code, msg := status(t, typ, p[4:]); code != statusOK { // p starts with the id
			t.Fatalf("append write: %d %s", code, msg)
		}
	}
	typ, p := rs.request(fxpClose, str(string(h)))
	if code, _ := status(t, typ, p); code != statusOK {
		t.Fatal("close failed")
	}
	if b, _ := os.ReadFile(filepath.Join(home(ts), "log")); string(b) != want {
		t.Fatalf("appended file = %q\nwant %q", b, want)
	}
}
