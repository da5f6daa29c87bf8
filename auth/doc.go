// Package auth decides who an SSH connection is.
//
// The seam is [Authenticator]: the server calls its Setup once per
// connection, on a fresh ssh.ServerConfig, and the authenticator installs
// that connection's authentication callbacks. The callback that completes
// authentication returns an [Identity] inside ssh.Permissions; the server
// reads it back with [FromPermissions] and never re-derives it from the
// callbacks. After Setup the server applies [LockUsername], so a client
// cannot switch user names between attempts.
//
// [Static] is the simple authenticator: a fixed list of [Account] values,
// each with an argon2id password hash ([HashPassword], [VerifyPassword]),
// authorized keys, or both; either credential alone logs in.
//
// # Security model
//
//   - A public key is accepted only after its signature is verified
//     (VerifiedPublicKeyCallback). PublicKeyCallback, which also runs for
//     keys a client merely offers, returns no identity, so an offered but
//     unsigned key can never become who the connection is
//     (CVE-2024-45337 class).
//   - Keys are compared by their wire encoding; certificates are not
//     accepted as authorized keys.
//   - Password checks cost the same argon2 work whether or not the account
//     exists or has a password, so timing does not reveal accounts.
//     Passwords are compared in constant time. An empty stored hash never
//     matches, not even an empty password.
//   - Stored hashes are parsed up front, with bounds on the argon2
//     parameters, so a hostile hash cannot make each login cost gigabytes.
//   - Every rejection is a *[Failure] carrying a [Reason] for events and
//     logs; the client always sees the same generic SSH failure.
package auth
