package sftpadapter_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pkg/sftp"
	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/internal/sftpadapter"
	"github.com/sftpkit/sftpkit/perms"
	"github.com/sftpkit/sftpkit/vfs"
)

// The benchmarks below time the per-block path of a transfer: the ReadAt and
// WriteAt that pkg/sftp's workers call on the handle the adapter returned
// from Fileread, Filewrite or OpenFile, once per READ or WRITE packet. The
// OPEN (path canonicalisation, the permission check, the backend's open) is
// done once, before the timer starts.
//
// The "expensive" policy makes each permission check cost tens of
// microseconds (see BenchmarkPolicyCheck), far more than copying a block:
// were permissions re-evaluated per block, the policy=expensive rows would
// be that much slower than the policy=none rows.

const (
	benchPath   = "/inbox/data.bin"
	benchBlocks = 16 // the file holds this many blocks; offsets cycle over them
)

var benchBlockSizes = []struct {
	name string
	size int
}{
	{"32KiB", 32 << 10},
	{"255KiB", 261120}, // pkg/sftp's MaxPacketUnchecked ceiling, as OpenSSH's client uses
}

// expensivePolicy allows read and write on /inbox/* only, after 1000 rules
// the index cannot skip (globs with no literal prefix or suffix), so that
// every check of benchPath runs 1000 matchers.
func expensivePolicy(b *testing.B) *perms.Policy {
	b.Helper()
	var text strings.Builder
	text.WriteString("allow-list\n")
	for i := range 1000 {
		fmt.Fprintf(&text, "*nomatch%04d*, deny-full-control\n", i)
	}
	text.WriteString("/inbox/*, allow-read, allow-write\n")
	v, err := perms.Parse(text.String())
	if err != nil {
		b.Fatal(err)
	}
	rules := make([]perms.SourcedRule, len(v.Rules))
	for i, r := range v.Rules {
		rules[i] = perms.SourcedRule{Rule: r, Source: "bench"}
	}
	p, err := perms.Compile("bench", v.Global, "bench", rules)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Check(benchPath, perms.Read, perms.Write); err != nil {
		b.Fatalf("policy refuses %s: %v", benchPath, err)
	}
	if err := p.Check("/elsewhere/data.bin", perms.Read); err == nil {
		b.Fatal("policy allows reading outside /inbox")
	}
	return p
}

// benchBackends returns the filesystems to run over, each holding /inbox.
func benchBackends(b *testing.B) []struct {
	name string
	fs   afero.Fs
} {
	b.Helper()
	root, err := vfs.NewRootFs(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { root.Close() })
	backends := []struct {
		name string
		fs   afero.Fs
	}{
		{"memmap", afero.NewMemMapFs()},
		{"rootfs", root},
	}
	for _, be := range backends {
		if err := be.fs.Mkdir("/inbox", 0o755); err != nil {
			b.Fatal(err)
		}
	}
	return backends
}

// benchMatrix runs fn for every backend × policy × block size, with a fresh
// adapter whose closed transfers are reported to the returned ops.
func benchMatrix(b *testing.B, fn func(b *testing.B, fsys afero.Fs, a *sftpadapter.Adapter, ops *opLog, block int)) {
	policies := []struct {
		name   string
		policy *perms.Policy
	}{
		{"none", nil},
		{"expensive", expensivePolicy(b)},
	}
	for _, be := range benchBackends(b) {
		for _, pol := range policies {
			for _, bs := range benchBlockSizes {
				b.Run(fmt.Sprintf("fs=%s/policy=%s/block=%s", be.name, pol.name, bs.name), func(b *testing.B) {
					ops := &opLog{}
					a := sftpadapter.New(sftpadapter.Config{Fs: be.fs, Policy: pol.policy, Observe: ops.add})
					fn(b, be.fs, a, ops, bs.size)
				})
			}
		}
	}
}

// opLog collects the operations an adapter reports.
type opLog struct {
	mu  sync.Mutex
	ops []sftpadapter.Op
}

func (l *opLog) add(op sftpadapter.Op) {
	l.mu.Lock()
	l.ops = append(l.ops, op)
	l.mu.Unlock()
}

// only returns the only operation reported, failing otherwise.
func (l *opLog) only(b *testing.B) sftpadapter.Op {
	b.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ops) != 1 {
		b.Fatalf("adapter reported %d operations, want 1: %+v", len(l.ops), l.ops)
	}
	return l.ops[0]
}

// openHandle opens benchPath through the adapter with the SSH_FXF flags.
func openHandle(b *testing.B, a *sftpadapter.Adapter, flags uint32) sftp.WriterAtReaderAt {
	b.Helper()
	r := sftp.NewRequest("Open", benchPath)
	r.Flags = flags
	var (
		h   any
		err error
	)
	switch {
	case flags&pfRead != 0 && flags&pfWrite != 0:
		h, err = a.OpenFile(r)
	case flags&pfWrite != 0:
		h, err = a.Filewrite(r)
	default:
		h, err = a.Fileread(r)
	}
	if err != nil {
		b.Fatalf("open %s: %v", benchPath, err)
	}
	rw, ok := h.(sftp.WriterAtReaderAt)
	if !ok {
		b.Fatalf("handle %T is not a WriterAtReaderAt", h)
	}
	return rw
}

