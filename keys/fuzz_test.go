package keys

import (
	"bytes"
	"errors"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

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
	// KEY-12: PEM X.509 certificates, whole, expired, refused and broken.
	xk := newX509Keys(f)
	now := time.Now()
	edCert := selfSignedPEM(f, xk.ed, "ed", now, now.Add(time.Hour))
	seeds = append(seeds,
		edCert,
		selfSignedPEM(f, xk.p256, "old", now.Add(-2*time.Hour), now.Add(-time.Hour))+line(tk.ed, ""),
		selfSignedPEM(f, xk.rsa1024, "short", now, now.Add(time.Hour)),
		selfSignedPEM(f, xk.p224, "p224", now, now.Add(time.Hour)),
		strings.ReplaceAll(edCert, "\n", "\r\n"),
		edCert[:len(edCert)/2],
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
	)
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

// FuzzParseAuthorizedKeyLines checks the options parser: it never panics,
// every warning names a line, every entry is an accepted key with a line
// and usable conditions, Allows never panics, and ParseAuthorizedKeys
// returns exactly the distinct keys of the unconditional entries.
func FuzzParseAuthorizedKeyLines(f *testing.F) {
	tk := newTestKeys(f)
	ed := line(tk.ed, "c")
	seeds := []string{
		ed,
		"restrict,no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc " + ed,
		`from="!10.0.0.5,10.0.0.0/8,192.168.1.?,2001:db8::/32,*.example.com",expiry-time="20300101Z" ` + ed,
		`expiry-time="203001011230",expiry-time="20300101123045UTC" ` + ed,
		`command="echo \"a, b\"",environment="X=1" ` + ed,
		`permitopen="h:1",permitlisten="2",principals="a",tunnel="0",cert-authority ` + ed,
		"pty,no-touch-required,verify-required " + ed,
		`from="10.0.0.1/8" ` + ed + "\n" + `from="!bad.example.com" ` + ed,
		`from="10.0.0.1 ` + ed,
		`from=10.0.0.1 ` + ed,
		",,, " + ed,
		`"\"" ` + ed,
		"restrict\t" + line(tk.dsa, "") + "\nrestrict " + line(tk.cert, ""),
		rfc4716(tk.ed, `Comment: "x \`, `y"`),
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte{10, 0, 0, 5}, int64(1893456000))
	}
	f.Fuzz(func(t *testing.T, data, addr []byte, unix int64) {
		list, warnings, err := ParseAuthorizedKeyLines(data)
		if err != nil {
			if !errors.Is(err, ErrPrivateKey) || list != nil || warnings != nil {
				t.Fatalf("unexpected error or results with an error: %v", err)
			}
			return
		}
		for _, w := range warnings {
			if w.Line < 1 || w.Kind == "" || w.Detail == "" || w.File != "" {
				t.Fatalf("malformed warning %+v", w)
			}
		}
		src, _ := netip.AddrFromSlice(addr)
		now := time.Unix(unix, 0)
		want := map[string]bool{}
		for _, k := range list {
			if k.Line < 1 || k.Key == nil || k.File != "" {
				t.Fatalf("malformed entry %+v", k)
			}
			if r := refused(k.Key); r != "" {
				t.Fatalf("refused key returned: %s", r)
			}
			if !k.ExpiresAt.IsZero() && k.ExpiresAt.Unix() < 0 {
				t.Fatal("expiry before 1970 accepted")
			}
			if k.From != nil {
				if _, _, problem := parseFrom(strings.Join(k.From, ",")); problem != "" {
					t.Fatalf("unusable from= list returned: %s", problem)
				}
				if _, err := matchFrom(k.From, src); err != nil {
					t.Fatalf("from= list of an entry does not evaluate: %v", err)
				}
			}
			err := k.Allows(now, src)
			if k.ExpiresAt.IsZero() && k.From == nil && err != nil {
				t.Fatalf("unconditional entry refused: %v", err)
			}
			if err != nil && !errors.Is(err, ErrKeyExpired) && !errors.Is(err, ErrSourceNotAllowed) {
				t.Fatalf("unexpected refusal %v", err)
			}
			if k.ExpiresAt.IsZero() && k.From == nil {
				want[string(k.Key.Marshal())] = true
			}
		}
		keys, _, err := ParseAuthorizedKeys(data)
		if err != nil {
			t.Fatalf("ParseAuthorizedKeys disagrees: %v", err)
		}
		if len(keys) != len(want) {
			t.Fatalf("ParseAuthorizedKeys returned %d keys, want %d", len(keys), len(want))
		}
		for _, k := range keys {
			if !want[string(k.Marshal())] {
				t.Fatal("ParseAuthorizedKeys returned a conditional or unknown key")
			}
		}
	})
}

// FuzzFromMatch checks the from= matcher: parsing and matching never
// panic, a list parseFrom accepts always evaluates, and wildcardMatch
// agrees with a regular-expression reference.
func FuzzFromMatch(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "!10.0.0.5,*", "192.168.*.?", "::ffff:10.0.0.0/104", "a*b*c", "", "!", "*.example.com", "10.0.0.1/8"} {
		f.Add(s, []byte{10, 0, 0, 5})
	}
	f.Add("2001:db8::*", []byte(netip.MustParseAddr("2001:db8::1").AsSlice()))
	f.Fuzz(func(t *testing.T, list string, addr []byte) {
		src, _ := netip.AddrFromSlice(addr)
		_, _, problem := parseFrom(list)
		ok, err := matchFrom(strings.Split(list, ","), src)
		if problem == "" && err != nil {
			t.Fatalf("accepted list does not evaluate: %v", err)
		}
		if err != nil && ok {
			t.Fatal("match reported with an error")
		}
		if !src.IsValid() {
			return
		}
		text := strings.ToLower(src.Unmap().String())
		for _, p := range strings.Split(list, ",") {
			p = strings.ToLower(strings.TrimPrefix(p, "!"))
			if len(p) > 64 {
				continue
			}
			re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p)) + "$"
			if got, want := wildcardMatch(text, p), regexp.MustCompile("(?s)"+re).MatchString(text); got != want {
				t.Fatalf("wildcardMatch(%q, %q) = %v, want %v", text, p, got, want)
			}
		}
	})
}
