package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters of the hashes HashPassword makes (OWASP's argon2id minimum).
const (
	hashMemory  = 19456 // KiB
	hashTime    = 2
	hashThreads = 1
	hashSaltLen = 16
	hashKeyLen  = 32
)

// Bounds on the parameters VerifyPassword accepts from a stored hash, so a
// hostile or mistaken configuration cannot make each login attempt cost
// gigabytes of memory or minutes of CPU.
const (
	maxHashMemory  = 64 * 1024 // KiB (64 MiB, RFC 9106's second recommendation)
	maxHashTime    = 16
	maxHashThreads = 16
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 64
)

// ErrInvalidHash is wrapped by the errors of [VerifyPassword] and
// [NewStatic] for a stored password hash that does not parse.
var ErrInvalidHash = errors.New("auth: invalid password hash")

// HashPassword hashes password with argon2id (m=19456 KiB, t=2, p=1, a
// random 16-byte salt, a 32-byte key) and returns it as a PHC string:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with salt and hash in unpadded standard base64.
func HashPassword(password string) (string, error) {
	salt := make([]byte, hashSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	h := &argon2Hash{memory: hashMemory, time: hashTime, threads: hashThreads, salt: salt}
	h.key = h.derive([]byte(password), hashKeyLen)
	return h.String(), nil
}

// VerifyPassword reports whether password matches hash, a stored password
// hash in one of these forms (SPEC AUTH-12):
//
//   - a PHC argon2id string as made by [HashPassword];
//   - bcrypt: $2a$, $2b$ or $2y$ (cost at most 15);
//   - SHA-crypt: $5$ (SHA-256) or $6$ (SHA-512), with an optional
//     rounds=N (clamped to 1000..999999999 as the SHA-crypt specification
//     says; above 10,000,000 the hash is refused as hostile).
//
// The parameters are taken from hash, within bounds that refuse hostile
// values. The comparison takes constant time. An empty hash never matches,
// not even an empty password (AUTH-10); plain text is never compared. A
// malformed or unsupported hash gives an error wrapping [ErrInvalidHash]
// that does not quote the hash. After a successful check, [NeedsRehash]
// tells whether to replace the hash with a new [HashPassword] one.
func VerifyPassword(hash, password string) (bool, error) {
	if hash == "" {
		return false, nil
	}
	h, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	return h.verify([]byte(password)), nil
}

// argon2Hash is a parsed PHC argon2id string.
type argon2Hash struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

func (h *argon2Hash) derive(password []byte, keyLen int) []byte {
	return argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, uint32(keyLen))
}

func (h *argon2Hash) verify(password []byte) bool {
	return subtle.ConstantTimeCompare(h.derive(password, len(h.key)), h.key) == 1
}

func (h *argon2Hash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.memory, h.time, h.threads,
		base64.RawStdEncoding.EncodeToString(h.salt), base64.RawStdEncoding.EncodeToString(h.key))
}

func invalidHash(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidHash, fmt.Sprintf(format, args...))
}

// parseArgon2 parses "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH". Error
// messages never include the hash itself.
func parseArgon2(s string) (*argon2Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, invalidHash("not a PHC string of the form $argon2id$v=19$m=M,t=T,p=P$salt$hash")
	}
	if parts[1] != "argon2id" {
		return nil, invalidHash("unsupported algorithm (want argon2id)")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, invalidHash("unsupported argon2 version (want v=%d)", argon2.Version)
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return nil, invalidHash("parameters must be m=M,t=T,p=P")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(params[i], name+"=")
		if !ok {
			return nil, invalidHash("parameters must be m=M,t=T,p=P")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, invalidHash("parameter %s is not a number", name)
		}
		vals[i] = n
	}
	m, t, p := vals[0], vals[1], vals[2]
	switch {
	case t < 1 || t > maxHashTime:
		return nil, invalidHash("t=%d outside 1..%d", t, maxHashTime)
	case p < 1 || p > maxHashThreads:
		return nil, invalidHash("p=%d outside 1..%d", p, maxHashThreads)
	case m < 8*p || m > maxHashMemory:
		return nil, invalidHash("m=%d outside %d..%d", m, 8*p, maxHashMemory)
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil {
		return nil, invalidHash("salt is not unpadded base64")
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return nil, invalidHash("salt length %d outside %d..%d", len(salt), minSaltLen, maxSaltLen)
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil {
		return nil, invalidHash("hash is not unpadded base64")
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return nil, invalidHash("hash length %d outside %d..%d", len(key), minKeyLen, maxKeyLen)
	}
	return &argon2Hash{memory: uint32(m), time: uint32(t), threads: uint8(p), salt: salt, key: key}, nil
}

// newDummyHash returns a hash made like a real one, of a random password
// nobody knows, so that checking a password against it costs what a real
// check costs (for unknown users and accounts without a password).
func newDummyHash() (*argon2Hash, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	dummy, err := HashPassword(base64.RawStdEncoding.EncodeToString(secret))
	if err != nil {
		return nil, err
	}
	return parseArgon2(dummy)
}
