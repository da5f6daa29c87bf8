package main

import (
	"bufio"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sftpkit/sftpkit/auth"
)

// defaultConfigTemplate is the configuration written at first start.
// {DATA} becomes the absolute state directory and {DEMO_PASSWORD_HASH} the
// hash of the generated demo password.
//
//go:embed default.ini
var defaultConfigTemplate string

// defaultConfig returns the path of DATA/sftpd.ini, writing it from the
// embedded default at first start, with a new demo password that it prints
// once (only its hash is stored).
func defaultConfig(data string, out io.Writer) (string, error) {
	path := filepath.Join(data, "sftpd.ini")
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(out, "configuration: %s\n", path)
		return path, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	abs, err := filepath.Abs(data)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", err
	}
	pw := rand.Text()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return "", err
	}
	text := strings.NewReplacer("{DATA}", abs, "{DEMO_PASSWORD_HASH}", hash).Replace(defaultConfigTemplate)
	// Written to a temporary file and linked into place, so a crash never
	// leaves a half-written configuration and an existing one is never
	// overwritten.
	tmp, err := os.CreateTemp(abs, ".sftpd.ini-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return "", err
	}
	fmt.Fprintf(out, "created %s with the account \"demo\", password %s\n(shown once; only its hash is kept. Upload into /push, download from /pull.)\n", path, pw)
	return path, nil
}

// hashPassword implements "sftpd hash-password": it reads one password from
// in and prints its argon2id hash, for the password option of an account.
func hashPassword(in io.Reader, out, errOut io.Writer) int {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(errOut, "sftpd hash-password: %v\n", err)
		return 1
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		fmt.Fprintln(errOut, "sftpd hash-password: empty password (give it on standard input)")
		return 2
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		fmt.Fprintf(errOut, "sftpd hash-password: %v\n", err)
		return 1
	}
	fmt.Fprintln(out, hash)
	return 0
}
