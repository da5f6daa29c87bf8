package groups

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testKeyLine returns a fresh "ssh-ed25519 AAAA… comment" line.
func testKeyLine(t testing.TB) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " test"
}

// ssh_authorized_keys_content is validated with keys.ParseAuthorizedKeys:
// skipped lines are warnings at their file line; private-key material is
// an error.
func TestParse_AuthorizedKeysContent(t *testing.T) {
	c := mustParse(t, defaultGroup+`[accounts/a]
name = alice
ssh_authorized_keys_content =
    `+testKeyLine(t)+`
    not a key
    `+testKeyLine(t)+`
`)
	if len(c.Warnings) != 1 || c.Warnings[0].Line != 8 || c.Warnings[0].Option != "ssh_authorized_keys_content" {
		t.Errorf("warnings = %v", c.Warnings)
	}
	if n := strings.Count(c.Account("alice").SSHAuthorizedKeysContent, "ssh-ed25519"); n != 2 {
		t.Errorf("content has %d keys", n)
	}

	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(pem.EncodeToMemory(block))), "\n") {
		b.WriteString("    " + line + "\n")
	}
	errs := parseErrs(t, defaultGroup+"[accounts/a]\nname = alice\nssh_authorized_keys_content =\n"+b.String())
	if len(errs) != 1 {
		t.Fatalf("errors = %v", errs)
	}
	checkErr(t, errs[0], 7, "accounts/a", "ssh_authorized_keys_content", ErrInvalidValue, "private key")
	if strings.Contains(errs[0].Error(), "BEGIN") {
		t.Errorf("error quotes key material: %v", errs[0])
	}
}
