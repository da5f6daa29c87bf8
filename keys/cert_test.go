package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

type certFixture struct {
	tk                   *testKeys
	ca, otherCA          ssh.Signer
	rsaCA, rsaSHA1, weak ssh.Signer
	now                  time.Time
}

func newCertFixture(t *testing.T) *certFixture {
	t.Helper()
	f := &certFixture{tk: newTestKeys(t), now: utc("2026-06-01T12:00:00")}
	signer := func(k any) ssh.Signer {
		t.Helper()
		s, err := ssh.NewSignerFromKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	_, caPriv, _ := ed25519.GenerateKey(rand.Reader)
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	f.ca, f.otherCA = signer(caPriv), signer(otherPriv)
	r2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.rsaCA = signer(r2048)
	sha1, err := ssh.NewSignerWithAlgorithms(f.rsaCA.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSA})
	if err != nil {
		t.Fatal(err)
	}
	f.rsaSHA1 = sha1
	r1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	f.weak = signer(r1024)
	return f
}

// cert makes a user certificate for alice, valid an hour around f.now,
// signed by f.ca unless edit says otherwise.
func (f *certFixture) cert(t *testing.T, edit func(c *ssh.Certificate) ssh.Signer) *ssh.Certificate {
	t.Helper()
	c := &ssh.Certificate{
		Key:             f.tk.ed2,
		CertType:        ssh.UserCert,
		KeyId:           "alice@example",
		ValidPrincipals: []string{"alice"},
		ValidAfter:      uint64(f.now.Add(-time.Hour).Unix()),
		ValidBefore:     uint64(f.now.Add(time.Hour).Unix()),
		Permissions:     ssh.Permissions{Extensions: map[string]string{"permit-pty": ""}},
	}
	by := f.ca
	if edit != nil {
		if s := edit(c); s != nil {
			by = s
		}
	}
	if err := c.SignCert(rand.Reader, by); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCERT03_Check is the certificate matrix of CERT-03.
func TestCERT03_Check(t *testing.T) {
	f := newCertFixture(t)
	src := netip.MustParseAddr("192.0.2.10")
	crit := func(opts map[string]string) func(c *ssh.Certificate) ssh.Signer {
		return func(c *ssh.Certificate) ssh.Signer { c.CriticalOptions = opts; return nil }
	}
	tests := []struct {
		name   string
		cert   func(c *ssh.Certificate) ssh.Signer
		after  func(c *ssh.Certificate) // changes after signing
		cas    []ssh.PublicKey          // nil: f.ca and f.rsaCA
		user   string                   // "": alice
		now    time.Time                // zero: f.now
		source netip.Addr               // zero: src
		noSrc  bool                     // use the zero Addr
		want   error
	}{
		{name: "valid", want: nil},
		{name: "one of several principals", cert: func(c *ssh.Certificate) ssh.Signer {
			c.ValidPrincipals = []string{"bob", "alice", "carol"}
			return nil
		}},
		{name: "host certificate", cert: func(c *ssh.Certificate) ssh.Signer { c.CertType = ssh.HostCert; return nil }, want: ErrCertType},
		{name: "signed by another CA", cert: func(*ssh.Certificate) ssh.Signer { return f.otherCA }, want: ErrCertUnknownAuthority},
		{name: "no trusted CA configured", cas: []ssh.PublicKey{}, want: ErrCertUnknownAuthority},
		{name: "empty principals", cert: func(c *ssh.Certificate) ssh.Signer { c.ValidPrincipals = nil; return nil }, want: ErrCertNoPrincipals},
		{name: "wrong principal", user: "mallory", want: ErrCertPrincipal},
		{name: "principal differs in case", user: "Alice", want: ErrCertPrincipal},
		{name: "empty principal string does not match empty user", cert: func(c *ssh.Certificate) ssh.Signer {
			c.ValidPrincipals = []string{""}
			return nil
		}, user: "-", want: ErrCertPrincipal},
		{name: "not yet valid", now: utc("2026-06-01T10:59:59"), want: ErrCertNotYetValid},
		{name: "exactly at ValidAfter", now: utc("2026-06-01T11:00:00")},
		{name: "one second before ValidBefore", now: utc("2026-06-01T12:59:59")},
		{name: "exactly at ValidBefore", now: utc("2026-06-01T13:00:00"), want: ErrCertExpired},
		{name: "expired long ago", now: utc("2030-01-01T00:00:00"), want: ErrCertExpired},
		{name: "forever", cert: func(c *ssh.Certificate) ssh.Signer {
			c.ValidAfter, c.ValidBefore = 0, ssh.CertTimeInfinity
			return nil
		}, now: utc("2100-01-01T00:00:00")},
		{name: "ValidAfter beyond int64", cert: func(c *ssh.Certificate) ssh.Signer { c.ValidAfter = math.MaxInt64 + 1; return nil }, want: ErrCertNotYetValid},
		{name: "ValidBefore beyond int64 but not infinity", cert: func(c *ssh.Certificate) ssh.Signer {
			c.ValidBefore = ssh.CertTimeInfinity - 1
			return nil
		}, want: ErrCertExpired},
		{name: "source-address match", cert: crit(map[string]string{"source-address": "198.51.100.0/24,192.0.2.10"})},
		{name: "source-address CIDR match", cert: crit(map[string]string{"source-address": "192.0.2.0/24"})},
		{name: "source-address IPv4-mapped source", cert: crit(map[string]string{"source-address": "192.0.2.0/24"}),
			source: netip.MustParseAddr("::ffff:192.0.2.10")},
		{name: "source-address mismatch", cert: crit(map[string]string{"source-address": "198.51.100.0/24"}), want: ErrSourceNotAllowed},
		{name: "source-address without a source", cert: crit(map[string]string{"source-address": "0.0.0.0/0"}),
			noSrc: true, want: ErrSourceNotAllowed},
		{name: "source-address empty", cert: crit(map[string]string{"source-address": ""}), want: ErrCertCriticalOption},
		{name: "source-address with blanks", cert: crit(map[string]string{"source-address": "192.0.2.10, 10.0.0.1"}), want: ErrCertCriticalOption},
		{name: "source-address host name", cert: crit(map[string]string{"source-address": "gw.example.com"}), want: ErrCertCriticalOption},
		{name: "source-address wildcard", cert: crit(map[string]string{"source-address": "192.0.2.*"}), want: ErrCertCriticalOption},
		{name: "source-address host bits beyond mask", cert: crit(map[string]string{"source-address": "192.0.2.10/24"}), want: ErrCertCriticalOption},
		{name: "force-command refused", cert: crit(map[string]string{"force-command": "/bin/true"}), want: ErrCertCriticalOption},
		{name: "unknown critical option refused", cert: crit(map[string]string{"source-address": "192.0.2.10", "x-new@example.com": ""}), want: ErrCertCriticalOption},
		{name: "verify-required critical option refused", cert: crit(map[string]string{"verify-required": ""}), want: ErrCertCriticalOption},
		{name: "extensions ignored", cert: func(c *ssh.Certificate) ssh.Signer {
			c.Extensions = map[string]string{"no-touch-required": "", "permit-port-forwarding": "", "x@example.com": "y"}
			return nil
		}},
		{name: "principals changed after signing", cert: func(c *ssh.Certificate) ssh.Signer { c.ValidPrincipals = []string{"bob"}; return nil },
			after: func(c *ssh.Certificate) { c.ValidPrincipals = []string{"alice"} }, want: ErrCertSignature},
		{name: "validity changed after signing", after: func(c *ssh.Certificate) { c.ValidBefore += 3600 }, want: ErrCertSignature},
		{name: "signature key swapped for a trusted CA", cert: func(*ssh.Certificate) ssh.Signer { return f.otherCA },
			after: func(c *ssh.Certificate) { c.SignatureKey = f.ca.PublicKey() }, want: ErrCertSignature},
		{name: "RSA CA with rsa-sha2 signature", cert: func(*ssh.Certificate) ssh.Signer { return f.rsaCA }},
		{name: "RSA CA with SHA-1 signature", cert: func(*ssh.Certificate) ssh.Signer { return f.rsaSHA1 }, want: ErrCertSignature},
		{name: "short RSA CA even when trusted", cert: func(*ssh.Certificate) ssh.Signer { return f.weak },
			cas: []ssh.PublicKey{f.weak.PublicKey()}, want: ErrKeyTypeNotAllowed},
		{name: "short RSA certificate key", cert: func(c *ssh.Certificate) ssh.Signer { c.Key = f.tk.rsa1024; return nil }, want: ErrKeyTypeNotAllowed},
		{name: "DSA certificate key", cert: func(c *ssh.Certificate) ssh.Signer { c.Key = f.tk.dsa; return nil }, want: ErrKeyTypeNotAllowed},
		{name: "RSA 2048 certificate key", cert: func(c *ssh.Certificate) ssh.Signer { c.Key = f.tk.rsa2048; return nil }},
		{name: "certificate as CA key", after: func(c *ssh.Certificate) { c.SignatureKey = f.tk.cert }, want: ErrKeyTypeNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.cert(t, tt.cert)
			if tt.after != nil {
				tt.after(c)
			}
			cas := tt.cas
			if cas == nil {
				cas = []ssh.PublicKey{f.tk.ed, f.ca.PublicKey(), f.rsaCA.PublicKey()}
			}
			user := tt.user
			if user == "" {
				user = "alice"
			}
			now := tt.now
			if now.IsZero() {
				now = f.now
			}
			source := tt.source
			if !source.IsValid() && !tt.noSrc {
				source = src
			}
			p := CertPolicy{CAs: cas, Now: func() time.Time { return now }}
			err := p.Check(c, user, source)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "alice") {
				t.Errorf("error %q quotes certificate content", err)
			}
		})
	}
	t.Run("nil certificate", func(t *testing.T) {
		if err := (CertPolicy{CAs: []ssh.PublicKey{f.ca.PublicKey()}}).Check(nil, "alice", src); !errors.Is(err, ErrCertType) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("nil clock is time.Now", func(t *testing.T) {
		c := f.cert(t, func(c *ssh.Certificate) ssh.Signer {
			c.ValidAfter, c.ValidBefore = uint64(time.Now().Add(-time.Minute).Unix()), uint64(time.Now().Add(time.Hour).Unix())
			return nil
		})
		if err := (CertPolicy{CAs: []ssh.PublicKey{f.ca.PublicKey()}}).Check(c, "alice", src); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCert_EmptyPrincipalsRefused is the regression test for DESIGN §3:
// x/crypto's CertChecker accepts a certificate without principals for any
// user; CertPolicy must not.
func TestCert_EmptyPrincipalsRefused(t *testing.T) {
	f := newCertFixture(t)
	c := f.cert(t, func(c *ssh.Certificate) ssh.Signer { c.ValidPrincipals = nil; return nil })
	checker := ssh.CertChecker{
		IsUserAuthority: func(k ssh.PublicKey) bool { return string(k.Marshal()) == string(f.ca.PublicKey().Marshal()) },
		Clock:           func() time.Time { return f.now },
	}
	if err := checker.CheckCert("root", c); err != nil {
		t.Logf("note: x/crypto now refuses certificates without principals: %v", err)
	}
	p := CertPolicy{CAs: []ssh.PublicKey{f.ca.PublicKey()}, Now: func() time.Time { return f.now }}
	for _, user := range []string{"root", "alice", ""} {
		if err := p.Check(c, user, netip.MustParseAddr("192.0.2.1")); !errors.Is(err, ErrCertNoPrincipals) {
			t.Errorf("Check(%q) = %v, want ErrCertNoPrincipals", user, err)
		}
	}
}

// TestCERT03_SSHKeygen checks interoperability with certificates made by
// OpenSSH's ssh-keygen -s.
func TestCERT03_SSHKeygen(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	d := t.TempDir()
	keygen := func(args ...string) {
		t.Helper()
		out, err := exec.Command("ssh-keygen", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
		}
	}
	keygen("-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(d, "ca"))
	keygen("-q", "-t", "ecdsa", "-N", "", "-f", filepath.Join(d, "ca2"))
	cas, err := LoadCAKeys(filepath.Join(d, "ca.pub"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name string
		args []string
		ca   string
		want error
	}{
		{"good", []string{"-n", "alice,bob", "-V", "-5m:+1h"}, "ca", nil},
		{"wrong principal", []string{"-n", "someone-else", "-V", "-5m:+1h"}, "ca", ErrCertPrincipal},
		{"no principals", []string{"-V", "-5m:+1h"}, "ca", ErrCertNoPrincipals},
		{"expired", []string{"-n", "alice", "-V", "20200101:20200102"}, "ca", ErrCertExpired},
		{"not yet valid", []string{"-n", "alice", "-V", "+1d:+2d"}, "ca", ErrCertNotYetValid},
		{"wrong CA", []string{"-n", "alice", "-V", "-5m:+1h"}, "ca2", ErrCertUnknownAuthority},
		{"source-address match", []string{"-n", "alice", "-V", "-5m:+1h", "-O", "source-address=127.0.0.0/8,::1"}, "ca", nil},
		{"source-address mismatch", []string{"-n", "alice", "-V", "-5m:+1h", "-O", "source-address=10.0.0.0/8"}, "ca", ErrSourceNotAllowed},
		{"force-command", []string{"-n", "alice", "-V", "-5m:+1h", "-O", "force-command=/bin/true"}, "ca", ErrCertCriticalOption},
		{"verify-required", []string{"-n", "alice", "-V", "-5m:+1h", "-O", "verify-required"}, "ca", ErrCertCriticalOption},
		{"clear extensions", []string{"-n", "alice", "-V", "-5m:+1h", "-O", "clear"}, "ca", nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(d, "user"+string(rune('a'+i)))
			keygen("-q", "-t", "ed25519", "-N", "", "-f", base)
			keygen(append(append([]string{"-q", "-s", filepath.Join(d, tt.ca), "-I", tt.name}, tt.args...), base+".pub")...)
			data, err := os.ReadFile(base + "-cert.pub")
			if err != nil {
				t.Fatal(err)
			}
			pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
			if err != nil {
				t.Fatal(err)
			}
			cert, ok := pub.(*ssh.Certificate)
			if !ok {
				t.Fatalf("%T is not a certificate", pub)
			}
			p := CertPolicy{CAs: cas, Now: func() time.Time { return now }}
			err = p.Check(cert, "alice", netip.MustParseAddr("127.0.0.1"))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLoadCAKeys(t *testing.T) {
	tk := newTestKeys(t)
	d := t.TempDir()
	_, hostPEM, err := GenerateHostKey(Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content string
		want    []ssh.PublicKey
		errLine int // >0: an error naming file:line is expected; -1: an error naming the file
		errIs   error
	}{
		{"one key", line(tk.ed, "ca"), []ssh.PublicKey{tk.ed}, 0, nil},
		{"comments, blanks, CRLF, RFC 4716, duplicates",
			"# CAs\r\n\r\n" + line(tk.ed, "") + "\r\n" + rfc4716(tk.p256) + line(tk.ed, "again") + "\n",
			[]ssh.PublicKey{tk.ed, tk.p256}, 0, nil},
		{"garbage line", line(tk.ed, "") + "\nnot a key\n", nil, 2, nil},
		{"options", line(tk.ed, "") + "\nrestrict " + line(tk.p256, "") + "\n", nil, 2, nil},
		{"cert-authority option", "cert-authority " + line(tk.p256, "") + "\n", nil, 1, nil},
		{"from= option", `from="10.0.0.0/8" ` + line(tk.p256, "") + "\n", nil, 1, nil},
		{"DSA key", "\n" + line(tk.dsa, ""), nil, 2, nil},
		{"short RSA", line(tk.rsa1024, ""), nil, 1, nil},
		{"certificate", line(tk.cert, ""), nil, 1, nil},
		{"private key", line(tk.ed, "") + "\n" + string(hostPEM), nil, 2, ErrPrivateKey},
		{"empty", "# nothing\n", nil, -1, nil},
		{"too large", line(tk.ed, "") + "\n" + strings.Repeat("#", MaxFileSize) + "\n", nil, -1, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(d, "ca"+string(rune('a'+i)))
			writeFile(t, p, tt.content)
			got, err := LoadCAKeys(p)
			if tt.errLine == 0 {
				if err != nil {
					t.Fatal(err)
				}
				checkKeys(t, got, tt.want...)
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			want := p
			if tt.errLine > 0 {
				want = p + ":" + string(rune('0'+tt.errLine)) + ":"
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err %q does not name %s", err, want)
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("err = %v, want %v", err, tt.errIs)
			}
			if got != nil {
				t.Error("keys returned with an error")
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if _, err := LoadCAKeys(filepath.Join(d, "missing")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err = %v", err)
		}
	})
}
