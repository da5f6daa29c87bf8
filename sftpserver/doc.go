// Package sftpserver is sftpkit's ready-made SFTP server.
//
// A Server is configured like net/http's: set its fields, then call Serve
// with listeners (several at once if you have several endpoints) or
// ListenAndServe with Addrs. Shutdown stops gracefully, Close at once; both
// make Serve return ErrServerClosed.
//
//	srv := &sftpserver.Server{
//		HostKeys: []ssh.Signer{hostKey},    // see keys.LoadOrCreateHostKey
//		Auth:     accounts,                 // an auth.Authenticator, required
//		Root:     "/srv/sftp",              // each account jailed in /srv/sftp/<name>
//	}
//	err := srv.ListenAndServe()
//
// # What happens to a connection
//
// Each accepted connection is checked against MaxConns, MaxUnauthConns and
// MaxConnsPerIP, then gets a handshake deadline and a fresh copy of the
// server's ssh.ServerConfig (algorithms restricted to
// ssh.SupportedAlgorithms()). The Authenticator installs its callbacks on
// that copy (auth.Authenticator); the server wraps them so the user name is
// locked at the first attempt and RSA keys shorter than MinRSABits are
// refused, and refuses to serve if no method is enabled or NoClientAuth is
// set. Authentication must end with an auth.Identity in the permissions; its
// absence closes the connection.
//
// After authentication only "session" channels are accepted, and in them
// only the "sftp" subsystem: exec, shell, pty, port forwarding and global
// requests are refused. For each SFTP session the FileSystem (default:
// HomeDirs(Root), an os.Root jail per account) provides an afero.Fs, and an
// internal adapter serves pkg/sftp's request server from it. Every client
// path is made canonical once (sftpkit/internal/vpath): absolute, clean,
// ".." clamped at "/", NUL and backslash refused. Errors reach the client as
// fixed messages with the matching SFTP status; details go to Logger. When
// the session ends the server sends "exit-status" and closes the channel.
//
// # Shutdown
//
// Shutdown closes the listeners, then polls: a connection still
// authenticating is closed, and a connection is closed once none of its
// sessions has a request in flight or a handle open and it has been quiet
// for a moment. Uploads and downloads in flight therefore finish and the
// files are whole. If ctx ends first, Shutdown returns ctx.Err() and leaves
// the remaining connections open: call Close to end them.
//
// # Events
//
// Every login (succeeded or rejected, with the reason), session start and
// end, completed or aborted transfer (bytes, duration), and mkdir, rmdir,
// remove, rename, setstat and symlink (with outcome) is an Event, delivered
// in order to Events and logged to Logger. Delivery runs on the server's own
// goroutine through a bounded queue: a slow or panicking sink never delays or
// fails a client operation; overflow is counted by DroppedEvents.
//
// # Protocol decisions
//
//   - SSH_FXP_RENAME replaces an existing file, never a directory;
//     posix-rename@openssh.com replaces atomically.
//   - SYMLINK is OP_UNSUPPORTED unless AllowSymlinks; then the target must
//     stay inside the session's filesystem (a target climbing above "/" is
//     PERMISSION_DENIED).
//   - hardlink@openssh.com and statvfs@openssh.com answer OP_UNSUPPORTED.
//     pkg/sftp still advertises them in its VERSION reply: changing that
//     takes pkg/sftp's process-global SetSFTPExtensions, which this package
//     never calls (nor any other pkg/sftp global, such as MaxFilelist).
//   - Files show the virtual owner 1000:1000 named after the account; a
//     SETSTAT to other ids is PERMISSION_DENIED.
//   - READ and WRITE at negative offsets (≥ 2^63 on the wire) and writes
//     ending beyond 4 TiB are refused with FAILURE.
//   - Directories are read in pages of pkg/sftp's batch size, never whole.
package sftpserver
