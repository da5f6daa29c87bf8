package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/afero"
)

// rootFile is the afero.File returned by RootFs. It wraps an *os.File so
// that Name reports the virtual path and errors never carry the host path
// that os.Root gives its files. *os.File makes concurrent ReadAt and
// WriteAt safe.
type rootFile struct {
	f    *os.File
	name string // virtual path
}

// err rewrites the path inside a file error to the virtual name. Errors
// without a path (io.EOF, ...) are returned unchanged, so callers can
// compare them with ==.
func (f *rootFile) err(err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: f.name, Err: cause(err)}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return &fs.PathError{Op: le.Op, Path: f.name, Err: cause(err)}
	}
	return err
}

func (f *rootFile) Name() string { return f.name }

func (f *rootFile) Close() error { return f.err(f.f.Close()) }

func (f *rootFile) Read(p []byte) (int, error) {
	n, err := f.f.Read(p)
	return n, f.err(err)
}

func (f *rootFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(p, off)
	return n, f.err(err)
}

func (f *rootFile) Seek(offset int64, whence int) (int64, error) {
	n, err := f.f.Seek(offset, whence)
	return n, f.err(err)
}

func (f *rootFile) Write(p []byte) (int, error) {
	n, err := f.f.Write(p)
	return n, f.err(err)
}

func (f *rootFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.f.WriteAt(p, off)
	return n, f.err(err)
}

func (f *rootFile) WriteString(s string) (int, error) {
	n, err := f.f.WriteString(s)
	return n, f.err(err)
}

func (f *rootFile) Readdir(count int) ([]os.FileInfo, error) {
	fis, err := f.f.Readdir(count)
	return fis, f.err(err)
}

func (f *rootFile) Readdirnames(n int) ([]string, error) {
	names, err := f.f.Readdirnames(n)
	return names, f.err(err)
}

// ReadDir makes the file an fs.ReadDirFile.
func (f *rootFile) ReadDir(n int) ([]fs.DirEntry, error) {
	des, err := f.f.ReadDir(n)
	return des, f.err(err)
}

func (f *rootFile) Stat() (os.FileInfo, error) {
	fi, err := f.f.Stat()
	if err != nil {
		return nil, f.err(err)
	}
	return virtualInfo(f.name, fi), nil
}

func (f *rootFile) Sync() error { return f.err(f.f.Sync()) }

func (f *rootFile) Truncate(size int64) error { return f.err(f.f.Truncate(size)) }

// Interface checks.
var (
	_ afero.File         = (*rootFile)(nil)
	_ fs.ReadDirFile     = (*rootFile)(nil)
	_ io.ReaderAt        = (*rootFile)(nil)
	_ io.WriterAt        = (*rootFile)(nil)
	_ io.StringWriter    = (*rootFile)(nil)
	_ io.ReadWriteSeeker = (*rootFile)(nil)
)