func closeHandle(b *testing.B, h any) {
	b.Helper()
	if err := h.(io.Closer).Close(); err != nil {
		b.Fatalf("close: %v", err)
	}
}

func randomBlock(b *testing.B, n int) []byte {
	b.Helper()
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkHandleReadAt times the ReadAt of a download handle (an OPEN with
// READ only), cycling over the blocks of a file of benchBlocks random
// blocks. Every block is read and compared once before the timer starts.
func BenchmarkHandleReadAt(b *testing.B) {
	benchMatrix(b, func(b *testing.B, fsys afero.Fs, a *sftpadapter.Adapter, ops *opLog, block int) {
		content := make([]byte, 0, block*benchBlocks)
		for range benchBlocks {
			content = append(content, randomBlock(b, block)...)
		}
		if err := afero.WriteFile(fsys, benchPath, content, 0o644); err != nil {
			b.Fatal(err)
		}
		h := openHandle(b, a, pfRead)
		buf := make([]byte, block)
		for k := range benchBlocks {
			n, err := h.ReadAt(buf, int64(k*block))
			if n != block || (err != nil && err != io.EOF) || !bytes.Equal(buf, content[k*block:(k+1)*block]) {
				b.Fatalf("block %d: read %d bytes, %v, or wrong content", k, n, err)
			}
		}

		b.SetBytes(int64(block))
		b.ReportAllocs()
		iters := 0
		for b.Loop() {
			off := int64(iters%benchBlocks) * int64(block)
			if n, err := h.ReadAt(buf, off); n != block || (err != nil && err != io.EOF) {
				b.Fatalf("ReadAt(%d) = %d, %v", off, n, err)
			}
			iters++
		}
		b.StopTimer()

		// The last block read is where the loop left it.
		k := (iters - 1) % benchBlocks
		if !bytes.Equal(buf, content[k*block:(k+1)*block]) {
			b.Fatalf("block %d read in the loop has the wrong content", k)
		}
		closeHandle(b, h)
		op := ops.only(b)
		if want := int64((iters + benchBlocks) * block); op.Kind != sftpadapter.OpDownload || op.BytesRead != want || op.Err != nil {
			b.Fatalf("reported %s of %d bytes (err %v), want a download of %d", op.Kind, op.BytesRead, op.Err, want)
		}
	})
}

// BenchmarkHandleWriteAt times the WriteAt of an upload handle (an OPEN with
// WRITE|CREAT|TRUNC), writing sequentially at the end of the file as an
// upload does. Every benchBlocks blocks the file is truncated to zero with
// the timer stopped, so it stays small; a first, untimed pass lets the
// backend reach its final size once. Each block has its own random
// content; the file is read back and compared after the loop.
//
// Writing at the end matters for afero's MemMapFs: a WriteAt before the end
// moves the whole rest of the file in memory, so an overwrite benchmark
// would measure that copy rather than the adapter.
func BenchmarkHandleWriteAt(b *testing.B) {
	benchMatrix(b, func(b *testing.B, fsys afero.Fs, a *sftpadapter.Adapter, ops *opLog, block int) {
		blocks := make([][]byte, benchBlocks)
		for k := range blocks {
			blocks[k] = randomBlock(b, block)
		}
		h := openHandle(b, a, pfWrite|pfCreat|pfTrunc)
		// A second descriptor on the same file, to truncate it.
		trunc, err := fsys.OpenFile(benchPath, os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer trunc.Close()
		warm := 0
		for k := range blocks {
			if _, err := h.WriteAt(blocks[k], int64(k*block)); err != nil {
				b.Fatal(err)
			}
			warm += block
		}
		if err := trunc.Truncate(0); err != nil {
			b.Fatal(err)
		}

		b.SetBytes(int64(block))
		b.ReportAllocs()
		iters := 0
		for b.Loop() {
			k := iters % benchBlocks
			if k == 0 && iters > 0 {
				b.StopTimer()
				if err := trunc.Truncate(0); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			if n, err := h.WriteAt(blocks[k], int64(k*block)); n != block || err != nil {
				b.Fatalf("WriteAt(%d) = %d, %v", k*block, n, err)
			}
			iters++
		}
		b.StopTimer()

		closeHandle(b, h)
		op := ops.only(b)
		if want := int64(warm + iters*block); op.Kind != sftpadapter.OpUpload || op.BytesWritten != want || op.Err != nil {
			b.Fatalf("reported %s of %d bytes (err %v), want an upload of %d", op.Kind, op.BytesWritten, op.Err, want)
		}
		got, err := afero.ReadFile(fsys, benchPath)
		if err != nil {
			b.Fatal(err)
		}
		written := (iters-1)%benchBlocks + 1 // blocks since the last truncation
		if len(got) != written*block {
			b.Fatalf("file is %d bytes after %d writes, want %d", len(got), iters, written*block)
		}
		for k := range written {
			if !bytes.Equal(got[k*block:(k+1)*block], blocks[k]) {
				b.Fatalf("block %d has the wrong content after %d writes", k, iters)
			}
		}
	})
}

// BenchmarkPolicyCheck is the reference for the benchmarks above: what one
// evaluation of the expensive policy costs, the cost ReadAt and WriteAt
// would carry per block if they re-checked permissions.
func BenchmarkPolicyCheck(b *testing.B) {
	p := expensivePolicy(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check(benchPath, perms.Read, perms.Write); err != nil {
			b.Fatal(err)
		}
	}
}
