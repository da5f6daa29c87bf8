package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || parts[3] != "m=19456,t=2,p=1" {
		t.Fatalf("unexpected PHC string %q", h)
	}
	if salt, err := base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(salt) != 16 {
		t.Errorf("salt: %d bytes, %v; want 16", len(salt), err)
	}
	if key, err := base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(key) != 32 {
		t.Errorf("key: %d bytes, %v; want 32", len(key), err)
	}
	h2, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Error("two hashes of the same password are equal: salt not random")
	}
}

func TestVerifyPassword(t *testing.T) {
	hash, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	emptyPw, err := HashPassword("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		hash, pw string
		want     bool
	}{
		{"round trip", hash, "s3cret", true},
		{"wrong password", hash, "s3cre", false},
		{"wrong case", hash, "S3cret", false},
		{"password with suffix", hash, "s3cret ", false},
		{"AUTH-10 empty stored hash, empty password", "", "", false},
		{"AUTH-10 empty stored hash, any password", "", "s3cret", false},
		{"hash of the empty password", emptyPw, "", true},
		// Known-answer vector (argon2id, t=4, m=4096, p=4, salt
		// "somesalt", 24-byte key) from the argon2 reference test
		// vectors: parameters and key length are taken from the string.
		{"known-answer vector", "$argon2id$v=19$m=4096,t=4,p=4$c29tZXNhbHQ$FF25czqfTuQ+3zPFCb6WuTTVBaTvszxa", "password", true},
		{"known-answer vector, wrong password", "$argon2id$v=19$m=4096,t=4,p=4$c29tZXNhbHQ$FF25czqfTuQ+3zPFCb6WuTTVBaTvszxa", "passwore", false},
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

func TestVerifyPassword_Malformed(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	phc := func(alg, v, params, s, k string) string {
		return fmt.Sprintf("$%s$%s$%s$%s$%s", alg, v, params, s, k)
	}
	tests := []struct{ name, hash string }{
		{"plain text", "s3cret"},
		{"bcrypt $2x$ (only $2a$/$2b$/$2y$ are accepted)", "$2x$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"sha-crypt", "$6$salt$hash"},
		{"argon2i", phc("argon2i", "v=19", "m=19456,t=2,p=1", salt, key)},
		{"argon2d", phc("argon2d", "v=19", "m=19456,t=2,p=1", salt, key)},
		{"version 16", phc("argon2id", "v=16", "m=19456,t=2,p=1", salt, key)},
		{"missing version", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key},
		{"too few fields", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"too many fields", phc("argon2id", "v=19", "m=19456,t=2,p=1", salt, key) + "$x"},
		{"no leading dollar", "argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$"},
		{"params out of order", phc("argon2id", "v=19", "t=2,m=19456,p=1", salt, key)},
		{"missing param", phc("argon2id", "v=19", "m=19456,t=2", salt, key)},
		{"extra param", phc("argon2id", "v=19", "m=19456,t=2,p=1,keyid=x", salt, key)},
		{"non-numeric", phc("argon2id", "v=19", "m=lots,t=2,p=1", salt, key)},
		{"negative", phc("argon2id", "v=19", "m=19456,t=-2,p=1", salt, key)},
		{"plus sign", phc("argon2id", "v=19", "m=+19456,t=2,p=1", salt, key)},
		{"overflow", phc("argon2id", "v=19", "m=99999999999,t=2,p=1", salt, key)},
		{"padded salt", phc("argon2id", "v=19", "m=19456,t=2,p=1", salt+"==", key)},
		{"salt not base64", phc("argon2id", "v=19", "m=19456,t=2,p=1", "!!!!!!!!!!!!", key)},
		{"short salt", phc("argon2id", "v=19", "m=19456,t=2,p=1", "c2FsdA", key)},
		{"short key", phc("argon2id", "v=19", "m=19456,t=2,p=1", salt, "AAAA")},
		{"empty key", phc("argon2id", "v=19", "m=19456,t=2,p=1", salt, "")},
		{"long key", phc("argon2id", "v=19", "m=19456,t=2,p=1", salt, base64.RawStdEncoding.EncodeToString(make([]byte, 65)))},
		// Hostile parameters: refused before any work is done.
		{"hostile memory", phc("argon2id", "v=19", "m=4194304,t=2,p=1", salt, key)},
		{"memory just over the bound", phc("argon2id", "v=19", "m=65537,t=1,p=1", salt, key)},
		{"hostile time", phc("argon2id", "v=19", "m=19456,t=100000,p=1", salt, key)},
		{"hostile threads", phc("argon2id", "v=19", "m=19456,t=2,p=255", salt, key)},
		{"zero time", phc("argon2id", "v=19", "m=19456,t=0,p=1", salt, key)},
		{"zero threads", phc("argon2id", "v=19", "m=19456,t=2,p=0", salt, key)},
		{"memory below 8*p", phc("argon2id", "v=19", "m=15,t=2,p=2", salt, key)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(tt.hash, "s3cret")
			if ok {
				t.Fatal("malformed hash matched")
			}
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("err = %v, want ErrInvalidHash", err)
			}
			if strings.Contains(err.Error(), salt) || strings.Contains(err.Error(), key) {
				t.Errorf("error %q echoes the hash", err)
			}
		})
	}
}

// FuzzParseArgon2 checks that parsing a stored hash never panics and that
// every accepted hash is within the bounds and encodes back to a string
// that parses to the same values. No argon2 work is done.
func FuzzParseArgon2(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=4096,t=4,p=4$c29tZXNhbHQ$FF25czqfTuQ+3zPFCb6WuTTVBaTvszxa")
	f.Add("$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$FF25czqfTuQ+3zPFCb6WuTTVBaTvszxa")
	f.Add("$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG")
	f.Add("$6$salt$hash")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseArgon2(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("error does not wrap ErrInvalidHash: %v", err)
			}
			return
		}
		if h.memory > maxHashMemory || h.time > maxHashTime || h.threads > maxHashThreads ||
			h.time < 1 || h.threads < 1 || h.memory < 8*uint32(h.threads) {
			t.Fatalf("out-of-bounds parameters accepted: %+v", h)
		}
		h2, err := parseArgon2(h.String())
		if err != nil {
			t.Fatalf("re-encoded hash does not parse: %v", err)
		}
		if h2.String() != h.String() {
			t.Fatal("round trip changed the hash")
		}
	})
}
