// Package directory is the directory of a Quatrix-style file-transfer
// service (SPEC §18–§22): tenants that buy SFTP licences, users with a class
// (Pro, Associate, Jailed or a custom group), contacts who never log in,
// generated SFTP login IDs and custom logins, SSH keys with a title and an
// expiry, and project folders shared with users through presets.
//
// A Directory keeps its state in a Store and exposes the administrative
// operations as Go calls. Every call but the bootstrap (CreateTenant,
// SetSFTPModule) names the acting user and is checked against the
// capability matrix of SPEC §22(c); every refusal is a sentinel error
// (ErrForbidden, ErrNoSFTPLicence, ErrLoginTaken, …) usable with errors.Is,
// and a refused call changes nothing. Login resolves an SFTP login name for
// the authentication layer.
//
// Storage: MemoryStore (tests, single process) and SQLStore on
// database/sql, with SQLite (modernc.org/sqlite, pure Go) as the embedded
// default (OpenSQLite); one store suite runs against both. Each call is
// one Store.Update transaction; writers are serialised, so licence counts
// stay exact under concurrent calls. The SSH keys live in the same store.
//
// Serving SFTP: Directory.Authenticator plugs into sftpserver.Server.Auth
// (generated login IDs everywhere, custom logins only on the tenant's
// dedicated listener, the account password, the user's usable keys);
// SessionFS and SessionPolicy give each session its filesystem and
// permission policy — for a locked or Jailed user a read-only root with
// one vfs mount per shared project, for others their home with a
// protected "Projects Shared With Me" folder — with Appendix A's presets
// as perms rules:
//
//	authn, _ := d.Authenticator()
//	srv := &sftpserver.Server{
//		Auth: authn,
//		FS: sftpserver.FileSystemFunc(func(ctx context.Context, s sftpserver.SessionInfo) (afero.Fs, error) {
//			return d.SessionFS(ctx, s.Identity.Value.(*directory.Account), storage)
//		}),
//		Policy: func(ctx context.Context, s sftpserver.SessionInfo) (*perms.Policy, error) {
//			return d.SessionPolicy(ctx, s.Identity.Value.(*directory.Account), s.Identity.User)
//		},
//	}
//
// Quatrix's user classes are groups, so the package lives under groups; it
// imports auth (password hashing), keys (the key objects and their store)
// and internal/vpath, and nothing imports it but programs that wire it into
// a server: the server's core does not depend on it.
//
// Decisions where the specification is silent:
//   - Deleting a user keeps its login ID in a tombstone keyed by tenant and
//     lower-cased email; re-creating that person restores the ID. A custom
//     login may never equal a generated ID, live or deleted, of any tenant,
//     so that a login name resolves to one user.
//   - The owner is created as a Pro administrator with billing; the
//     owner's class, admin flag and status cannot change, and the owner
//     cannot be deleted (QROLE-01).
//   - Project names are unique per tenant, case-insensitively, and valid
//     file names: they name the mount points of SFTP sessions.
//   - Deleting a user deletes its keys in the same transaction; the login
//     ID survives in the tombstone, the keys do not.
package directory
