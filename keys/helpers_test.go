package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testKeys holds keys made once per test function.
type testKeys struct {
	ed, ed2, p256, p384, p521, rsa2048, rsa1024, dsa, skEd, cert ssh.PublicKey
	edSigner                                                     ssh.Signer
}

func newTestKeys(t testing.TB) *testKeys {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tk := &testKeys{}
	pub := func(k any) ssh.PublicKey {
		t.Helper()
		p, err := ssh.NewPublicKey(k)
		must(err)
		return p
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	must(err)
	tk.ed = pub(edPub)
	tk.edSigner, err = ssh.NewSignerFromKey(edPriv)
	must(err)
	ed2, _, err := ed25519.GenerateKey(rand.Reader)
	must(err)
	tk.ed2 = pub(ed2)
	for _, c := range []struct {
		curve elliptic.Curve
		dst   *ssh.PublicKey
	}{{elliptic.P256(), &tk.p256}, {elliptic.P384(), &tk.p384}, {elliptic.P521(), &tk.p521}} {
		k, err := ecdsa.GenerateKey(c.curve, rand.Reader)
		must(err)
		*c.dst = pub(&k.PublicKey)
	}
	r2, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	tk.rsa2048 = pub(&r2.PublicKey)
	r1, err := rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	tk.rsa1024 = pub(&r1.PublicKey)

	// A syntactically valid DSA key (the values need not form a real group).
	p := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 1023), big.NewInt(1))
	q := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 159), big.NewInt(1))
	tk.dsa, err = ssh.ParsePublicKey(ssh.Marshal(struct {
		Name       string
		P, Q, G, Y *big.Int
	}{ssh.InsecureKeyAlgoDSA, p, q, big.NewInt(2), big.NewInt(3)}))
	must(err)

	tk.skEd, err = ssh.ParsePublicKey(ssh.Marshal(struct {
		Name        string
		Key         []byte
		Application string
	}{ssh.KeyAlgoSKED25519, []byte(ed2), "ssh:"}))
	must(err)

	cert := &ssh.Certificate{Key: tk.ed2, CertType: ssh.UserCert, ValidPrincipals: []string{"alice"},
		ValidBefore: ssh.CertTimeInfinity}
	must(cert.SignCert(rand.Reader, tk.edSigner))
	tk.cert = cert
	return tk
}

// line returns the authorized_keys line of k with a comment.
func line(k ssh.PublicKey, comment string) string {
	s := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(k)), "\n")
	if comment != "" {
		s += " " + comment
	}
	return s
}

// b64 returns the base64 key data of k.
func b64(k ssh.PublicKey) string {
	return base64.StdEncoding.EncodeToString(k.Marshal())
}

// rfc4716 formats k as an RFC 4716 block with the given header lines.
func rfc4716(k ssh.PublicKey, headers ...string) string {
	var b strings.Builder
	b.WriteString("---- BEGIN SSH2 PUBLIC KEY ----\n")
	for _, h := range headers {
		b.WriteString(h + "\n")
	}
	data := b64(k)
	for len(data) > 70 {
		b.WriteString(data[:70] + "\n")
		data = data[70:]
	}
	b.WriteString(data + "\n---- END SSH2 PUBLIC KEY ----\n")
	return b.String()
}
