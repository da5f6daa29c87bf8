// Package vpath computes the one canonical virtual path every layer of
// sftpkit works with.
//
// A virtual path is what the SFTP client sees: absolute, '/'-separated,
// lexically clean, with no trailing slash except for the root "/". The SFTP
// adapter converts each client path with [Canonical] exactly once, at the
// edge; permission checks, virtual-folder routing, storage and events all
// receive that same string and never look at the raw client path.
//
// Policy, decided once here:
//   - A NUL byte is refused, before and after cleaning.
//   - Invalid UTF-8 is refused (SPEC 8.1).
//   - A backslash is refused. On a POSIX backend it would be an ordinary
//     name character, on a Windows or object-store backend a separator; a
//     name that means two different things to two layers is exactly the
//     kind of disagreement that leads to jail escapes, so sftpkit accepts
//     neither meaning. SFTP itself only ever uses '/'.
//   - Relative paths are resolved against "/" (the session's start
//     directory); ".." never climbs above "/" (it clamps, as a chroot does).
//   - Paths longer than [MaxLen] bytes are refused.
//
// No symbolic link is resolved here: that is the storage layer's business.
package vpath

import (
	"errors"
	"path"
	"strings"
	"unicode/utf8"
)

// MaxLen is the longest client path accepted, in bytes (Linux's PATH_MAX).
const MaxLen = 4096

// MaxNameLen is the longest single name accepted by [ValidName], in bytes.
const MaxNameLen = 255

// Errors returned by Canonical and ValidName. Their text is safe to show
// to a client.
var (
	ErrNUL       = errors.New("path contains a NUL byte")
	ErrUTF8      = errors.New("path is not valid UTF-8")
	ErrBackslash = errors.New("path contains a backslash")
	ErrTooLong   = errors.New("path too long")
	ErrName      = errors.New("invalid name")
)

// Canonical returns the canonical virtual path of the client path p.
func Canonical(p string) (string, error) {
	if err := check(p); err != nil {
		return "", err
	}
	c := path.Clean("/" + p)
	if err := check(c); err != nil {
		return "", err
	}
	return c, nil
}

func check(p string) error {
	switch {
	case len(p) > MaxLen:
		return ErrTooLong
	case strings.IndexByte(p, 0) >= 0:
		return ErrNUL
	case strings.IndexByte(p, '\\') >= 0:
		return ErrBackslash
	case !utf8.ValidString(p):
		return ErrUTF8
	}
	return nil
}

// IsCanonical reports whether p is already a canonical virtual path.
func IsCanonical(p string) bool {
	c, err := Canonical(p)
	return err == nil && c == p
}

// ValidName reports whether name can be used as one path element taken from
// configuration or a login, such as an account name that becomes a home
// folder. It refuses the empty name, "." and "..", and names containing '/',
// a backslash, NUL or another control character, invalid UTF-8, or more than
// MaxNameLen bytes.
func ValidName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > MaxNameLen || !utf8.ValidString(name) {
		return ErrName
	}
	for _, r := range name {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return ErrName
		}
	}
	return nil
}

// ResolveLink resolves a symbolic link's target lexically, without touching
// storage. dir is the canonical virtual directory holding the link. A
// relative target is taken from dir; an absolute one from "/". It returns the
// canonical virtual path of the target and false when a relative target
// climbs above "/" (it would leave the jail) or the target is not a valid
// path.
func ResolveLink(dir, target string) (string, bool) {
	if target == "" || check(target) != nil {
		return "", false
	}
	if path.IsAbs(target) {
		return path.Clean(target), true
	}
	// Resolve in relative form so that ".." above the root stays visible
	// instead of being clamped by path.Clean.
	joined := path.Join(strings.TrimPrefix(dir, "/"), target)
	if joined == ".." || strings.HasPrefix(joined, "../") {
		return "", false
	}
	if joined == "." {
		return "/", true
	}
	return "/" + joined, true
}

// Rel returns the relative path from the canonical virtual directory dir to
// the canonical virtual path target.
func Rel(dir, target string) string {
	split := func(p string) []string {
		if p == "/" {
			return nil
		}
		return strings.Split(p[1:], "/")
	}
	d, t := split(dir), split(target)
	i := 0
	for i < len(d) && i < len(t) && d[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(d)-i+len(t)-i)
	for range d[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}
