package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestGenerateHostKey(t *testing.T) {
	tests := []struct {
		alg      Algorithm
		wantType string
	}{
		{Ed25519, ssh.KeyAlgoED25519},
		{ECDSAP256, ssh.KeyAlgoECDSA256},
	}
	for _, tt := range tests {
		t.Run(string(tt.alg), func(t *testing.T) {
			signer, pemBytes, err := GenerateHostKey(tt.alg)
			if err != nil {
				t.Fatal(err)
			}
			if got := signer.PublicKey().Type(); got != tt.wantType {
				t.Errorf("type = %s, want %s", got, tt.wantType)
			}
			if !bytes.HasPrefix(pemBytes, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n")) {
				t.Errorf("not an OpenSSH PEM key: %.40q", pemBytes)
			}
			back, err := ssh.ParsePrivateKey(pemBytes)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.PublicKey().Marshal(), signer.PublicKey().Marshal()) {
				t.Error("PEM does not hold the generated key")
			}
			sig, err := signer.Sign(rand.Reader, []byte("data"))
			if err != nil {
				t.Fatal(err)
			}
			if err := back.PublicKey().Verify([]byte("data"), sig); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("unknown algorithm", func(t *testing.T) {
		for _, alg := range []Algorithm{"", "rsa", "ED25519", "dsa"} {
			if _, _, err := GenerateHostKey(alg); err == nil {
				t.Errorf("GenerateHostKey(%q): no error", alg)
			}
		}
	})
}

func TestLoadHostKey(t *testing.T) {
	dir := t.TempDir()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	r1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, edPEM, err := GenerateHostKey(Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	edSigner, _ := ssh.ParsePrivateKey(edPEM)
	encBlock, err := ssh.MarshalPrivateKeyWithPassphrase(ec, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	ecPub, _ := ssh.NewPublicKey(&ec.PublicKey)

	tests := []struct {
		name    string
		content []byte
		want    ssh.PublicKey // nil: an error is expected
		errHas  string
	}{
		{"openssh ed25519", edPEM, edSigner.PublicKey(), ""},
		{"PKCS#8 PEM", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), ecPub, ""},
		{"SEC 1 PEM", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), ecPub, ""},
		{"encrypted", pem.EncodeToMemory(encBlock), nil, "encrypted"},
		{"short RSA", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(r1024)}), nil, "RSA"},
		{"public key", []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP4= x\n"), nil, "not a supported"},
		{"garbage", []byte("hello\n"), nil, "not a supported"},
		{"empty", nil, nil, "not a supported"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "key"+string(rune('a'+i)))
			if err := os.WriteFile(p, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := LoadHostKey(p)
			if tt.want == nil {
				if err == nil {
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("error %q should name %s and contain %q", err, p, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.PublicKey().Marshal(), tt.want.Marshal()) {
				t.Error("wrong key loaded")
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		p := filepath.Join(dir, "missing")
		_, err := LoadHostKey(p)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
			t.Errorf("err = %v, want fs.ErrNotExist naming the file", err)
		}
	})
}

func TestLoadOrCreateHostKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "keys")
	path := filepath.Join(dir, "host_ed25519")

	s1, created, err := LoadOrCreateHostKey(path, Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("created = false for a new key")
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key mode = %v, want 0600", st.Mode().Perm())
	}
	dst, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v, want 0700", dst.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key (temporary file left behind?)", len(entries))
	}

	s2, created, err := LoadOrCreateHostKey(path, ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("created = true for an existing key")
	}
	if !bytes.Equal(s1.PublicKey().Marshal(), s2.PublicKey().Marshal()) {
		t.Error("second call did not load the stored key")
	}

	t.Run("existing bad file is reported, not replaced", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad")
		if err := os.WriteFile(p, []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreateHostKey(p, Ed25519); err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v, want an error naming %s", err, p)
		}
		if b, _ := os.ReadFile(p); string(b) != "junk" {
			t.Error("bad key file was overwritten")
		}
	})

	t.Run("unknown algorithm writes nothing", func(t *testing.T) {
		d := t.TempDir()
		if _, _, err := LoadOrCreateHostKey(filepath.Join(d, "k"), "rsa"); err == nil {
			t.Fatal("no error")
		}
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Errorf("directory holds %d entries, want none", len(entries))
		}
	})
}
