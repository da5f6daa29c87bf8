package sftpserver_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []sftpserver.Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) HandleEvent(ctx context.Context, e sftpserver.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// wait returns the first event matching ok, waiting up to 10 s.
func (r *recorder) wait(t *testing.T, what string, ok func(sftpserver.Event) bool) sftpserver.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		for _, e := range r.events {
			if ok(e) {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("no %s event; got %+v", what, r.snapshot())
		}
	}
}

func (r *recorder) snapshot() []sftpserver.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sftpserver.Event(nil), r.events...)
}

// newTestServer starts a server with an event recorder.
func newTestServer(t *testing.T, srv *sftpserver.Server) (*sftptest.Server, *recorder) {
	t.Helper()
	if srv == nil {
		srv = &sftpserver.Server{}
	}
	rec := newRecorder()
	srv.Events = rec
	return sftptest.NewServer(t, srv), rec
}

func home(ts *sftptest.Server) string { return filepath.Join(ts.Root, ts.User) }

// randomFile writes n random bytes to a temp file and returns its path and SHA-256.
func randomFile(t *testing.T, n int64) (string, [32]byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "random.bin")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return p, sum
}

func fileSHA(t *testing.T, p string) [32]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// rawSFTP speaks the SFTP wire protocol directly, to send what well-behaved
// clients never send.
type rawSFTP struct {
	t    *testing.T
	sess *ssh.Session
	w    io.WriteCloser
	r    io.Reader
	id   uint32
}

const (
	fxpInit     = 1
	fxpOpen     = 3
	fxpClose    = 4
	fxpRead     = 5
	fxpStat     = 17
	fxpRemove   = 13
	fxpWrite    = 6
	fxpStatus   = 101
	fxpHandle   = 102
	fxpData     = 103
	fxfRead     = 0x01
	fxfWrite    = 0x02
	fxfCreat    = 0x08
	fxfTrunc    = 0x10
	statusOK    = 0
	statusEOF   = 1
	statusFail  = 4
	statusNoSuc = 2
)

func newRawSFTP(t *testing.T, c *ssh.Client) *rawSFTP {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	w, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	r, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestSubsystem("sftp"); err != nil {
		t.Fatal(err)
	}
	rs := &rawSFTP{t: t, sess: sess, w: w, r: r}
	rs.send(fxpInit, u32(3))
	typ, _ := rs.recv()
	if typ != 2 {
		t.Fatalf("want VERSION, got packet type %d", typ)
	}
	return rs
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func str(s string) []byte { return append(u32(uint32(len(s))), s...) }

func (rs *rawSFTP) send(typ byte, parts ...[]byte) {
	rs.t.Helper()
	var body []byte
	body = append(body, typ)
	for _, p := range parts {
		body = append(body, p...)
	}
	if _, err := rs.w.Write(append(u32(uint32(len(body))), body...)); err != nil {
		rs.t.Fatal(err)
	}
}

// request sends a request with a fresh id and returns the reply's type and
// payload after the id.
func (rs *rawSFTP) request(typ byte, parts ...[]byte) (byte, []byte) {
	rs.t.Helper()
	rs.id++
	rs.send(typ, append([][]byte{u32(rs.id)}, parts...)...)
	rt, payload := rs.recv()
	if len(payload) < 4 || binary.BigEndian.Uint32(payload) != rs.id {
		rs.t.Fatalf("reply id mismatch: %x", payload)
	}
	return rt, payload[4:]
}

func (rs *rawSFTP) recv() (byte, []byte) {
	rs.t.Helper()
	var hdr [4]byte
	if _, err := io.ReadFull(rs.r, hdr[:]); err != nil {
		rs.t.Fatalf("reading reply: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(rs.r, body); err != nil {
		rs.t.Fatalf("reading reply: %v", err)
	}
	return body[0], body[1:]
}

// status returns the code and message of a STATUS reply payload.
func status(t *testing.T, typ byte, p []byte) (uint32, string) {
	t.Helper()
	if typ != fxpStatus {
		t.Fatalf("want STATUS, got packet type %d", typ)
	}
	code := binary.BigEndian.Uint32(p)
	n := binary.BigEndian.Uint32(p[4:])
	return code, string(p[8 : 8+n])
}

func (rs *rawSFTP) open(name string, flags uint32) []byte {
	rs.t.Helper()
	typ, p := rs.request(fxpOpen, str(name), u32(flags), u32(0))
	if typ != fxpHandle {
		code, msg := status(rs.t, typ, p)
		rs.t.Fatalf("open %s: status %d %q", name, code, msg)
	}
	n := binary.BigEndian.Uint32(p)
	return p[4 : 4+n]
}
