// Package keys reads and keeps the SSH keys a server needs: the public keys
// that may log in to an account (authorized_keys files, a key store with
// Quatrix-style key objects, OpenSSH user certificates signed by trusted
// CAs) and the server's own host keys. It knows nothing of the server or of
// accounts; the auth package decides who may use which keys.
//
// # Authorized keys
//
// [ParseAuthorizedKeyLines] and [LoadAuthorizedKeyLines] read the OpenSSH
// authorized_keys format, one key per line:
//
//	[OPTIONS] TYPE BASE64 [COMMENT]
//
// RFC 4716 blocks ("---- BEGIN SSH2 PUBLIC KEY ----") and PEM X.509
// certificates ("-----BEGIN CERTIFICATE-----"). Blank lines and
// lines starting with '#' are ignored, CRLF line ends are tolerated. Each
// usable line becomes an [AuthorizedKey]; ask [AuthorizedKey.Allows] (or
// [MatchAuthorizedKey] for a list) at every login. The rules, from the
// sftpkit specification §10 (KEY-xx):
//
//   - A line that does not parse is skipped and reported as a [Warning];
//     the valid lines are still used (KEY-04).
//   - Options (this replaces KEY-05, which skipped every line with
//     options). Option names are case-insensitive, as in OpenSSH.
//     expiry-time="YYYYMMDD[HHMM[SS]][Z]" and from="pattern-list" are
//     honoured (see [AuthorizedKey.Allows]; expiry-time is local time
//     unless it ends in Z or UTC, as in OpenSSH, and the key is refused
//     from that instant on). The restrictions restrict, no-pty,
//     no-port-forwarding, no-agent-forwarding, no-X11-forwarding and
//     no-user-rc are accepted: an SFTP-only server grants none of those
//     capabilities anyway. Every other option makes the line unusable,
//     with a [WarnOptions] warning: command=, environment=, permitopen=,
//     permitlisten=, principals= and tunnel= would change the session;
//     pty, port-forwarding, agent-forwarding, X11-forwarding and user-rc
//     grant capabilities; no-touch-required would waive the security-key
//     touch that x/crypto otherwise requires; verify-required asks for a
//     check that cannot be made; cert-authority is refused because
//     certificates are trusted only through the configured CA keys
//     ([CertPolicy]); unknown and malformed options are refused, as by
//     OpenSSH. A from= list that cannot be read (an empty pattern, a CIDR
//     block with bits beyond its mask, a repeated from=) or that negates a
//     host name (which could only be checked through DNS) also makes the
//     line unusable. Host names are never resolved: a positive host-name
//     pattern never matches and is reported with [WarnHostPattern].
//   - Private-key material anywhere in the input (a PEM "PRIVATE KEY"
//     block, an openssh-key-v1 blob, a PuTTY .ppk file, a DER private key)
//     fails the whole input with an error wrapping [ErrPrivateKey]: no key
//     of it is used (KEY-07, fail closed). A key file that leaked next to
//     its public half must be noticed, not silently skipped.
//   - A file larger than [MaxFileSize] is ignored and reported (KEY-08).
//   - A PEM X.509 certificate block (KEY-12, meant for
//     ssh_authorized_keys_content) contributes its subject public key as
//     one authorised key, with the key-type rules below; its Comment is the
//     subject's common name. Only the key is extracted, as SFTPPlus does:
//     the certificate's validity window (notBefore/notAfter), issuer,
//     signature and extensions are NOT checked, so an expired or
//     self-signed certificate still authorises its key. Remove the block
//     to revoke the key, or add an expiry-time= line instead. PEM headers
//     inside the block, or a block without its END line, make it unusable
//     with a [WarnInvalidLine] warning.
//   - Accepted key types are Ed25519, ECDSA (nistp256/384/521), RSA of at
//     least [MinRSABits] bits and the FIDO (sk-) variants of Ed25519 and
//     ECDSA P-256. DSA keys, certificates and other types are skipped and
//     reported (KEY-09), whatever the server's algorithm settings (DSA
//     keys stay refused even when sftpserver.Server.AllowInsecureAlgorithms
//     is set); certificate login is configured separately, with
//     a trusted CA, never by listing a certificate as a key.
//
// [ParseAuthorizedKeys] and [LoadAuthorizedKeys] are thin wrappers that
// return only keys. They cannot carry from= and expiry-time=, so they leave
// out the lines that have them (with a [WarnConditional] warning) instead of
// returning those keys unconditionally; authentication code should use the
// Lines variants.
//
// Errors and warnings name the file and line and the problem, never the key
// line itself.
//
// # Certificates
//
// [CertPolicy.Check] accepts an OpenSSH user certificate for an account
// only when it is signed by one of the trusted CAs ([LoadCAKeys] reads them
// in the format of OpenSSH's TrustedUserCAKeys), lists the account name
// among its principals (a certificate without principals is refused, which
// x/crypto's CertChecker alone would accept for any user), is within its
// validity window, carries no critical option other than source-address,
// and comes from an address source-address allows (SPEC §11, CERT-03).
// DSA and short RSA keys, as the certificate key or the CA key, and SHA-1
// ssh-rsa CA signatures are refused.
//
// # Key store
//
// [Key] is a managed SSH key (SPEC §20, QKEY-xx): id, title, SHA256
// fingerprint, algorithm, created/modified times, optional expiry,
// active/disabled status, last-used time and optional source CIDRs. A
// [Store] keeps them per owner; [MemoryStore] is the in-memory one. Key
// material never changes after Add; title, status and expiry change with
// Update. A hook is notified on add, delete and status change with the
// key's metadata, never its text. [Key.Usable] is the login-time check;
// [CanManageKeys] and [Guard] cover who may manage whose keys.
//
// # Host keys
//
// Host keys are explicit: [LoadHostKey] reads an existing unencrypted
// private key, [GenerateHostKey] makes a new one in memory, and
// [LoadOrCreateHostKey] is the one call that writes a file, at the path it
// is given, atomically and with mode 0600. Nothing in this package writes
// into the working directory on its own.
package keys
