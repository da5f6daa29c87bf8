package auth

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// storedHash is a parsed stored password hash of any supported scheme.
type storedHash interface {
	// verify reports, in constant time with respect to the stored hash,
	// whether password matches.
	verify(password []byte) bool
}

// Bounds on the legacy schemes, so a hostile or mistaken configuration cannot
// make each login attempt cost minutes of CPU.
const (
	// maxBcryptCost is the highest bcrypt cost accepted (2^15 rounds,
	// about 2.5 s on a current core; the common costs are 10–12).
	maxBcryptCost = 15
	// SHA-crypt rounds: the specification clamps rounds=N into
	// [shaCryptMinRounds, shaCryptMaxRounds]; above maxShaCryptRounds the
	// hash is refused as hostile instead.
	shaCryptDefaultRounds = 5000
	shaCryptMinRounds     = 1000
	shaCryptMaxRounds     = 999999999
	maxShaCryptRounds     = 10000000
	shaCryptMaxSalt       = 16
	// maxShaCryptPassword bounds the password length for SHA-crypt, whose
	// cost grows with the square of the password length (steps 13–15 of
	// the algorithm hash the password len(password) times). Longer
	// passwords never match.
	maxShaCryptPassword = 1024
)

// cryptAlphabet is the base64 alphabet of crypt(3) (SHA-crypt).
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// bcryptAlphabet is the base64 alphabet of bcrypt.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// parseHash parses a stored password hash of any supported scheme:
// argon2id (PHC), bcrypt ($2a$, $2b$, $2y$), SHA-crypt ($5$, $6$) and
// passlib's PBKDF2 ($pbkdf2-sha256$, $pbkdf2-sha512$, $pbkdf2$).
// Errors wrap ErrInvalidHash and never include the hash.
func parseHash(s string) (storedHash, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, invalidHash("not a modular crypt string (plain-text passwords are not accepted)")
	}
	id, _, ok := strings.Cut(s[1:], "$")
	if !ok {
		return nil, invalidHash("not a modular crypt string")
	}
	switch id {
	case "argon2id", "argon2i", "argon2d":
		return asStored(parseArgon2(s))
	case "2a", "2b", "2y":
		return asStored(parseBcrypt(s))
	case "5", "6":
		return asStored(parseShaCrypt(s))
	case "pbkdf2", "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512":
		return asStored(parsePBKDF2(s))
	}
	return nil, invalidHash("unsupported hash scheme (want argon2id, bcrypt $2a$/$2b$/$2y$, SHA-crypt $5$/$6$ or PBKDF2 $pbkdf2-sha256$/$pbkdf2-sha512$/$pbkdf2$)")
}

// asStored converts a parser's result, returning an untyped nil on error
// rather than a nil pointer inside a non-nil interface.
func asStored[T storedHash](h T, err error) (storedHash, error) {
	if err != nil {
		return nil, err
	}
	return h, nil
}

// ValidatePasswordHash reports whether hash is a stored password hash that
// [VerifyPassword] can check, without a password: nil, or an error wrapping
// [ErrInvalidHash]. The empty hash ("no password") is valid. Use it to
// refuse a configuration up front rather than at the first login.
func ValidatePasswordHash(hash string) error {
	if hash == "" {
		return nil
	}
	_, err := parseHash(hash)
	return err
}

// NeedsRehash reports whether hash should be replaced by a fresh
// [HashPassword] hash the next time its password is known (after a
// successful login): true for bcrypt, SHA-crypt, PBKDF2, argon2id with other
// parameters than HashPassword's, and malformed hashes; false only for an
// argon2id hash made with the current parameters, and for the empty hash
// (no password is set, so there is nothing to upgrade).
func NeedsRehash(hash string) bool {
	if hash == "" {
		return false
	}
	h, err := parseArgon2(hash)
	if err != nil {
		return true
	}
	return h.memory != hashMemory || h.time != hashTime || h.threads != hashThreads ||
		len(h.salt) < hashSaltLen || len(h.key) != hashKeyLen
}

// bcryptHash is a validated bcrypt string; x/crypto/bcrypt does the work.
type bcryptHash struct{ s []byte }

