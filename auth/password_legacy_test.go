package auth

import (
	"errors"
	"strings"
	"testing"
)

// shaCryptVectors are the known-answer vectors of the SHA-crypt
// specification (Drepper, "Unix crypt using SHA-256 and SHA-512"), also
// produced by glibc crypt(3) and openssl passwd -5/-6. Note that the
// specification's first SHA-256 vector ends in "GNooZaBBGWEc5".
var shaCryptVectors = []struct {
	setting, password, want string
}{
	{"$5$saltstring", "Hello world!",
		"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
	{"$5$rounds=10000$saltstringsaltstring", "Hello world!",
		"$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
	{"$5$rounds=5000$toolongsaltstring", "This is just a test",
		"$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"},
	{"$5$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.",
		"$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"},
	{"$5$rounds=77777$short", "we have a short salt string but not a short password",
		"$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"},
	{"$5$rounds=123456$asaltof16chars..", "a short string",
		"$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"},
	{"$5$rounds=10$roundstoolow", "the minimum number is still observed",
		"$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"},
	{"$6$saltstring", "Hello world!",
		"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
	{"$6$rounds=10000$saltstringsaltstring", "Hello world!",
		"$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
	{"$6$rounds=5000$toolongsaltstring", "This is just a test",
		"$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
	{"$6$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.",
		"$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
	{"$6$rounds=77777$short", "we have a short salt string but not a short password",
		"$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"},
	{"$6$rounds=123456$asaltof16chars..", "a short string",
		"$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"},
	{"$6$rounds=10$roundstoolow", "the minimum number is still observed",
		"$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."},
}

// parseSetting splits a crypt setting "$5$[rounds=N$]salt" for shaCrypt.
func parseSetting(t *testing.T, setting string) (use512 bool, salt string, rounds int, custom bool) {
	t.Helper()
	use512 = strings.HasPrefix(setting, "$6$")
	rest := setting[3:]
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		num, after, _ := strings.Cut(r, "$")
		for _, c := range num {
			rounds = rounds*10 + int(c-'0')
		}
		return use512, after, rounds, true
	}
	return use512, rest, 0, false
}

// TestShaCrypt_KnownAnswers computes every specification vector from its
// setting (salt truncation to 16 characters, rounds clamping included).
func TestShaCrypt_KnownAnswers(t *testing.T) {
	for _, v := range shaCryptVectors {
		t.Run(v.setting, func(t *testing.T) {
			use512, salt, rounds, custom := parseSetting(t, v.setting)
			if got := shaCrypt(use512, []byte(v.password), []byte(salt), rounds, custom); got != v.want {
				t.Errorf("shaCrypt = %s\nwant        %s", got, v.want)
			}
		})
	}
}

// TestVerifyPassword_AUTH12_ShaCrypt verifies the stored forms of the
// specification vectors through VerifyPassword.
func TestVerifyPassword_AUTH12_ShaCrypt(t *testing.T) {
	for _, v := range shaCryptVectors {
		t.Run(v.want[:3]+v.setting[3:], func(t *testing.T) {
			ok, err := VerifyPassword(v.want, v.password)
			if err != nil || !ok {
				t.Fatalf("VerifyPassword(right password) = %v, %v", ok, err)
			}
			for _, wrong := range []string{v.password + "x", v.password[:len(v.password)-1], "", strings.ToUpper(v.password)} {
				if ok, err := VerifyPassword(v.want, wrong); ok || err != nil {
					t.Errorf("VerifyPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
		})
	}
}

func TestVerifyPassword_AUTH12_Bcrypt(t *testing.T) {
	// The OpenBSD/OpenWall test vector and PHP's password_hash example.
	const openbsd = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
	const php = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"
	tests := []struct {
		name, hash, pw string
		want           bool
	}{
		{"$2a$ right", openbsd, "U*U", true},
		{"$2a$ wrong", openbsd, "U*V", false},
		{"$2a$ empty", openbsd, "", false},
		{"$2b$ right", "$2b$" + openbsd[4:], "U*U", true},
		{"$2y$ right", php, "rasmuslerdorf", true},
		{"$2y$ wrong", php, "rasmuslerdorF", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyPassword(tt.hash, tt.pw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("VerifyPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifyPassword_AUTH12_LegacyMalformed(t *testing.T) {
	const bc = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
	const s5 = "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"
	sum5 := s5[len("$5$saltstring$"):]
	tests := []struct{ name, hash string }{
		{"AUTH-12 plain text", "Hello world!"},
		{"plain text starting with $", "$secret"},
		{"unknown scheme", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"},
		{"$2x$ (crypt_blowfish bug variant)", "$2x$" + bc[4:]},
		{"$2$ (original bcrypt)", "$2$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
		{"bcrypt short", bc[:59]},
		{"bcrypt long", bc + "A"},
		{"bcrypt cost not digits", "$2a$0x$" + bc[7:]},
		{"bcrypt cost below 4", "$2a$03$" + bc[7:]},
		{"bcrypt hostile cost 31", "$2a$31$" + bc[7:]},
		{"bcrypt cost just over the bound", "$2a$16$" + bc[7:]},
		{"bcrypt bad alphabet", bc[:20] + "+" + bc[21:]},
		{"bcrypt missing separator", "$2a$05" + "$" + bc[7:58]},
		{"sha-crypt no hash", "$5$saltstring"},
		{"sha-crypt short hash", s5[:len(s5)-1]},
		{"sha-crypt long hash", s5 + "A"},
		{"sha-crypt $6$ with a $5$ hash", "$6$saltstring$" + sum5},
		{"sha-crypt hash alphabet", "$5$saltstring$" + strings.Replace(sum5, "Y", "+", 1)},
		{"sha-crypt salt too long", "$5$saltstringsaltstring$" + sum5},
		{"sha-crypt salt control char", "$5$salt\tstring$" + sum5},
		{"sha-crypt salt colon", "$5$salt:string$" + sum5},
		{"sha-crypt extra field", s5 + "$"},
		{"sha-crypt rounds empty", "$5$rounds=$saltstring$" + sum5},
		{"sha-crypt rounds negative", "$5$rounds=-5$saltstring$" + sum5},
		{"sha-crypt rounds plus", "$5$rounds=+5000$saltstring$" + sum5},
		{"sha-crypt rounds hex", "$5$rounds=0x1000$saltstring$" + sum5},
		{"sha-crypt rounds huge", "$5$rounds=99999999999999999999$saltstring$" + sum5},
		{"sha-crypt hostile rounds (spec max)", "$5$rounds=999999999$saltstring$" + sum5},
		{"sha-crypt rounds just over the cap", "$5$rounds=10000001$saltstring$" + sum5},
		{"sha-crypt rounds without salt separator", "$5$rounds=5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(tt.hash, "Hello world!")
			if ok {
				t.Fatal("malformed hash matched")
			}
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("err = %v, want ErrInvalidHash", err)
			}
			if len(tt.hash) > 8 && strings.Contains(err.Error(), tt.hash[4:]) {
				t.Errorf("error %q echoes the hash", err)
			}
			if err := ValidatePasswordHash(tt.hash); !errors.Is(err, ErrInvalidHash) {
				t.Errorf("ValidatePasswordHash = %v, want ErrInvalidHash", err)
			}
		})
	}
}

// TestVerifyPassword_AUTH10_Legacy: an empty stored hash never matches
// and is not an error, whatever the schemes supported.
func TestVerifyPassword_AUTH10_Legacy(t *testing.T) {
	for _, pw := range []string{"", "Hello world!"} {
		if ok, err := VerifyPassword("", pw); ok || err != nil {
			t.Errorf("VerifyPassword(\"\", %q) = %v, %v", pw, ok, err)
		}
	}
	if err := ValidatePasswordHash(""); err != nil {
		t.Errorf("ValidatePasswordHash(\"\") = %v", err)
	}
}

func TestShaCrypt_RoundsBounds(t *testing.T) {
	tests := []struct {
		hash   string
		rounds int
	}{
		{"$5$s$" + strings.Repeat("a", 43), 5000},
		{"$5$rounds=0$s$" + strings.Repeat("a", 43), 1000},
		{"$5$rounds=999$s$" + strings.Repeat("a", 43), 1000},
		{"$5$rounds=1001$s$" + strings.Repeat("a", 43), 1001},
		{"$5$rounds=0005000$s$" + strings.Repeat("a", 43), 5000},
		{"$6$rounds=10000000$s$" + strings.Repeat("a", 86), 10000000},
	}
	for _, tt := range tests {
		h, err := parseShaCrypt(tt.hash)
		if err != nil {
			t.Fatalf("%s: %v", tt.hash, err)
		}
		if h.rounds != tt.rounds {
			t.Errorf("%s: rounds %d, want %d", tt.hash, h.rounds, tt.rounds)
		}
	}
	if got := clampShaCryptRounds(2000000000); got != shaCryptMaxRounds {
		t.Errorf("clamp(2e9) = %d, want %d", got, shaCryptMaxRounds)
	}
}

// TestShaCrypt_LongPassword: SHA-crypt costs the square of the password
// length, so passwords over the bound never match (and cost nothing).
func TestShaCrypt_LongPassword(t *testing.T) {
	long := strings.Repeat("p", maxShaCryptPassword)
	hash := shaCrypt(false, []byte(long), []byte("salt"), 1000, true)
	if ok, err := VerifyPassword(hash, long); err != nil || !ok {
		t.Fatalf("password at the bound: %v, %v", ok, err)
	}
	longer := long + "p"
	hash = shaCrypt(false, []byte(longer), []byte("salt"), 1000, true)
	if ok, err := VerifyPassword(hash, longer); err != nil || ok {
		t.Fatalf("password over the bound: %v, %v; want false, nil", ok, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	current, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		hash string
		want bool
	}{
		{"current argon2id", current, false},
		{"empty (no password)", "", false},
		{"argon2id other parameters", "$argon2id$v=19$m=4096,t=4,p=4$c29tZXNhbHQ$FF25czqfTuQ+3zPFCb6WuTTVBaTvszxa", true},
		{"bcrypt", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", true},
		{"sha-crypt $5$", shaCryptVectors[0].want, true},
		{"sha-crypt $6$", shaCryptVectors[7].want, true},
		{"pbkdf2-sha256", pbkdf2Vectors[0].hash, true},
		{"malformed", "$argon2id$garbage", true},
		{"plain text", "secret", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsRehash(tt.hash); got != tt.want {
				t.Errorf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzParseHash checks that parsing any stored hash never panics, that a
// refusal always wraps ErrInvalidHash, and that an accepted hash stays
// within the bounds. SHA-crypt hashes re-encode to the same string. No
// hashing work is done.
func FuzzParseHash(f *testing.F) {
	for _, v := range shaCryptVectors {
		f.Add(v.want)
	}
	f.Add("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
	f.Add("$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a")
	f.Add("$2a$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
	f.Add("$argon2id$v=19$m=4096,t=4,p=4$c29tZXNhbHQ$FF25czqfTuQ+3zPFCb6WuTTVBaTvszxa")
	f.Add("$5$rounds=999999999$s$" + strings.Repeat("a", 43))
	f.Add("$6$$" + strings.Repeat("a", 86))
	for _, v := range pbkdf2Vectors {
		f.Add(v.hash)
	}
	f.Add("$pbkdf2-sha256$4294967295$c2FsdA$" + strings.Repeat("A", 43))
	f.Add("$pbkdf2-sha256$01000$c2FsdA$" + strings.Repeat("A", 43))
	f.Add("$pbkdf2-sha256$1000$c2Fsd\nA$" + strings.Repeat("A", 43))
	f.Add("$pbkdf2-md5$1000$c2FsdA$" + strings.Repeat("A", 22))
	f.Add("$")
	f.Add("$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHash(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("error does not wrap ErrInvalidHash: %v", err)
			}
			if h != nil {
				t.Fatal("non-nil hash with an error")
			}
			return
		}
		switch h := h.(type) {
		case *argon2Hash:
			if h.memory > maxHashMemory || h.time > maxHashTime || h.threads > maxHashThreads {
				t.Fatalf("out-of-bounds argon2 parameters accepted: %+v", h)
			}
		case *bcryptHash:
			cost := int(h.s[4]-'0')*10 + int(h.s[5]-'0')
			if cost > maxBcryptCost || len(h.s) != 60 {
				t.Fatalf("out-of-bounds bcrypt accepted: %q", h.s)
			}
		case *shaCryptHash:
			if h.rounds < shaCryptMinRounds || h.rounds > maxShaCryptRounds || len(h.salt) > shaCryptMaxSalt {
				t.Fatalf("out-of-bounds SHA-crypt accepted: %+v", h)
			}
			h2, err := parseShaCrypt(h.String())
			if err != nil || h2.String() != h.String() {
				t.Fatalf("SHA-crypt round trip: %v", err)
			}
		case *pbkdf2Hash:
			if h.rounds < 1 || h.rounds > maxPBKDF2Rounds || len(h.salt) > maxPBKDF2SaltLen || len(h.sum) != h.newHash().Size() {
				t.Fatalf("out-of-bounds PBKDF2 accepted: %+v", h)
			}
			h2, err := parsePBKDF2(h.String())
			if err != nil || h2.String() != h.String() {
				t.Fatalf("PBKDF2 round trip: %v", err)
			}
			if s != h.String() && !strings.HasPrefix(s, "$pbkdf2-sha1$") {
				t.Fatalf("PBKDF2 %q accepted but re-encodes as %q", s, h.String())
			}
		default:
			t.Fatalf("unexpected hash type %T", h)
		}
	})
}

// pbkdf2Vectors are passlib's own known-answer vectors (passlib
// tests/test_handlers_pbkdf2.py) and vectors computed independently with
// Python's hashlib.pbkdf2_hmac, encoded in passlib's adapted base64.
var pbkdf2Vectors = []struct{ hash, password string }{
	// passlib.
	{"$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI", "password"},
	{"$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc", "\u0399\u03c9\u03b1\u03bd\u03bd\u03b7\u03c2"},
	{"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ", "password"},
	{"$pbkdf2-sha256$1212$3SABFJGDtyhrQMVt1uABPw$WyaUoqCLgvz97s523nF4iuOqZNbp5Nt8do/cuaa7AiI", "\u0399\u03c9\u03b1\u03bd\u03bd\u03b7\u03c2"},
	{"$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww", "password"},
	// hashlib.pbkdf2_hmac, passlib's default rounds.
	{"$pbkdf2-sha256$29000$0vp/b83ZWytl7N2bc661Fg$EBYQty7f7yz1D7StiFaUPcYfoQ/QVyXuqBghdoX46U8", "password"},
	{"$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$U.D1N18JDd40G8Vp56OV3dHT4WG2jmmLeF7crEt86gI", "Hello world!"},
	{"$pbkdf2-sha512$25000$Dzpv9aiaLovZ0Nfks7UvEQ$2gZ2/FPc7cqdjqXQLugZvydeIbEWhZQFCEtnzq.24ac1Mt/ACGbG/YLQ7ge/enJzAL6RBK/VucvVGORpUtGlmg", "password"},
	{"$pbkdf2$131000$ABEiM0RVZneImaq7zN3u/w$Iq92NArzAh6l8k.2Mq3Jn9.euG8", "password"},
	{"$pbkdf2-sha1$1000$c2FsdA$8xZEG8nF/uxJPZ20okLQ7ZNLvjc", "Hello world!"},
	{"$pbkdf2-sha256$1$.//.$A1NrLY3ahNynaXDWubxHljgGudtKuKfNPcKivL1Pd2s", "p\u00e4ssw\u00f6rd"},
}

func TestVerifyPassword_AUTH12_PBKDF2(t *testing.T) {
	for _, v := range pbkdf2Vectors {
		t.Run(v.hash[:strings.LastIndexByte(v.hash, '$')], func(t *testing.T) {
			ok, err := VerifyPassword(v.hash, v.password)
			if err != nil || !ok {
				t.Fatalf("VerifyPassword(right password) = %v, %v", ok, err)
			}
			for _, wrong := range []string{v.password + "x", v.password[:len(v.password)-1], "", strings.ToUpper(v.password)} {
				if ok, err := VerifyPassword(v.hash, wrong); ok || err != nil {
					t.Errorf("VerifyPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
			if err := ValidatePasswordHash(v.hash); err != nil {
				t.Errorf("ValidatePasswordHash = %v", err)
			}
			if !NeedsRehash(v.hash) {
				t.Error("NeedsRehash = false, want true")
			}
		})
	}
}

// TestPBKDF2_Digests: the same salt and rounds with another digest does
// not match, so the identifier really selects the PRF.
func TestPBKDF2_Digests(t *testing.T) {
	const h = "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"
	sum := h[strings.LastIndexByte(h, '$')+1:]
	// A SHA-256 sized hash under the sha512 identifier is malformed;
	// under sha1 too.
	for _, id := range []string{"pbkdf2-sha512", "pbkdf2", "pbkdf2-sha1"} {
		if _, err := VerifyPassword("$"+id+"$1212$4vjV83LKPjQzk31VI4E0Vw$"+sum, "password"); !errors.Is(err, ErrInvalidHash) {
			t.Errorf("%s with a 32-byte hash: err = %v", id, err)
		}
	}
	// $pbkdf2-sha1$ is an alias of passlib's $pbkdf2$.
	const sha1 = "$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI"
	if ok, err := VerifyPassword("$pbkdf2-sha1$"+sha1[len("$pbkdf2$"):], "password"); !ok || err != nil {
		t.Errorf("$pbkdf2-sha1$ alias: %v, %v", ok, err)
	}
}

func TestVerifyPassword_AUTH12_PBKDF2Malformed(t *testing.T) {
	const salt = "4vjV83LKPjQzk31VI4E0Vw"
	const sum = "hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"
	ok := "$pbkdf2-sha256$1212$" + salt + "$" + sum
	tests := []struct{ name, hash string }{
		{"unknown digest", "$pbkdf2-md5$1212$" + salt + "$" + sum},
		{"upper-case id", "$PBKDF2-SHA256$1212$" + salt + "$" + sum},
		{"missing hash", "$pbkdf2-sha256$1212$" + salt},
		{"extra field", ok + "$"},
		{"empty rounds", "$pbkdf2-sha256$$" + salt + "$" + sum},
		{"zero rounds", "$pbkdf2-sha256$0$" + salt + "$" + sum},
		{"leading zero rounds", "$pbkdf2-sha256$01212$" + salt + "$" + sum},
		{"negative rounds", "$pbkdf2-sha256$-1212$" + salt + "$" + sum},
		{"plus rounds", "$pbkdf2-sha256$+1212$" + salt + "$" + sum},
		{"hex rounds", "$pbkdf2-sha256$0x4bc$" + salt + "$" + sum},
		{"rounds with space", "$pbkdf2-sha256$ 1212$" + salt + "$" + sum},
		{"huge rounds", "$pbkdf2-sha256$99999999999999999999$" + salt + "$" + sum},
		{"hostile rounds 2^32-1", "$pbkdf2-sha256$4294967295$" + salt + "$" + sum},
		{"rounds just over the cap", "$pbkdf2-sha256$5000001$" + salt + "$" + sum},
		{"salt with +", "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0V+$" + sum},
		{"salt padded", "$pbkdf2-sha256$1212$" + salt + "==$" + sum},
		{"salt with newline", "$pbkdf2-sha256$1212$4vjV83LKPjQz\nk31VI4E0Vw$" + sum},
		{"salt non-canonical trailing bits", "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vx$" + sum},
		{"salt impossible length", "$pbkdf2-sha256$1212$4vjV8$" + sum},
		{"salt too long", "$pbkdf2-sha256$1212$" + strings.Repeat("A", 1368) + "$" + sum},
		{"hash short", "$pbkdf2-sha256$1212$" + salt + "$" + sum[:42]},
		{"hash long", "$pbkdf2-sha256$1212$" + salt + "$" + sum + "AAAA"},
		{"hash with +", "$pbkdf2-sha256$1212$" + salt + "$" + strings.ReplaceAll(sum, ".", "+")},
		{"hash bad char", "$pbkdf2-sha256$1212$" + salt + "$" + sum[:10] + "*" + sum[11:]},
		{"sha512 with sha256 length", "$pbkdf2-sha512$1212$" + salt + "$" + sum},
		{"Django form (no leading $)", "pbkdf2_sha256$1212$salt$" + sum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(tt.hash, "password")
			if ok {
				t.Fatal("malformed hash matched")
			}
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("err = %v, want ErrInvalidHash", err)
			}
			if strings.Contains(err.Error(), salt) || strings.Contains(err.Error(), sum[:20]) {
				t.Errorf("error %q echoes the hash", err)
			}
			if err := ValidatePasswordHash(tt.hash); !errors.Is(err, ErrInvalidHash) {
				t.Errorf("ValidatePasswordHash = %v, want ErrInvalidHash", err)
			}
		})
	}
	// The cap itself is accepted (parsing only; no hashing work).
	if _, err := parsePBKDF2("$pbkdf2-sha256$5000000$" + salt + "$" + sum); err != nil {
		t.Errorf("rounds at the cap: %v", err)
	}
	// An empty salt is valid, as in passlib.
	if _, err := parsePBKDF2("$pbkdf2-sha256$1$$" + sum); err != nil {
		t.Errorf("empty salt: %v", err)
	}
}
