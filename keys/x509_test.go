package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// selfSignedPEM returns a PEM self-signed X.509 certificate for priv,
// valid from notBefore to notAfter, with common name cn.
func selfSignedPEM(t testing.TB, priv crypto.Signer, cn string, notBefore, notAfter time.Time) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// x509Keys are private keys of every type a certificate may hold.
type x509Keys struct {
	ed                     ed25519.PrivateKey
	p256, p384, p521, p224 *ecdsa.PrivateKey
	rsa2048, rsa1024       *rsa.PrivateKey
}

func newX509Keys(t testing.TB) *x509Keys {
	t.Helper()
	k := &x509Keys{}
	var err error
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		curve elliptic.Curve
		dst   **ecdsa.PrivateKey
	}{{elliptic.P256(), &k.p256}, {elliptic.P384(), &k.p384}, {elliptic.P521(), &k.p521}, {elliptic.P224(), &k.p224}} {
		if *c.dst, err = ecdsa.GenerateKey(c.curve, rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	if k.rsa2048, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
		t.Fatal(err)
	}
	return k
}

func sshPub(t testing.TB, priv crypto.Signer) ssh.PublicKey {
	t.Helper()
	k, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestParseAuthorizedKeys_KEY12_X509 checks that a PEM certificate in
// ssh_authorized_keys_content gives its subject public key as one
// authorised key, for every accepted key type, whatever its validity
// window, and that refused key types and broken blocks are reported.
func TestParseAuthorizedKeys_KEY12_X509(t *testing.T) {
	xk := newX509Keys(t)
	now := time.Now()
	valid := func(priv crypto.Signer, cn string) string {
		return selfSignedPEM(t, priv, cn, now.Add(-time.Hour), now.Add(time.Hour))
	}
	for _, tt := range []struct {
		name string
		priv crypto.Signer
	}{
		{"Ed25519", xk.ed}, {"ECDSA P-256", xk.p256}, {"ECDSA P-384", xk.p384},
		{"ECDSA P-521", xk.p521}, {"RSA 2048", xk.rsa2048},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lines, warnings, err := ParseAuthorizedKeyLines([]byte(valid(tt.priv, "alice cert")))
			if err != nil || len(warnings) != 0 || len(lines) != 1 {
				t.Fatalf("got %d keys, warnings %v, err %v", len(lines), warnings, err)
			}
			want := sshPub(t, tt.priv)
			if got := lines[0]; string(got.Key.Marshal()) != string(want.Marshal()) ||
				got.Comment != "alice cert" || got.Line != 1 || !got.ExpiresAt.IsZero() || got.From != nil {
				t.Errorf("entry %+v, want key %s", got, ssh.FingerprintSHA256(want))
			}
			keys, warnings, err := ParseAuthorizedKeys([]byte(valid(tt.priv, "")))
			if err != nil || len(warnings) != 0 || len(keys) != 1 || string(keys[0].Marshal()) != string(want.Marshal()) {
				t.Errorf("ParseAuthorizedKeys: %d keys, %v, %v", len(keys), warnings, err)
			}
		})
	}

	t.Run("validity window not enforced", func(t *testing.T) {
		expired := selfSignedPEM(t, xk.ed, "old", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
		future := selfSignedPEM(t, xk.p256, "new", now.Add(24*time.Hour), now.Add(48*time.Hour))
		keys, warnings, err := ParseAuthorizedKeys([]byte(expired + future))
		if err != nil || len(warnings) != 0 || len(keys) != 2 {
			t.Fatalf("got %d keys, warnings %v, err %v", len(keys), warnings, err)
		}
	})

	t.Run("mixed with OpenSSH lines, CRLF and indentation", func(t *testing.T) {
		cert := strings.ReplaceAll(valid(xk.rsa2048, "r"), "\n", "\r\n  ")
		in := "# keys\n" + string(ssh.MarshalAuthorizedKey(sshPub(t, xk.ed))) + "  " + cert + "\n" +
			string(ssh.MarshalAuthorizedKey(sshPub(t, xk.p384)))
		list, warnings, err := ParseAuthorizedKeyLines([]byte(in))
		if err != nil || len(warnings) != 0 || len(list) != 3 {
			t.Fatalf("got %d keys, warnings %v, err %v", len(list), warnings, err)
		}
		if list[1].Line != 3 || list[1].Key.Type() != ssh.KeyAlgoRSA || list[2].Key.Type() != ssh.KeyAlgoECDSA384 {
			t.Errorf("entries %+v", list)
		}
	})

	certBody := func(pemText string) []string {
		return strings.Split(strings.TrimSpace(pemText), "\n")
	}
	edCert := certBody(valid(xk.ed, "x"))
	after := string(ssh.MarshalAuthorizedKey(sshPub(t, xk.p256)))
	for _, tt := range []struct {
		name     string
		in       string
		kind     WarningKind
		wantKeys int
	}{
		{"RSA 1024 refused", valid(xk.rsa1024, "short"), WarnUnsupportedKey, 0},
		{"ECDSA P-224 refused", valid(xk.p224, "p224"), WarnUnsupportedKey, 0},
		{"without END, following line still read",
			strings.Join(edCert[:len(edCert)-1], "\n") + "\n" + after, WarnInvalidLine, 1},
		{"cut by EOF", strings.Join(edCert[:3], "\n"), WarnInvalidLine, 0},
		{"bad base64", edCert[0] + "\nAAA=A\n" + edCert[len(edCert)-1] + "\n" + after, WarnInvalidLine, 1},
		{"not a certificate", edCert[0] + "\nAAAA\n" + edCert[len(edCert)-1] + "\n" + after, WarnInvalidLine, 1},
		{"PEM headers", edCert[0] + "\nProc-Type: 4,ENCRYPTED\n" + strings.Join(edCert[1:], "\n") + "\n" + after, WarnInvalidLine, 1},
		{"truncated DER", strings.Join(append(edCert[:2:2], edCert[len(edCert)-1]), "\n") + "\n" + after, WarnInvalidLine, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			keys, warnings, err := ParseAuthorizedKeys([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != tt.wantKeys {
				t.Errorf("%d keys, want %d", len(keys), tt.wantKeys)
			}
			if len(warnings) == 0 || warnings[0].Kind != tt.kind || warnings[0].Line != 1 {
				t.Fatalf("warnings %v, want first %s at line 1", warnings, tt.kind)
			}
			for _, w := range warnings {
				if strings.Contains(w.Detail, edCert[1][:16]) {
					t.Errorf("warning %q quotes the certificate", w.Detail)
				}
			}
		})
	}

	t.Run("certificate next to a private key refuses all", func(t *testing.T) {
		der, err := x509.MarshalPKCS8PrivateKey(xk.ed)
		if err != nil {
			t.Fatal(err)
		}
		in := valid(xk.ed, "x") + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if _, _, err := ParseAuthorizedKeys([]byte(in)); err == nil {
			t.Fatal("private key next to a certificate accepted")
		}
	})
}
