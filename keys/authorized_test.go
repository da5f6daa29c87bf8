package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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

type wantWarning struct {
	line int
	kind WarningKind
}

func marshalAll(keys []ssh.PublicKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, string(k.Marshal()))
	}
	return out
}

func checkKeys(t *testing.T, got []ssh.PublicKey, want ...ssh.PublicKey) {
	t.Helper()
	g, w := marshalAll(got), marshalAll(want)
	if len(g) != len(w) {
		t.Fatalf("got %d keys, want %d", len(g), len(w))
	}
	for i := range g {
		if g[i] != w[i] {
			t.Errorf("key %d: got %s, want %s", i, ssh.FingerprintSHA256(got[i]), ssh.FingerprintSHA256(want[i]))
		}
	}
}

func checkWarnings(t *testing.T, got []Warning, want []wantWarning) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got warnings %v, want %v", got, want)
	}
	for i := range got {
		if got[i].Line != want[i].line || got[i].Kind != want[i].kind {
			t.Errorf("warning %d: got line %d %s (%s), want line %d %s", i, got[i].Line, got[i].Kind, got[i].Detail, want[i].line, want[i].kind)
		}
	}
}

func TestParseAuthorizedKeys(t *testing.T) {
	tk := newTestKeys(t)
	tests := []struct {
		name     string
		input    string
		want     []ssh.PublicKey
		warnings []wantWarning
	}{
		{"empty", "", nil, nil},
		{"KEY-04 blank lines and comments",
			"\n# a comment\n   \n\t# indented comment\n" + line(tk.ed, "alice@laptop") + "\n\n",
			[]ssh.PublicKey{tk.ed}, nil},
		{"KEY-04 CRLF, BOM, no final newline, tab separators",
			"\xef\xbb\xbf" + line(tk.ed, "") + "\r\n" + "ssh-ed25519\t" + b64(tk.ed2) + "\tcomment with  spaces\r\n",
			[]ssh.PublicKey{tk.ed, tk.ed2}, nil},
		{"KEY-04 leading whitespace", "   " + line(tk.ed, "c"), []ssh.PublicKey{tk.ed}, nil},
		{"KEY-04 base64 without padding",
			"ecdsa-sha2-nistp256 " + strings.TrimRight(b64(tk.p256), "=") + " c",
			[]ssh.PublicKey{tk.p256}, nil},
		{"KEY-04 invalid lines skipped, valid still used",
			"garbage\n" + line(tk.ed, "ok") + "\nssh-ed25519 !!!notbase64!!! c\nssh-ed25519\nssh-ed25519 AAAA c\n" + line(tk.ed2, "ok2"),
			[]ssh.PublicKey{tk.ed, tk.ed2},
			[]wantWarning{{1, WarnInvalidLine}, {3, WarnInvalidLine}, {4, WarnInvalidLine}, {5, WarnInvalidLine}}},
		{"KEY-04 declared type does not match key data",
			"ssh-rsa " + b64(tk.ed) + " c\n", nil, []wantWarning{{1, WarnInvalidLine}}},
		{"KEY-04 trailing junk in key blob",
			"ssh-ed25519 " + b64(tk.ed) + "AAAA c\n", nil, []wantWarning{{1, WarnInvalidLine}}},
		{"duplicates are returned once",
			line(tk.ed, "a") + "\n" + line(tk.ed, "b") + "\n", []ssh.PublicKey{tk.ed}, nil},
		{"KEY-05 (issue 5) behaviour-changing options make the line unusable",
			`from="10.0.0.0/8",command="/bin/false" ` + line(tk.ed, "x") + "\n" +
				"cert-authority " + line(tk.ed, "ca") + "\n" +
				`command="echo hi there" ` + line(tk.ed, "") + "\n" +
				`permitopen="h:1",no-pty ` + line(tk.ed, "") + "\n" +
				line(tk.p384, "kept"),
			[]ssh.PublicKey{tk.p384},
			[]wantWarning{{1, WarnOptions}, {2, WarnOptions}, {3, WarnOptions}, {4, WarnOptions}}},
		{"KEY-05 (issue 5) restrictions are accepted",
			"restrict " + line(tk.ed2, "") + "\n" +
				"no-pty,no-port-forwarding " + line(tk.p256, "") + "\n",
			[]ssh.PublicKey{tk.ed2, tk.p256}, nil},
		{"KEY-05 (issue 5) conditional lines are left out by the keys-only API",
			`from="10.0.0.0/8" ` + line(tk.ed, "") + "\n" +
				`expiry-time="20991231" ` + line(tk.ed2, "") + "\n" +
				"garbage\n" + line(tk.p256, ""),
			[]ssh.PublicKey{tk.p256},
			[]wantWarning{{1, WarnConditional}, {2, WarnConditional}, {3, WarnInvalidLine}}},
		{"KEY-05 (issue 5) plain line of the same key still counts",
			`command="x" ` + line(tk.ed, "") + "\n" + `from="1.2.3.4" ` + line(tk.ed, "") + "\n" + line(tk.ed, ""),
			[]ssh.PublicKey{tk.ed}, []wantWarning{{1, WarnOptions}, {2, WarnConditional}}},
		{"KEY-09 accepted types",
			strings.Join([]string{line(tk.ed, ""), line(tk.p256, ""), line(tk.p384, ""), line(tk.p521, ""),
				line(tk.rsa2048, ""), line(tk.skEd, "")}, "\n"),
			[]ssh.PublicKey{tk.ed, tk.p256, tk.p384, tk.p521, tk.rsa2048, tk.skEd}, nil},
		{"KEY-09 DSA, short RSA and certificates refused",
			strings.Join([]string{line(tk.dsa, ""), line(tk.rsa1024, ""), line(tk.cert, ""), line(tk.ed, "")}, "\n"),
			[]ssh.PublicKey{tk.ed},
			[]wantWarning{{1, WarnUnsupportedKey}, {2, WarnUnsupportedKey}, {3, WarnUnsupportedKey}}},
		{"KEY-06 RFC 4716 block",
			rfc4716(tk.rsa2048, `Comment: "2048-bit RSA, converted by me@example.com"`) + line(tk.ed, ""),
			[]ssh.PublicKey{tk.rsa2048, tk.ed}, nil},
		{"KEY-06 RFC 4716 block with continued comment and CRLF",
			strings.ReplaceAll(rfc4716(tk.ed, `Comment: "a very \`, `long comment"`, "Subject: alice"), "\n", "\r\n"),
			[]ssh.PublicKey{tk.ed}, nil},
		{"KEY-05 RFC 4716 block with a command header is not trusted",
			"\n" + rfc4716(tk.ed, "x-command: /bin/restricted") + line(tk.ed2, ""),
			[]ssh.PublicKey{tk.ed2}, []wantWarning{{2, WarnOptions}}},
		{"KEY-06 RFC 4716 block without END, following lines still read",
			"---- BEGIN SSH2 PUBLIC KEY ----\n" + b64(tk.ed) + "\n" + line(tk.ed2, "") + "\n",
			[]ssh.PublicKey{tk.ed2}, []wantWarning{{1, WarnInvalidLine}}},
		{"KEY-06 RFC 4716 block cut by EOF",
			line(tk.ed2, "") + "\n---- BEGIN SSH2 PUBLIC KEY ----\n" + b64(tk.ed) + "\n",
			[]ssh.PublicKey{tk.ed2}, []wantWarning{{2, WarnInvalidLine}}},
		{"KEY-06 RFC 4716 block with bad body",
			"---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n",
			nil, []wantWarning{{1, WarnInvalidLine}}},
		{"KEY-09 RFC 4716 certificate refused",
			rfc4716(tk.cert), nil, []wantWarning{{1, WarnUnsupportedKey}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, warnings, err := ParseAuthorizedKeys([]byte(tt.input))
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			checkKeys(t, keys, tt.want...)
			checkWarnings(t, warnings, tt.warnings)
			for _, w := range warnings {
				if w.File != "" || !strings.HasPrefix(w.String(), "line ") {
					t.Errorf("warning %q: want a line location and no file", w)
				}
			}
		})
	}
}

// TestParseAuthorizedKeys_NoKeyMaterialInMessages checks that warnings and
// errors never echo the key line.
func TestParseAuthorizedKeys_NoKeyMaterialInMessages(t *testing.T) {
	tk := newTestKeys(t)
	input := `command="secret" ` + line(tk.ed, "secret-comment") + "\n" +
		`from="secret.example.com",expiry-time="secret" ` + line(tk.ed, "secret-comment") + "\n" +
		`from="!secret.example.com" ` + line(tk.ed, "secret-comment") + "\n" +
		`from="secret.example.com" ` + line(tk.ed, "secret-comment") + "\n" +
		`secret-option ` + line(tk.ed, "secret-comment") + "\n" +
		"ssh-ed25519 " + b64(tk.ed2)[:20] + " secret-comment\n" +
		"what ever secret-comment\n" + line(tk.rsa1024, "secret-comment")
	_, warnings, err := ParseAuthorizedKeys([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		for _, bad := range []string{"secret", b64(tk.ed)[:20], "what"} {
			if strings.Contains(w.String(), bad) {
				t.Errorf("warning %q contains %q", w, bad)
			}
		}
	}
}

func privateKeyFixtures(t *testing.T) map[string][]byte {
	t.Helper()
	_, pemBytes, err := GenerateHostKey(Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	openssh := string(pemBytes)
	body := strings.Split(openssh, "\n")[1] // first base64 line: starts with the openssh-key-v1 magic
	return map[string][]byte{
		"openssh PEM":       pemBytes,
		"PKCS#8 PEM":        pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		"SEC 1 PEM":         pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}),
		"encrypted PEM":     []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"),
		"RSA header only":   []byte("-----BEGIN RSA PRIVATE KEY-----\n"),
		"bare openssh blob": []byte(body + "\n"),
		"PuTTY ppk": []byte("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 2\nAAAA\nAAAA\n" +
			"Private-Lines: 1\nAAAA\nPrivate-MAC: 00\n"),
		"PuTTY private lines only": []byte("Private-Lines: 1\nAAAA\n"),
		"SSH2 private key":         []byte("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nAAAA\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n"),
		"DER PKCS#8":               der,
		"DER SEC 1":                sec1,
		"SSH1 private key":         []byte("SSH PRIVATE KEY FILE FORMAT 1.1\n\x00\x00"),
	}
}

// TestParseAuthorizedKeys_KEY07 checks that private-key material anywhere
// refuses every key of the input (fail closed).
func TestParseAuthorizedKeys_KEY07(t *testing.T) {
	tk := newTestKeys(t)
	valid := line(tk.ed, "good") + "\n"
	for name, priv := range privateKeyFixtures(t) {
		for _, pos := range []string{"alone", "after valid keys", "before valid keys"} {
			if strings.HasPrefix(name, "DER") && pos != "alone" {
				continue // a binary DER key is recognised as a whole file only
			}
			t.Run(name+"/"+pos, func(t *testing.T) {
				var input []byte
				switch pos {
				case "alone":
					input = priv
				case "after valid keys":
					input = append([]byte(valid+valid), priv...)
				default:
					input = append(append([]byte{}, priv...), "\n"+valid...)
				}
				keys, warnings, err := ParseAuthorizedKeys(input)
				if !errors.Is(err, ErrPrivateKey) {
					t.Fatalf("err = %v, want ErrPrivateKey", err)
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("err %T is not a *ParseError", err)
				}
				if keys != nil || warnings != nil {
					t.Errorf("got %d keys and %d warnings with a private key present", len(keys), len(warnings))
				}
				if len(priv) >= 60 && bytes.Contains([]byte(err.Error()), priv[40:60]) {
					t.Errorf("error %q echoes the key", err)
				}
			})
		}
	}
	t.Run("error names the line", func(t *testing.T) {
		_, _, err := ParseAuthorizedKeys([]byte(valid + "\n-----BEGIN OPENSSH PRIVATE KEY-----\n"))
		if err == nil || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("err = %v, want it to name line 3", err)
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadAuthorizedKeys(t *testing.T) {
	tk := newTestKeys(t)
	dir := t.TempDir()

	t.Run("KEY-04 file with warnings naming file:line", func(t *testing.T) {
		p := filepath.Join(dir, "alice")
		writeFile(t, p, "# keys\n"+line(tk.ed, "")+"\nnonsense\n")
		keys, warnings, err := LoadAuthorizedKeys(p)
		if err != nil {
			t.Fatal(err)
		}
		checkKeys(t, keys, tk.ed)
		checkWarnings(t, warnings, []wantWarning{{3, WarnInvalidLine}})
		if warnings[0].File != p || !strings.HasPrefix(warnings[0].String(), p+":3: ") {
			t.Errorf("warning %q does not name %s:3", warnings[0], p)
		}
	})

	t.Run("KEY-07 private key names file and line", func(t *testing.T) {
		p := filepath.Join(dir, "leaked")
		writeFile(t, p, line(tk.ed, "")+"\n-----BEGIN OPENSSH PRIVATE KEY-----\n")
		_, _, err := LoadAuthorizedKeys(p)
		if !errors.Is(err, ErrPrivateKey) || !strings.Contains(err.Error(), p+":2:") {
			t.Fatalf("err = %v, want ErrPrivateKey naming %s:2", err, p)
		}
	})

	t.Run("KEY-08 file too large is ignored", func(t *testing.T) {
		p := filepath.Join(dir, "big")
		big := strings.Repeat("# padding padding padding padding padding padding padding padding\n", MaxFileSize/60)
		writeFile(t, p, line(tk.ed, "")+"\n"+big)
		keys, warnings, err := LoadAuthorizedKeys(p)
		if err != nil {
			t.Fatal(err)
		}
		checkKeys(t, keys)
		checkWarnings(t, warnings, []wantWarning{{0, WarnFileTooLarge}})
	})

	t.Run("KEY-08 file of exactly MaxFileSize is read", func(t *testing.T) {
		p := filepath.Join(dir, "limit")
		l := line(tk.ed, "") + "\n"
		writeFile(t, p, l+strings.Repeat("#", MaxFileSize-len(l)-1)+"\n")
		keys, _, err := LoadAuthorizedKeys(p)
		if err != nil {
			t.Fatal(err)
		}
		checkKeys(t, keys, tk.ed)
	})

	t.Run("KEY-03 missing path", func(t *testing.T) {
		_, _, err := LoadAuthorizedKeys(filepath.Join(dir, "nobody"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want fs.ErrNotExist", err)
		}
	})

	t.Run("KEY-03 directory: every regular file, name order, hidden included", func(t *testing.T) {
		d := filepath.Join(dir, "keysdir")
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d, "b.pub"), line(tk.p256, "")+"\n"+line(tk.ed, "dup")+"\n")
		writeFile(t, filepath.Join(d, "a.pub"), line(tk.ed, "")+"\n")
		writeFile(t, filepath.Join(d, ".hidden"), rfc4716(tk.ed2)+"junk\n")
		writeFile(t, filepath.Join(d, "sub", "c.pub"), line(tk.p384, "")+"\n") // not recursive
		keys, warnings, err := LoadAuthorizedKeys(d)
		if err != nil {
			t.Fatal(err)
		}
		checkKeys(t, keys, tk.ed2, tk.ed, tk.p256)
		checkWarnings(t, warnings, []wantWarning{{4, WarnInvalidLine}})
		if want := filepath.Join(d, ".hidden"); warnings[0].File != want {
			t.Errorf("warning file = %q, want %q", warnings[0].File, want)
		}
	})

	t.Run("KEY-07 private key in one file of a directory refuses all", func(t *testing.T) {
		d := filepath.Join(dir, "keysdir2")
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d, "a.pub"), line(tk.ed, "")+"\n")
		_, pemBytes, err := GenerateHostKey(Ed25519)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d, "id_ed25519"), string(pemBytes))
		writeFile(t, filepath.Join(d, "z.pub"), line(tk.ed2, "")+"\n")
		keys, _, err := LoadAuthorizedKeys(d)
		if !errors.Is(err, ErrPrivateKey) || !strings.Contains(err.Error(), filepath.Join(d, "id_ed25519")) {
			t.Fatalf("err = %v, want ErrPrivateKey naming id_ed25519", err)
		}
		if keys != nil {
			t.Errorf("got %d keys, want none", len(keys))
		}
	})

	t.Run("KEY-07 PuTTY .ppk in a directory refuses all", func(t *testing.T) {
		d := filepath.Join(dir, "keysdir3")
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d, "a.pub"), line(tk.ed, "")+"\n")
		writeFile(t, filepath.Join(d, "me.ppk"), string(privateKeyFixtures(t)["PuTTY ppk"]))
		if _, _, err := LoadAuthorizedKeys(d); !errors.Is(err, ErrPrivateKey) {
			t.Fatalf("err = %v, want ErrPrivateKey", err)
		}
	})
}
