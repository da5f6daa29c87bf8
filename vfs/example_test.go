package vfs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/vfs"
)

func ExampleNewRootFs() {
	home, err := os.MkdirTemp("", "home")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(home)

	fsys, err := vfs.NewRootFs(home)
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()

	if err := afero.WriteFile(fsys, "/hello.txt", []byte("hello"), 0o644); err != nil {
		log.Fatal(err)
	}
	data, err := afero.ReadFile(fsys, "/hello.txt")
	fmt.Println(string(data), err)

	// Errors name virtual paths only.
	_, err = fsys.Stat("/missing")
	fmt.Println(err, errors.Is(err, fs.ErrNotExist))

	// Names must be clean and absolute.
	_, err = fsys.Stat("/../etc/passwd")
	fmt.Println(errors.Is(err, fs.ErrInvalid))

	// Symbolic link creation is off unless vfs.AllowSymlinks is given.
	err = fsys.SymlinkIfPossible("hello.txt", "/link")
	fmt.Println(errors.Is(err, vfs.ErrSymlinksDisabled))
	// Output:
	// hello <nil>
	// stat /missing: no such file or directory true
	// true
	// true
}
