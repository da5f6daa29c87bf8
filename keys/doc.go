// Package keys reads the SSH keys a server needs: the public keys that may
// log in to an account (authorized_keys files) and the server's own host
// keys. It knows nothing of the server or of accounts; the auth package
// decides who may use which keys.
//
// # Authorized keys
//
// [ParseAuthorizedKeys] and [LoadAuthorizedKeys] read the OpenSSH
// authorized_keys format, one key per line:
//
//	TYPE BASE64 [COMMENT]
//
// and RFC 4716 blocks ("---- BEGIN SSH2 PUBLIC KEY ----"). Blank lines and
// lines starting with '#' are ignored, CRLF line ends are tolerated. The
// rules, from the sftpkit specification §10 (KEY-xx):
//
//   - A line that does not parse is skipped and reported as a [Warning];
//     the valid lines are still used (KEY-04).
//   - A line with authorized_keys options (from=, command=, restrict, …) is
//     skipped and reported: options are not interpreted, and using the key
//     without them would grant more than the line allows (KEY-05).
//   - Private-key material anywhere in the input (a PEM "PRIVATE KEY"
//     block, an openssh-key-v1 blob, a PuTTY .ppk file, a DER private key)
//     fails the whole input with an error wrapping [ErrPrivateKey]: no key
//     of it is used (KEY-07, fail closed). A key file that leaked next to
//     its public half must be noticed, not silently skipped.
//   - A file larger than [MaxFileSize] is ignored and reported (KEY-08).
//   - Accepted key types are Ed25519, ECDSA (nistp256/384/521), RSA of at
//     least [MinRSABits] bits and the FIDO (sk-) variants of Ed25519 and
//     ECDSA P-256. DSA keys, certificates and other types are skipped and
//     reported (KEY-09); certificate login is configured separately, with
//     a trusted CA, never by listing a certificate as a key.
//
// Errors and warnings name the file and line and the problem, never the key
// line itself.
//
// # Host keys
//
// Host keys are explicit: [LoadHostKey] reads an existing unencrypted
// private key, [GenerateHostKey] makes a new one in memory, and
// [LoadOrCreateHostKey] is the one call that writes a file, at the path it
// is given, atomically and with mode 0600. Nothing in this package writes
// into the working directory on its own.
package keys
