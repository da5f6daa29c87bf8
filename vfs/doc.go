// Package vfs provides the storage backends of sftpkit: afero.Fs
// implementations that the SFTP server reads and writes through, and a
// conformance suite (package vfs/vfstest) that every backend must pass.
//
// # Names
//
// Every name handed to a backend in this package is a virtual path: clean,
// absolute and '/'-separated, such as "/" or "/a/b", where "/" is the
// account's root directory. Canonicalisation happens before the backend is
// reached (internal/vpath); [RootFs] re-checks it as defence in depth and
// rejects anything else (relative names, "..", trailing slashes, NUL bytes)
// with an error wrapping [io/fs.ErrInvalid].
//
// # Security model
//
// [RootFs] confines all access to one host directory. The confinement is
// done by [os.Root], which resolves every path component with openat
// relative to an open directory handle, never by string manipulation:
//
//   - afero.BasePathFs is not a jail. Its lexical prefix check lets
//     /srv/alice reach /srv/alice2, it follows symbolic links out of the
//     base, and its errors carry host paths. Any "strings.HasPrefix(real,
//     base)" check has the same flaws and is also defeated by a symbolic
//     link swapped in between the check and the use (TOCTOU).
//   - os.Root refuses any step that would leave the root, including one
//     made through a symbolic link planted by someone with host access. Absolute link
//     targets are always refused; relative ones are followed only while
//     they stay inside. Creating a file through a dangling link that points
//     outside fails instead of creating the outside file.
//   - Escapes are reported as errors wrapping [ErrEscapesRoot] (and so
//     [io/fs.ErrPermission]).
//   - Errors never contain the host directory: every *fs.PathError and
//     *os.LinkError is rewritten to carry the virtual name, keeping the
//     underlying cause so errors.Is with io/fs sentinels and syscall errnos
//     keeps working. Files report their virtual name from Name().
//   - Creating symbolic links is refused unless [AllowSymlinks] is given.
//     A user-created link can re-expose a restricted location under a more
//     permissive virtual path, so even when enabled the target must stay
//     inside the root after lexical resolution relative to the link's
//     directory; absolute targets mean "relative to the root" and are
//     stored as relative links, so the host never sees an absolute link.
//   - Modes passed to Mkdir, MkdirAll, OpenFile and Chmod are limited to
//     the permission bits (0o777): RootFs never sets setuid, setgid or
//     sticky bits on host files.
//
// What os.Root does not protect against, and so neither does RootFs:
//
//   - bind mounts and other mount points inside the tree: a directory
//     mounted below the root is reachable like any other directory;
//   - device files, FIFOs and sockets placed inside the tree by someone
//     with host access: opening them acts on the device (a FIFO may block);
//   - hard links inside the tree that reference files elsewhere on the
//     same file system: their content is served;
//   - on Unix, Chmod, Chown and Chtimes race with a concurrent swap of the
//     target for a symbolic link (see [os.Root]); the operation may then
//     apply to the link itself.
//
// Keep the trees that RootFs serves free of such entries, or make them
// read-only to the server's user.
//
// # Concurrency
//
// A RootFs is immutable after construction and safe for concurrent use.
// Files it returns wrap *os.File, so concurrent ReadAt and WriteAt calls on
// one file are safe, as the SFTP server's parallel workers require.
package vfs
