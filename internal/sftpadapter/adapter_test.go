package sftpadapter

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/pkg/sftp"
	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// OP-18: storage errors map to the SFTP statuses of SPEC 8.1 step 5, with
// fixed messages.
func TestToStatus_OP18(t *testing.T) {
	hostPath := "/srv/secret/home/alice/x"
	tests := []struct {
		err  error
		code uint32
	}{
		{&fs.PathError{Op: "open", Path: hostPath, Err: syscall.ENOENT}, codeNoSuchFile},
		{fs.ErrNotExist, codeNoSuchFile},
		{&fs.PathError{Op: "open", Path: hostPath, Err: syscall.EACCES}, codePermission},
		{&fs.PathError{Op: "open", Path: hostPath, Err: syscall.EPERM}, codePermission},
		{&fs.PathError{Op: "rmdir", Path: hostPath, Err: syscall.ENOTEMPTY}, codeFailure},
		{&fs.PathError{Op: "mkdir", Path: hostPath, Err: syscall.EEXIST}, codeFailure},
		{&os.LinkError{Op: "rename", Old: hostPath, New: hostPath + "2", Err: syscall.EXDEV}, codeFailure},
		{&fs.PathError{Op: "write", Path: hostPath, Err: syscall.ENOSPC}, codeFailure},
		{fmt.Errorf("wrapped: %w", vpath.ErrNUL), codeFailure},
		{errors.New("backend exploded at " + hostPath), codeFailure},
		{sftp.ErrSSHFxOpUnsupported, codeOpUnsupported},
		{errPermission, codePermission},
	}
	for _, tt := range tests {
		got := toStatus(tt.err)
		if got.Code() != tt.code {
			t.Errorf("toStatus(%v) code %d, want %d", tt.err, got.Code(), tt.code)
		}
		if strings.Contains(got.Error(), "/srv") {
			t.Errorf("toStatus(%v) message %q leaks the host path", tt.err, got.Error())
		}
		// pkg/sftp reads the code through errors.As on its own type.
		if !errors.Is(got, got.fx) {
			t.Errorf("toStatus(%v) does not unwrap to pkg/sftp's status", tt.err)
		}
	}
	if toStatus(nil) != nil {
		t.Error("toStatus(nil) != nil")
	}
}

// panicFs panics in every method the adapter reaches.
type panicFs struct{ afero.Fs }

func (panicFs) Mkdir(string, os.FileMode) error { panic("boom: mkdir") }
func (panicFs) Stat(string) (os.FileInfo, error) {
	panic("boom: stat")
}
func (p panicFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := p.Fs.OpenFile(name, flag, perm)
	return panicFile{f}, err
}

type panicFile struct{ afero.File }

func (panicFile) ReadAt([]byte, int64) (int, error)  { panic("boom: readat") }
func (panicFile) WriteAt([]byte, int64) (int, error) { panic("boom: writeat") }
func (f panicFile) Stat() (os.FileInfo, error)       { return f.File.Stat() }