// parseBcrypt validates "$2x$CC$<22 salt chars><31 hash chars>" strictly,
// so that bcrypt.CompareHashAndPassword can only fail by mismatch.
func parseBcrypt(s string) (*bcryptHash, error) {
	const n = 60 // $2b$ + 2-digit cost + $ + 53
	if len(s) != n || s[3] != '$' || s[6] != '$' {
		return nil, invalidHash("not a bcrypt string of the form $2b$CC$<53 characters>")
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return nil, invalidHash("bcrypt cost is not two digits")
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < bcrypt.MinCost || cost > maxBcryptCost {
		return nil, invalidHash("bcrypt cost %d outside %d..%d", cost, bcrypt.MinCost, maxBcryptCost)
	}
	for i := 7; i < n; i++ {
		if strings.IndexByte(bcryptAlphabet, s[i]) < 0 {
			return nil, invalidHash("bcrypt salt or hash has a character outside its alphabet")
		}
	}
	return &bcryptHash{s: []byte(s)}, nil
}

// verify uses bcrypt's own comparison, which is constant time. bcrypt
// reads at most 72 bytes of the password, as every bcrypt does.
func (h *bcryptHash) verify(password []byte) bool {
	return bcrypt.CompareHashAndPassword(h.s, password) == nil
}

// shaCryptHash is a parsed SHA-crypt ($5$ SHA-256, $6$ SHA-512) string.
type shaCryptHash struct {
	sha512 bool
	rounds int  // effective rounds, clamped
	custom bool // rounds=N was given
	salt   []byte
	sum    string // the encoded hash, 43 or 86 characters
}

// parseShaCrypt parses "$5$[rounds=N$]salt$hash" or the $6$ equivalent.
// rounds=N is clamped to 1000..999999999 as the specification says, but a
// value above maxShaCryptRounds is refused as hostile. The salt is at most
// 16 printable characters (what crypt writes); the hash must have the
// exact length of the digest in the crypt alphabet.
func parseShaCrypt(s string) (*shaCryptHash, error) {
	h := &shaCryptHash{sha512: strings.HasPrefix(s, "$6$"), rounds: shaCryptDefaultRounds}
	rest := s[3:]
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		num, after, ok := strings.Cut(r, "$")
		if !ok || num == "" || len(num) > 10 {
			return nil, invalidHash("SHA-crypt rounds= is not a number")
		}
		for i := 0; i < len(num); i++ {
			if num[i] < '0' || num[i] > '9' {
				return nil, invalidHash("SHA-crypt rounds= is not a number")
			}
		}
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			return nil, invalidHash("SHA-crypt rounds= is not a number")
		}
		if n > maxShaCryptRounds {
			return nil, invalidHash("SHA-crypt rounds=%d above the accepted %d", n, maxShaCryptRounds)
		}
		h.rounds, h.custom = clampShaCryptRounds(int(n)), true
		rest = after
	}
	salt, sum, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, invalidHash("not a SHA-crypt string of the form $5$[rounds=N$]salt$hash")
	}
	if len(salt) > shaCryptMaxSalt {
		return nil, invalidHash("SHA-crypt salt longer than %d characters", shaCryptMaxSalt)
	}
	for i := 0; i < len(salt); i++ {
		if c := salt[i]; c <= ' ' || c > '~' || c == ':' {
			return nil, invalidHash("SHA-crypt salt has a character outside printable ASCII")
		}
	}
	want := 43
	if h.sha512 {
		want = 86
	}
	if len(sum) != want {
		return nil, invalidHash("SHA-crypt hash length %d, want %d", len(sum), want)
	}
	for i := 0; i < len(sum); i++ {
		if strings.IndexByte(cryptAlphabet, sum[i]) < 0 {
			return nil, invalidHash("SHA-crypt hash has a character outside the crypt alphabet")
		}
	}
	h.salt, h.sum = []byte(salt), sum
	return h, nil
}

func clampShaCryptRounds(n int) int {
	return max(shaCryptMinRounds, min(n, shaCryptMaxRounds))
}

func (h *shaCryptHash) verify(password []byte) bool {
	if len(password) > maxShaCryptPassword {
		return false
	}
	got := shaCryptSum(h.sha512, password, h.salt, h.rounds)
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.sum)) == 1
}

// String returns the hash in its canonical crypt form.
func (h *shaCryptHash) String() string {
	var b strings.Builder
	if h.sha512 {
		b.WriteString("$6$")
	} else {
		b.WriteString("$5$")
	}
	if h.custom {
		b.WriteString("rounds=" + strconv.Itoa(h.rounds) + "$")
	}
	b.Write(h.salt)
	b.WriteString("$" + h.sum)
	return b.String()
}

