package keys

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/crypto/ssh"
)

// FuzzParseAuthorizedKeys checks that ParseAuthorizedKeys never panics,
// that it either refuses the input with ErrPrivateKey or returns keys, and
// that every returned key is an accepted type, re-marshals and parses back
// to itself.
func FuzzParseAuthorizedKeys(f *testing.F) {
	tk := newTestKeys(f)
	_, hostPEM, err := GenerateHostKey(Ed25519)
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		"",
		"\n\n# comment\n",
		line(tk.ed, "alice@example.com"),
		line(tk.p256, "") + "\r\n" + line(tk.rsa2048, "x") + "\r\n",
		`from="1.2.3.4",command="echo \"hi\"" ` + line(tk.ed2, ""),
		"restrict " + line(tk.p384, ""),
		line(tk.dsa, "") + "\n" + line(tk.cert, "") + "\n" + line(tk.rsa1024, ""),
		line(tk.skEd, "") + "\n" + line(tk.p521, ""),
		rfc4716(tk.ed, `Comment: "a \`, `b"`),
		rfc4716(tk.ed2, "x-command: /bin/sh"),
		"---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 x\nssh-rsa !!! y\nssh-ed25519",
		"ssh-ed25519\t" + b64(tk.ed) + "\tc",
		string(hostPEM),
		"PuTTY-User-Key-File-3: ssh-ed25519\nPrivate-Lines: 1\nAAAA\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, warnings, err := ParseAuthorizedKeys(data)
		if err != nil {
			if !errors.Is(err, ErrPrivateKey) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if keys != nil || warnings != nil {
				t.Fatal("keys or warnings returned with an error")
			}
			return
		}
		for _, w := range warnings {
			if w.Line < 1 || w.Kind == "" || w.Detail == "" {
				t.Fatalf("malformed warning %+v", w)
			}
		}
		seen := make(map[string]bool)
		for _, k := range keys {
			wire := k.Marshal()
			if seen[string(wire)] {
				t.Fatal("duplicate key returned")
			}
			seen[string(wire)] = true
			if r := refused(k); r != "" {
				t.Fatalf("refused key returned: %s", r)
			}
			back, err := ssh.ParsePublicKey(wire)
			if err != nil {
				t.Fatalf("returned key does not parse back: %v", err)
			}
			if !bytes.Equal(back.Marshal(), wire) {
				t.Fatal("key changed through a marshal round trip")
			}
			again, _, err := ParseAuthorizedKeys(ssh.MarshalAuthorizedKey(k))
			if err != nil || len(again) != 1 || !bytes.Equal(again[0].Marshal(), wire) {
				t.Fatalf("authorized_keys line of a returned key does not parse back: %v", err)
			}
		}
	})
}
