package sftpserver_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

// End-to-end benchmarks: a real server (sftptest, the default HomeDirs
// filesystem on a temp directory) and pkg/sftp's client in the same
// process, over a TCP loopback socket, with SSH encryption and the default
// algorithms. The server and the client share the machine's cores.
//
// B/op and allocs/op count every allocation in the process: the client's
// (its packet buffers, its worker goroutines) as well as the server's, the
// SSH layer's on both sides and pkg/sftp's request server. They are an upper
// bound for the server, not its cost alone.
//
// Every benchmark checks what it moved after the timed loop (and the size
// of each transfer inside it), so it cannot silently time failures.

const transferSize = 16 << 20

// benchClients are the client configurations the bulk transfers run with:
// concurrent reads and writes, with the default 32 KiB packets and with
// the 255 KiB packets OpenSSH's sftp-server accepts.
var benchClients = []struct {
	name string
	opts []sftp.ClientOption
}{
	{"packet=32KiB", []sftp.ClientOption{sftp.UseConcurrentReads(true), sftp.UseConcurrentWrites(true)}},
	{"packet=255KiB", []sftp.ClientOption{sftp.UseConcurrentReads(true), sftp.UseConcurrentWrites(true), sftp.MaxPacketUnchecked(261120)}},
}

// benchServer starts a server and logs in once, so that the home exists.
func benchServer(b *testing.B) *sftptest.Server {
	b.Helper()
	ts := sftptest.NewServer(b, nil)
	if _, err := ts.Client(b).Getwd(); err != nil {
		b.Fatal(err)
	}
	return ts
}

// benchClient returns a pkg/sftp client with opts, closed with b.Cleanup.
func benchClient(b *testing.B, ts *sftptest.Server, opts []sftp.ClientOption) *sftp.Client {
	b.Helper()
	c, err := sftp.NewClient(ts.Dial(b, nil), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func randomBytes(b *testing.B, n int) []byte {
	b.Helper()
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkUpload uploads a 16 MiB file per iteration (Create, then
// ReadFrom, which pipelines the WRITEs, then Close) and compares the stored
// file with the source after the loop.
func BenchmarkUpload(b *testing.B) {
	ts := benchServer(b)
	data := randomBytes(b, transferSize)
	for _, cv := range benchClients {
		b.Run(cv.name, func(b *testing.B) {
			c := benchClient(b, ts, cv.opts)
			name := "up-" + cv.name + ".bin"
			b.SetBytes(transferSize)
			b.ReportAllocs()
			for b.Loop() {
				f, err := c.Create("/" + name)
				if err != nil {
					b.Fatal(err)
				}
				n, err := f.ReadFrom(bytes.NewReader(data))
				if err != nil || n != transferSize {
					b.Fatalf("upload: %d bytes, %v", n, err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
			got, err := os.ReadFile(filepath.Join(home(ts), name))
			if err != nil {
				b.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				b.Fatalf("stored file (%d bytes) differs from the %d bytes uploaded", len(got), len(data))
			}
		})
	}
}

// BenchmarkDownload downloads a 16 MiB file per iteration (Open, then
// WriteTo, which pipelines the READs, as io.Copy does) into a buffer
// allocated once, and compares the buffer with the file after the loop.
//
// pkg/sftp's concurrent WriteTo assumes that the server answers every READ
// of a regular file in full, as OpenSSH's sftp-server does up to 255 KiB;
// a server that answers with fewer bytes makes it skip the rest of the
// chunk without an error. The size check in the loop catches that.
func BenchmarkDownload(b *testing.B) {
	ts := benchServer(b)
	data := randomBytes(b, transferSize)
	if err := os.WriteFile(filepath.Join(home(ts), "down.bin"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, cv := range benchClients {
		b.Run(cv.name, func(b *testing.B) {
			c := benchClient(b, ts, cv.opts)
			var buf bytes.Buffer
			buf.Grow(transferSize)
			b.SetBytes(transferSize)
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				f, err := c.Open("/down.bin")
				if err != nil {
					b.Fatal(err)
				}
				n, err := f.WriteTo(&buf)
				if err != nil || n != transferSize {
					b.Fatalf("download: %d of %d bytes, %v (short READ replies?)", n, transferSize, err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
			if !bytes.Equal(buf.Bytes(), data) {
				b.Fatalf("downloaded %d bytes that differ from the %d bytes stored", buf.Len(), len(data))
			}
		})
	}
}

// BenchmarkUploadSmallFiles uploads 100 files of 4 KiB per iteration, each
// with its own OPEN, WRITE and CLOSE, and compares every stored file with
// its source after the loop.
func BenchmarkUploadSmallFiles(b *testing.B) {
	const (
		files = 100
		size  = 4 << 10
	)
	ts := benchServer(b)
	c := benchClient(b, ts, benchClients[0].opts)
	if err := c.Mkdir("/small"); err != nil {
		b.Fatal(err)
	}
	contents := make([][]byte, files)
	names := make([]string, files)
	for i := range contents {
		contents[i] = randomBytes(b, size)
		names[i] = fmt.Sprintf("f%03d.dat", i)
	}
	b.SetBytes(files * size)
	b.ReportAllocs()
	for b.Loop() {
		for i, name := range names {
			f, err := c.Create("/small/" + name)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := f.Write(contents[i]); err != nil || n != size {
				b.Fatalf("write %s: %d bytes, %v", name, n, err)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i, name := range names {
		got, err := os.ReadFile(filepath.Join(home(ts), "small", name))
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(got, contents[i]) {
			b.Fatalf("%s: stored %d bytes that differ from the %d uploaded", name, len(got), size)
		}
	}
}

// BenchmarkReadDir lists a directory of 1,000 empty files per iteration
// (OPENDIR, READDIR until EOF, CLOSE) and checks the names once.
func BenchmarkReadDir(b *testing.B) {
	const entries = 1000
	ts := benchServer(b)
	dir := filepath.Join(home(ts), "list")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	want := make([]string, entries)
	for i := range want {
		want[i] = fmt.Sprintf("entry-%04d", i)
		if err := os.WriteFile(filepath.Join(dir, want[i]), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	c := benchClient(b, ts, benchClients[0].opts)
	b.ReportAllocs()
	var last []os.FileInfo
	for b.Loop() {
		fis, err := c.ReadDir("/list")
		if err != nil || len(fis) != entries {
			b.Fatalf("ReadDir: %d entries, %v", len(fis), err)
		}
		last = fis
	}
	got := make([]string, len(last))
	for i, fi := range last {
		got[i] = fi.Name()
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		b.Fatalf("listed %v…, want %v…", got[:3], want[:3])
	}
}
