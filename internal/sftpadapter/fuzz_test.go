package sftpadapter_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/sftpkit/sftpkit/internal/sftpadapter"
	"github.com/sftpkit/sftpkit/internal/sftpwire"
	"github.com/sftpkit/sftpkit/vfs"
)

// SFTP v3 packet types and constants used to build inputs.
const (
	fxInit     = 1
	fxOpen     = 3
	fxClose    = 4
	fxRead     = 5
	fxWrite    = 6
	fxLstat    = 7
	fxFstat    = 8
	fxSetstat  = 9
	fxFsetstat = 10
	fxOpendir  = 11
	fxReaddir  = 12
	fxRemove   = 13
	fxMkdir    = 14
	fxRmdir    = 15
	fxRealpath = 16
	fxStat     = 17
	fxRename   = 18
	fxReadlink = 19
	fxSymlink  = 20
	fxExtended = 200

	pfRead   = 0x01
	pfWrite  = 0x02
	pfAppend = 0x04
	pfCreat  = 0x08
	pfTrunc  = 0x10
	pfExcl   = 0x20

	attrSize  = 0x01
	attrUIDGI = 0x02
	attrPerm  = 0x04
	attrTimes = 0x08
	attrExt   = 0x80000000
)

// requestTypes are the packet types pkg/sftp's request server parses. A
// fuzz type byte outside this set is mapped into it, except escRaw, which
// takes the next byte as the raw type (to reach pkg/sftp's handling of
// unknown types).
var requestTypes = []byte{fxOpen, fxClose, fxRead, fxWrite, fxLstat, fxFstat, fxSetstat, fxFsetstat,
	fxOpendir, fxReaddir, fxRemove, fxMkdir, fxRmdir, fxRealpath, fxStat, fxRename, fxReadlink,
	fxSymlink, fxExtended}

const (
	escRaw     = 0xff
	maxPackets = 256
)

// Input format (after the first byte, whose bit 0 enables symlinks in the
// adapter and the RootFs): a sequence of chunks
//
//	[type byte][uint16 body length][body]
//
// each sent as an SFTP packet: uint32 length, type, a fresh uint32 request
// id, body. The body length is clamped to what is left of the input.

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func str(s string) []byte { return append(u32(uint32(len(s))), s...) }
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// chunk encodes one fuzz chunk: a request of type typ whose body (after the
// id) is parts.
func chunk(typ byte, parts ...[]byte) []byte {
	body := cat(parts...)
	return cat([]byte{typ}, binary.BigEndian.AppendUint16(nil, uint16(len(body))), body)
}

// seed builds an input from chunks; flags is the options byte.
func seed(flags byte, chunks ...[]byte) []byte { return cat([]byte{flags}, cat(chunks...)) }

func noAttrs() []byte { return u32(0) }

// packets turns a fuzz input into the SFTP byte stream sent to the server
// (INIT first) and reports whether symlinks are enabled.
func packets(data []byte) (stream []byte, symlinks bool) {
	stream = cat(u32(5), []byte{fxInit}, u32(3))
	if len(data) == 0 {
		return stream, false
	}
	symlinks = data[0]&1 != 0
	data = data[1:]
	id := uint32(0)
	for n := 0; len(data) > 0 && n < maxPackets; n++ {
		typ := data[0]
		data = data[1:]
		if typ == escRaw && len(data) > 0 {
			typ = data[0]
			data = data[1:]
		} else if !bytes.Contains(requestTypes, []byte{typ}) {
			typ = requestTypes[int(typ)%len(requestTypes)]
		}
		var l int
		if len(data) >= 2 {
			l = int(binary.BigEndian.Uint16(data))
			data = data[2:]
		} else {
			data = nil
		}
		l = min(l, len(data))
		body := data[:l]
		data = data[l:]
		id++
		pkt := cat([]byte{typ}, u32(id), body)
		stream = append(stream, cat(u32(uint32(len(pkt))), pkt)...)
	}
	return stream, symlinks
}

// pipeConn is one end of an in-memory connection.
type pipeConn struct {
	in  *io.PipeReader
	out *io.PipeWriter
}