// Every handler and every ReadAt/WriteAt runs under recover.
func TestAdapter_PanicsRecovered(t *testing.T) {
	a := New(Config{Fs: panicFs{afero.NewMemMapFs()}})
	wantInternal := func(what string, err error) {
		t.Helper()
		var se *StatusError
		if !errors.As(err, &se) || se != errInternal {
			t.Errorf("%s: %v, want the internal error", what, err)
		}
	}
	wantInternal("mkdir", a.Filecmd(sftp.NewRequest("Mkdir", "/d")))
	_, err := a.Filelist(sftp.NewRequest("Stat", "/d"))
	wantInternal("stat", err)
	r := sftp.NewRequest("Open", "/f")
	r.Flags = 0x02 | 0x08 // WRITE|CREAT
	w, err := a.Filewrite(r)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.WriteAt([]byte("x"), 0)
	wantInternal("writeat", err)
	_, err = w.(io.ReaderAt).ReadAt(make([]byte, 1), 0)
	wantInternal("readat", err)
	if err := w.(io.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	if a.OpenHandles() != 0 || a.Busy() {
		t.Fatal("handle or request still counted after recovery")
	}
}

func TestAdapter_RefusesBadOffsets(t *testing.T) {
	a := New(Config{Fs: afero.NewMemMapFs(), MaxWriteOffset: 1 << 20})
	r := sftp.NewRequest("Open", "/f")
	r.Flags = 0x01 | 0x02 | 0x08
	rw, err := a.OpenFile(r)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.(io.Closer).Close()
	for _, off := range []int64{-1, -1 << 63} {
		if _, err := rw.ReadAt(make([]byte, 4), off); err != errBadOffset {
			t.Errorf("ReadAt(%d) = %v", off, err)
		}
		if _, err := rw.WriteAt([]byte("x"), off); err != errBadOffset {
			t.Errorf("WriteAt(%d) = %v", off, err)
		}
	}
	if _, err := rw.WriteAt([]byte("xy"), 1<<20-1); err != errBadOffset {
		t.Errorf("write past MaxWriteOffset = %v", err)
	}
	if _, err := rw.WriteAt([]byte("xy"), 1<<20-2); err != nil {
		t.Errorf("write up to MaxWriteOffset = %v", err)
	}
}

// Directories are read page by page, as pkg/sftp asks.
func TestAdapter_ListsInPages(t *testing.T) {
	fsys := afero.NewMemMapFs()
	const n = 1050
	for i := range n {
		if err := afero.WriteFile(fsys, fmt.Sprintf("/big/f%04d", i), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := New(Config{Fs: fsys, UID: 7, GID: 8})
	la, err := a.Filelist(sftp.NewRequest("List", "/big"))
	if err != nil {
		t.Fatal(err)
	}
	if a.OpenHandles() != 1 {
		t.Fatalf("open handles = %d, want 1", a.OpenHandles())
	}
	seen := map[string]bool{}
	buf := make([]os.FileInfo, 100)
	var off int64
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("listing does not end")
		}
		k, err := la.ListAt(buf, off)
		for _, fi := range buf[:k] {
			if seen[fi.Name()] {
				t.Fatalf("%s listed twice", fi.Name())
			}
			seen[fi.Name()] = true
			if u, ok := fi.(sftp.FileInfoUidGid); !ok || u.Uid() != 7 || u.Gid() != 8 || fi.Sys() != nil {
				t.Fatalf("entry %s does not carry the virtual ids only", fi.Name())
			}
		}
		off += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != n {
		t.Fatalf("listed %d entries, want %d", len(seen), n)
	}
	if _, err := la.ListAt(buf, 3); err == nil {
		t.Error("ListAt at an offset already passed succeeded")
	}
	la.(io.Closer).Close()
	if a.OpenHandles() != 0 {
		t.Fatal("directory handle not released")
	}
}

// DESIGN §2: an OPEN with CREAT|TRUNC but no WRITE is a write open (it
// modifies the file) and is reported as such.
func TestAdapter_CreatTruncWithoutWriteIsWriteOpen(t *testing.T) {
	fsys := afero.NewMemMapFs()
	afero.WriteFile(fsys, "/f", []byte("content"), 0o644)
	var ops []Op
	a := New(Config{Fs: fsys, Observe: func(op Op) { ops = append(ops, op) }})
	r := sftp.NewRequest("Open", "/f")
	r.Flags = 0x10 // TRUNC only
	w, err := a.Filewrite(r)
	if err != nil {
		t.Fatal(err)
	}
	w.(io.Closer).Close()
	if b, _ := afero.ReadFile(fsys, "/f"); len(b) != 0 {
		t.Fatalf("file = %q, want truncated", b)
	}
	if len(ops) != 1 || ops[0].Kind != OpUpload {
		t.Fatalf("ops = %+v, want one upload", ops)
	}
}

func TestAdapter_RootIsProtected(t *testing.T) {
	a := New(Config{Fs: afero.NewMemMapFs()})
	for _, r := range []*sftp.Request{
		sftp.NewRequest("Rmdir", "/"),
		sftp.NewRequest("Remove", "/"),
		{Method: "Rename", Filepath: "/", Target: "/x"},
	} {
		if err := a.Filecmd(r); err != errPermission {
			t.Errorf("%s /: %v, want permission denied", r.Method, err)
		}
	}
}