// shaCrypt computes a complete SHA-crypt string as crypt(3) would for the
// setting "$5$[rounds=N$]salt" (custom reports whether rounds=N was given):
// the salt is truncated to 16 bytes and the rounds clamped.
func shaCrypt(sha512 bool, password, salt []byte, rounds int, custom bool) string {
	if len(salt) > shaCryptMaxSalt {
		salt = salt[:shaCryptMaxSalt]
	}
	if custom {
		rounds = clampShaCryptRounds(rounds)
	} else {
		rounds = shaCryptDefaultRounds
	}
	h := &shaCryptHash{sha512: sha512, rounds: rounds, custom: custom, salt: salt,
		sum: shaCryptSum(sha512, password, salt, rounds)}
	return h.String()
}

// shaCryptSum is the SHA-crypt algorithm (Ulrich Drepper, "Unix crypt
// using SHA-256 and SHA-512", steps 1–22), returning the encoded digest.
// The step numbers refer to that specification.
func shaCryptSum(use512 bool, password, salt []byte, rounds int) string {
	newHash := sha256.New
	if use512 {
		newHash = sha512.New
	}
	size := newHash().Size()

	// Steps 4–8: digest B = H(password salt password).
	b := newHash()
	b.Write(password)
	b.Write(salt)
	b.Write(password)
	sumB := b.Sum(nil)

	// Steps 1–3, 9–12: digest A.
	a := newHash()
	a.Write(password)
	a.Write(salt)
	writeRepeated(a, sumB, len(password))
	for n := len(password); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(sumB)
		} else {
			a.Write(password)
		}
	}
	sumA := a.Sum(nil)

	// Steps 13–16: byte sequence P, from digest DP = H(password × len).
	dp := newHash()
	for range len(password) {
		dp.Write(password)
	}
	p := repeatTo(dp.Sum(nil), len(password))

	// Steps 17–20: byte sequence S, from digest DS = H(salt × (16+A[0])).
	ds := newHash()
	for range 16 + int(sumA[0]) {
		ds.Write(salt)
	}
	s := repeatTo(ds.Sum(nil), len(salt))

	// Step 21: the rounds.
	c := sumA
	buf := make([]byte, 0, size)
	r := newHash()
	for i := range rounds {
		r.Reset()
		if i&1 != 0 {
			r.Write(p)
		} else {
			r.Write(c)
		}
		if i%3 != 0 {
			r.Write(s)
		}
		if i%7 != 0 {
			r.Write(p)
		}
		if i&1 != 0 {
			r.Write(c)
		} else {
			r.Write(p)
		}
		c = r.Sum(buf[:0])
	}

	// Step 22: the encoding, with the specification's byte permutation.
	var out strings.Builder
	if use512 {
		for _, t := range sha512Order {
			encode24(&out, c[t[0]], c[t[1]], c[t[2]], 4)
		}
		encode24(&out, 0, 0, c[63], 2)
	} else {
		for _, t := range sha256Order {
			encode24(&out, c[t[0]], c[t[1]], c[t[2]], 4)
		}
		encode24(&out, 0, c[31], c[30], 3)
	}
	return out.String()
}

// The byte triples of step 22, most significant byte first.
var (
	sha256Order = [...][3]int{
		{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29},
	}
	sha512Order = [...][3]int{
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51},
		{31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35},
		{15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
		{62, 20, 41},
	}
)

// encode24 writes n crypt-base64 characters of the 24-bit group b2 b1 b0,
// least significant six bits first.
func encode24(out *strings.Builder, b2, b1, b0 byte, n int) {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for range n {
		out.WriteByte(cryptAlphabet[w&0x3f])
		w >>= 6
	}
}

// writeRepeated writes len(sum)-byte blocks of sum, then the first n%len
// bytes of it, n bytes in all (steps 9–10).
func writeRepeated(h hash.Hash, sum []byte, n int) {
	for ; n > len(sum); n -= len(sum) {
		h.Write(sum)
	}
	h.Write(sum[:n])
}

// repeatTo returns n bytes made of sum repeated (steps 16 and 20).
func repeatTo(sum []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, sum[:min(len(sum), n-len(out))]...)
	}
	return out
}

// Bounds on PBKDF2 hashes. One PBKDF2-HMAC iteration costs two compression
// calls, so maxPBKDF2Rounds costs about what maxShaCryptRounds does (a few
// seconds); the common values are 29,000–1,300,000 (passlib's defaults and
// OWASP's 2023 recommendations).
const (
	maxPBKDF2Rounds  = 5000000
	maxPBKDF2SaltLen = 1024 // bytes, passlib's own bound
)

