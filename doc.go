// Package sftpkit is an embeddable Go SDK for SFTP servers with
// managed-file-transfer (MFT) policy.
//
// It sits between a bare library (golang.org/x/crypto/ssh plus
// github.com/pkg/sftp, which give a protocol and no policy) and a daemon you
// cannot import: small, composable packages for the policy of commercial MFT
// servers, plus a ready-made server that wires them together.
//
// # Packages
//
//   - sftpserver: the ready-made Server (net/http style: Serve,
//     ListenAndServe, Shutdown, Close), connection limits, events; and
//     sftpserver/sftptest, an in-process server for tests.
//   - auth: the Authenticator seam the server calls for each connection, the
//     Identity it produces, password hashing (argon2id) and a simple
//     authenticator of static accounts.
//   - keys: authorized_keys parsing and host key loading/creation.
//   - vfs: filesystems as afero.Fs: RootFs, a jail on os.Root, and
//     vfs/vfstest, the conformance suite every backend runs.
//   - perms, groups: SFTPPlus-style permission rules and account/group
//     resolution (being built; see their package documentation).
//   - examples/sftpd: the runnable server (go run ./examples/sftpd).
//
// # Data flow
//
// Data flows one way, and each step receives only what the previous one
// decided:
//
//	TCP connection ─► sftpserver.Server    limits, handshake deadline, a fresh ssh.ServerConfig
//	               ─► auth.Authenticator   credentials → auth.Identity (in ssh.Permissions.ExtraData)
//	               ─► sftpserver.FileSystem identity → the session's afero.Fs (default: vfs.RootFs jail)
//	               ─► internal adapter     pkg/sftp handlers; every client path made canonical once;
//	                                       errors mapped to client-safe SFTP statuses; panics recovered
//	               ─► events               one typed stream (sftpserver.Event) plus slog
//
// Every client path is converted once, at the edge, into a canonical virtual
// path (absolute, '/'-separated, clean, ".." clamped at "/", NUL and
// backslash refused); every later layer sees only that string.
//
// # Security model
//
// A session can reach only what its afero.Fs exposes. The default
// filesystem is an os.Root jail: ".." and absolute paths are clamped
// lexically, and symbolic links that resolve outside the root — planted by
// someone with host access, absolute or relative, dangling or not — are
// refused by the kernel-backed os.Root walk, never by a prefix check.
// Symbolic link creation is off by default. A server with no Authenticator
// refuses to start; an authenticator that completes without an
// auth.Identity is refused. Error messages sent to clients are fixed strings
// that never contain host paths.
package sftpkit