func (c *pipeConn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *pipeConn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *pipeConn) Close() error {
	c.in.Close()
	c.out.Close()
	return nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// listing describes every entry under base except those under skip.
func listing(t *testing.T, base, skip string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		size := fi.Size()
		if fi.IsDir() {
			size = 0
		}
		out = append(out, fmt.Sprintf("%s %v %d %v", p, fi.Mode(), size, fi.ModTime()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// FuzzAdapter serves fuzz-derived SFTP packet streams with pkg/sftp's request
// server (behind sftpwire.Guard, as sftpserver does) over the adapter and a
// RootFs on base/root. base/outside holds a
// sentinel file that planted links in the root point at. Nothing may panic,
// nothing outside the root may change, the sentinel's content and the host
// path must never appear in a reply, and Serve must return once the input
// ends.
func FuzzAdapter(f *testing.F) {
	h1 := str("1")
	h2 := str("2")
	for _, s := range [][]byte{
		// Read the planted file.
		seed(0, chunk(fxOpen, str("/f"), u32(pfRead), noAttrs()),
			chunk(fxRead, h1, u64(0), u32(100)),
			chunk(fxRead, h1, u64(1<<63), u32(100)),
			chunk(fxRead, h1, u64(1<<63-1), u32(100)),
			chunk(fxFstat, h1),
			chunk(fxClose, h1)),
		// Write: normal, at 2^63, at the limit, beyond it.
		seed(0, chunk(fxOpen, str("/new"), u32(pfWrite|pfCreat|pfTrunc), noAttrs()),
			chunk(fxWrite, h1, u64(0), str("data")),
			chunk(fxWrite, h1, u64(1<<63), str("x")),
			chunk(fxWrite, h1, u64(1<<42-1), str("xy")),
			chunk(fxWrite, h1, u64(1<<64-1), str("x")),
			chunk(fxFsetstat, h1, u32(attrSize), u64(1<<63)),
			chunk(fxFsetstat, h1, u32(attrPerm), u32(0o4777)),
			chunk(fxClose, h1),
			chunk(fxStat, str("/new"))),
		// READ|WRITE open then READ; CREAT|TRUNC without WRITE; APPEND; EXCL.
		seed(0, chunk(fxOpen, str("/f"), u32(pfRead|pfWrite), noAttrs()),
			chunk(fxRead, h1, u64(0), u32(1<<20)),
			chunk(fxWrite, h1, u64(2), str("ZZ")),
			chunk(fxClose, h1),
			chunk(fxOpen, str("/f"), u32(pfCreat|pfTrunc), noAttrs()),
			chunk(fxOpen, str("/g"), u32(pfAppend), noAttrs()),
			chunk(fxOpen, str("/f"), u32(pfWrite|pfCreat|pfExcl), noAttrs()),
			chunk(fxOpen, str("/f"), u32(0), noAttrs()),
			chunk(fxOpen, str("/d"), u32(pfRead), noAttrs())),
		// Directory listing, including of planted links.
		seed(0, chunk(fxOpendir, str("/")),
			chunk(fxReaddir, h1), chunk(fxReaddir, h1), chunk(fxReaddir, h1),
			chunk(fxClose, h1),
			chunk(fxOpendir, str("/esc")), chunk(fxReaddir, h2),
			chunk(fxOpendir, str("/d/up")),
			chunk(fxOpendir, str("/abs"))),
		// Escapes through planted links and dot-dot.
		seed(0, chunk(fxOpen, str("/esc/SENTINEL"), u32(pfRead), noAttrs()),
			chunk(fxRead, h1, u64(0), u32(100)),
			chunk(fxOpen, str("/abs/SENTINEL"), u32(pfRead), noAttrs()),
			chunk(fxOpen, str("/d/up/SENTINEL"), u32(pfRead), noAttrs()),
			chunk(fxOpen, str("../outside/SENTINEL"), u32(pfRead), noAttrs()),
			chunk(fxOpen, str("../../etc/passwd"), u32(pfRead), noAttrs()),
			chunk(fxOpen, str("/esc/new"), u32(pfWrite|pfCreat), noAttrs()),
			chunk(fxStat, str("/esc/SENTINEL")),
			chunk(fxLstat, str("/abs")),
			chunk(fxReadlink, str("/abs")),
			chunk(fxReadlink, str("/esc")),
			chunk(fxSetstat, str("/esc/SENTINEL"), u32(attrPerm), u32(0o777)),
			chunk(fxRemove, str("/esc/SENTINEL")),
			chunk(fxRename, str("/esc/SENTINEL"), str("/stolen")),
			chunk(fxRename, str("/f"), str("/esc/f")),
			chunk(fxMkdir, str("/esc/newdir"), noAttrs()),
			chunk(fxRmdir, str("/esc"))),
		// Odd paths.
		seed(0, chunk(fxRealpath, str("../../etc/passwd")),
			chunk(fxRealpath, str("/a\x00b")),
			chunk(fxRealpath, str("a\\b")),
			chunk(fxRealpath, str("")),
			chunk(fxRealpath, str(strings.Repeat("a/", 3000))),
			chunk(fxStat, str("/a\x00b")),
			chunk(fxMkdir, str("a\\b"), noAttrs()),
			chunk(fxMkdir, str("../../etc/passwd"), noAttrs()),
			chunk(fxMkdir, str("/\xff\xfe"), noAttrs()),
			chunk(fxOpen, str("/a\x00b"), u32(pfWrite|pfCreat), noAttrs())),
		// Setstat variants.
		seed(0, chunk(fxSetstat, str("/f"), u32(attrSize), u64(3)),
			chunk(fxSetstat, str("/f"), u32(attrSize), u64(1<<63)),
			chunk(fxSetstat, str("/f"), u32(attrUIDGI), u32(0), u32(0)),
			chunk(fxSetstat, str("/f"), u32(attrPerm), u32(0o7777)),
			chunk(fxSetstat, str("/f"), u32(attrTimes), u32(0), u32(0xffffffff)),
			chunk(fxSetstat, str("/f"), u32(attrExt), u32(1), str("a"), str("b")),
			chunk(fxSetstat, str("/"), u32(attrPerm), u32(0))),
		// Mkdir, rmdir, remove, rename.
		seed(0, chunk(fxMkdir, str("/m"), u32(attrPerm), u32(0o700)),
			chunk(fxRename, str("/f"), str("/m/f")),
			chunk(fxRename, str("/m"), str("/d")),
			chunk(fxRename, str("/"), str("/x")),
			chunk(fxRename, str("/m/f"), str("/")),
			chunk(fxRmdir, str("/m")),
			chunk(fxRemove, str("/m/f")),
			chunk(fxRmdir, str("/m")),
			chunk(fxRmdir, str("/")),
			chunk(fxRemove, str("/"))),
		// Extended requests.
		seed(0, chunk(fxExtended, str("posix-rename@openssh.com"), str("/f"), str("/g")),
			chunk(fxExtended, str("posix-rename@openssh.com"), str("/g"), str("../../outside/SENTINEL")),
			chunk(fxExtended, str("statvfs@openssh.com"), str("/")),
			chunk(fxExtended, str("fstatvfs@openssh.com"), h1),
			chunk(fxExtended, str("hardlink@openssh.com"), str("/esc/SENTINEL"), str("/h")),
			chunk(fxExtended, str("hardlink@openssh.com"), str("/g"), str("/h")),
			chunk(fxExtended, str("unknown@example.com"), str("x")),
			chunk(fxExtended, str("posix-rename@openssh.com"))),
		// Symlinks, disabled and enabled (OpenSSH order: target, then link).
		seed(0, chunk(fxSymlink, str("/etc/passwd"), str("/l1")),
			chunk(fxSymlink, str("../outside/SENTINEL"), str("/l2"))),
		seed(1, chunk(fxSymlink, str("/etc/passwd"), str("/l1")),
			chunk(fxSymlink, str("../outside/SENTINEL"), str("/l2")),
			chunk(fxSymlink, str("../../outside"), str("/d/l3")),
			chunk(fxSymlink, str("f"), str("/l4")),
			chunk(fxReadlink, str("/l4")),
			chunk(fxOpen, str("/l4"), u32(pfRead), noAttrs()),
			chunk(fxSymlink, str("d/.."), str("/d/l5")),
			chunk(fxSymlink, str("/a\x00b"), str("/l6")),
			chunk(fxSymlink, str("esc"), str("/l7")),
			chunk(fxOpen, str("/l7/SENTINEL"), u32(pfRead), noAttrs()),
			chunk(fxSymlink, str(""), str("/l8"))),
		// Malformed: truncated bodies, raw unknown types, a second INIT.
		seed(0, chunk(fxOpen, str("/f")), chunk(fxStat, str("/f"))),
		seed(0, []byte{escRaw, 99, 0, 0}, chunk(fxStat, str("/"))),
		seed(0, []byte{escRaw, fxInit, 0, 4, 0, 0, 0, 3}, chunk(fxStat, str("/"))),
		seed(0, chunk(fxRead, str("nope"), u64(0), u32(10)), chunk(fxClose, str("nope")), chunk(fxReaddir, str("1"))),
		seed(0, chunk(fxStat, u32(0xffffffff))),
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		stream, symlinks := packets(data)

		base := t.TempDir()
		root := filepath.Join(base, "root")
		outside := filepath.Join(base, "outside")
		for _, d := range []string{filepath.Join(root, "d"), outside} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		nonce := make([]byte, 8)
		rand.Read(nonce)
		secret := "SENTINEL-CONTENT-" + hex.EncodeToString(nonce)
		sentinel := filepath.Join(outside, "SENTINEL")
		if err := os.WriteFile(sentinel, []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "f"), []byte("hello world"), 0o644); err != nil {
			t.Fatal(err)
		}
		for name, target := range map[string]string{
			"esc":  "../outside",
			"abs":  outside,
			"d/up": "../../outside",
			"sl":   "../outside/SENTINEL",
		} {
			if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
				t.Fatal(err)
			}
		}
		before := listing(t, base, root)

		var opts []vfs.RootOption
		if symlinks {
			opts = append(opts, vfs.AllowSymlinks())
		}
		fsys, err := vfs.NewRootFs(root, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer fsys.Close()
		var logs syncBuffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		conn := &pipeConn{in: inR, out: outW}
		// As in production (sftpserver/conn.go): sftpwire.Guard keeps
		// pipelined READ/WRITE away from an unanswered OPEN, a data race
		// inside pkg/sftp, and serves READ/WRITE on open files itself.
		wire := sftpwire.Guard(conn, sftpwire.Options{})
		a := sftpadapter.New(sftpadapter.Config{Fs: fsys, Logger: logger, AllowSymlinks: symlinks, UID: 1000, GID: 1000, UserName: "u", Opened: wire.Opened})
		srv := sftp.NewRequestServer(wire, a.Handlers(), sftp.WithRSMaxTxPacket(sftpwire.DefaultMaxData))

		var replies bytes.Buffer
		drained := make(chan struct{})
		go func() {
			io.Copy(&replies, outR)
			close(drained)
		}()
		go func() {
			// Fails once the server closes the connection on a bad packet.
			inW.Write(stream)
			inW.Close()
		}()
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			t.Fatalf("Serve did not return within 10 s of the end of input")
		}
		conn.Close()
		select {
		case <-drained:
		case <-time.After(10 * time.Second):
			t.Fatalf("reply stream not closed")
		}

		if strings.Contains(logs.String(), "panic") {
			t.Errorf("a handler panicked (recovered by the adapter):\n%s", logs.String())
		}
		if a.OpenHandles() != 0 {
			t.Errorf("%d handles still open after Serve returned", a.OpenHandles())
		}
		if b, err := os.ReadFile(sentinel); err != nil || string(b) != secret {
			t.Fatalf("sentinel changed: %q, %v", b, err)
		}
		after := listing(t, base, root)
		if strings.Join(before, "\n") != strings.Join(after, "\n") {
			t.Fatalf("outside the root changed:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
		}
		if bytes.Contains(replies.Bytes(), []byte(secret)) {
			t.Fatalf("sentinel content in a reply")
		}
		if bytes.Contains(replies.Bytes(), []byte(base)) {
			t.Fatalf("host path %s in a reply: %q", base, replies.Bytes())
		}
	})
}