// ab64Alphabet is passlib's "adapted base64": standard base64 with '.'
// instead of '+', without padding.
const ab64Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// pbkdf2Hash is a parsed passlib PBKDF2 string.
type pbkdf2Hash struct {
	newHash func() hash.Hash
	rounds  int
	salt    []byte
	sum     []byte // exactly the digest size of newHash
}

// parsePBKDF2 parses passlib's PBKDF2 modular-crypt strings
//
//	$pbkdf2-sha256$ROUNDS$SALT$HASH   (PBKDF2-HMAC-SHA256, 32-byte hash)
//	$pbkdf2-sha512$ROUNDS$SALT$HASH   (PBKDF2-HMAC-SHA512, 64-byte hash)
//	$pbkdf2$ROUNDS$SALT$HASH          (PBKDF2-HMAC-SHA1, 20-byte hash;
//	                                   $pbkdf2-sha1$ is read the same way)
//
// with ROUNDS a decimal number without leading zeros, 1..maxPBKDF2Rounds,
// and SALT and HASH in passlib's adapted base64 ("ab64": '.' for '+', no
// padding). The hash must have the digest's exact length, so the derivation
// is always a single PBKDF2 block.
func parsePBKDF2(s string) (*pbkdf2Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 || parts[0] != "" {
		return nil, invalidHash("not a PBKDF2 string of the form $pbkdf2-sha256$rounds$salt$hash")
	}
	h := &pbkdf2Hash{}
	switch parts[1] {
	case "pbkdf2", "pbkdf2-sha1":
		h.newHash = sha1.New
	case "pbkdf2-sha256":
		h.newHash = sha256.New
	case "pbkdf2-sha512":
		h.newHash = sha512.New
	default:
		return nil, invalidHash("unsupported PBKDF2 digest (want sha1, sha256 or sha512)")
	}
	num := parts[2]
	if num == "" || len(num) > 10 || num[0] == '0' {
		return nil, invalidHash("PBKDF2 rounds is not a positive decimal number")
	}
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return nil, invalidHash("PBKDF2 rounds is not a positive decimal number")
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n < 1 {
		return nil, invalidHash("PBKDF2 rounds is not a positive decimal number")
	}
	if n > maxPBKDF2Rounds {
		return nil, invalidHash("PBKDF2 rounds %d above the accepted %d", n, maxPBKDF2Rounds)
	}
	h.rounds = int(n)
	if h.salt, err = decodeAB64(parts[3]); err != nil {
		return nil, invalidHash("PBKDF2 salt is not adapted base64")
	}
	if len(h.salt) > maxPBKDF2SaltLen {
		return nil, invalidHash("PBKDF2 salt longer than %d bytes", maxPBKDF2SaltLen)
	}
	if h.sum, err = decodeAB64(parts[4]); err != nil {
		return nil, invalidHash("PBKDF2 hash is not adapted base64")
	}
	if want := h.newHash().Size(); len(h.sum) != want {
		return nil, invalidHash("PBKDF2 hash length %d, want %d", len(h.sum), want)
	}
	return h, nil
}

// decodeAB64 decodes passlib's adapted base64 strictly: only the ab64
// alphabet (no '+', no padding, no line breaks, which the standard decoder
// would skip) and zero trailing bits, so each value has one encoding.
func decodeAB64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(ab64Alphabet, s[i]) < 0 {
			return nil, ErrInvalidHash
		}
	}
	return base64.RawStdEncoding.Strict().DecodeString(strings.ReplaceAll(s, ".", "+"))
}

// encodeAB64 is the inverse of decodeAB64.
func encodeAB64(b []byte) string {
	return strings.ReplaceAll(base64.RawStdEncoding.EncodeToString(b), "+", ".")
}

// verify derives the key with the standard library's PBKDF2 (what
// golang.org/x/crypto/pbkdf2 wraps), whose error — possible only under a
// FIPS 140-only policy, for a short password or salt — counts as a
// mismatch instead of the panic of the x/crypto wrapper.
func (h *pbkdf2Hash) verify(password []byte) bool {
	got, err := pbkdf2.Key(h.newHash, string(password), h.salt, h.rounds, len(h.sum))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, h.sum) == 1
}

// String returns the hash in passlib's form ($pbkdf2-sha1$ written as
// $pbkdf2$, as passlib does).
func (h *pbkdf2Hash) String() string {
	id := "pbkdf2"
	switch len(h.sum) {
	case sha256.Size:
		id = "pbkdf2-sha256"
	case sha512.Size:
		id = "pbkdf2-sha512"
	}
	return "$" + id + "$" + strconv.Itoa(h.rounds) + "$" + encodeAB64(h.salt) + "$" + encodeAB64(h.sum)
}
