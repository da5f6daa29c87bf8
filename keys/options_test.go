package keys

import (
	"errors"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// The tests in this file cover issue 5 item 5, which replaces SPEC KEY-05:
// authorized_keys options are interpreted instead of skipping the line.

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestKEY05_OptionsParse checks which options make a line usable, what is
// recorded, and that every refusal is a warning naming the line.
func TestKEY05_OptionsParse(t *testing.T) {
	tk := newTestKeys(t)
	ed := line(tk.ed, "alice@laptop")
	tests := []struct {
		name    string
		input   string
		ok      bool // one usable entry expected
		kind    WarningKind
		expires time.Time
		from    []string
		options []string
		comment string
	}{
		{name: "plain line", input: ed, ok: true, comment: "alice@laptop"},
		{name: "plain line, tab separated, comment with blanks",
			input: "ssh-ed25519\t" + b64(tk.ed) + "\t a  b ", ok: true, comment: "a  b"},
		{name: "restrict", input: "restrict " + ed, ok: true, options: []string{"restrict"}, comment: "alice@laptop"},
		{name: "every accepted restriction, mixed case, tab before key",
			input: "RESTRICT,No-Pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc\t" + ed, ok: true,
			options: []string{"restrict", "no-pty", "no-port-forwarding", "no-agent-forwarding", "no-x11-forwarding", "no-user-rc"},
			comment: "alice@laptop"},
		{name: "trailing comma (as OpenSSH)", input: "restrict, " + ed, ok: true, options: []string{"restrict"}, comment: "alice@laptop"},
		{name: "from= single address", input: `from="192.0.2.1" ` + ed, ok: true, from: []string{"192.0.2.1"}, comment: "alice@laptop"},
		{name: "from= list with negation, CIDR, wildcard and IPv6",
			input: `restrict,FROM="!10.0.0.5,10.0.0.0/24,192.168.1.*,2001:db8::/32" ` + ed, ok: true,
			from: []string{"!10.0.0.5", "10.0.0.0/24", "192.168.1.*", "2001:db8::/32"}, options: []string{"restrict"}, comment: "alice@laptop"},
		{name: "from= host-name pattern kept with a warning",
			input: `from="*.example.com,10.1.2.3" ` + ed, ok: true, kind: WarnHostPattern,
			from: []string{"*.example.com", "10.1.2.3"}, comment: "alice@laptop"},
		{name: "expiry-time date, UTC", input: `expiry-time="20300102Z" ` + ed, ok: true, expires: utc("2030-01-02T00:00:00"), comment: "alice@laptop"},
		{name: "expiry-time minutes, UTC lower case", input: `expiry-time="203001021530z" ` + ed, ok: true, expires: utc("2030-01-02T15:30:00"), comment: "alice@laptop"},
		{name: "expiry-time seconds, UTC suffix", input: `Expiry-Time="20300102153045UTC" ` + ed, ok: true, expires: utc("2030-01-02T15:30:45"), comment: "alice@laptop"},
		{name: "expiry-time in local time", input: `expiry-time="20300102" ` + ed, ok: true,
			expires: time.Date(2030, 1, 2, 0, 0, 0, 0, time.Local), comment: "alice@laptop"},
		{name: "expiry-time repeated: the earliest counts",
			input: `expiry-time="20310101Z",expiry-time="20300101Z",expiry-time="20320101Z" ` + ed, ok: true,
			expires: utc("2030-01-01T00:00:00"), comment: "alice@laptop"},
		{name: "expiry-time in the past is kept (refused at login)", input: `expiry-time="20200101Z" ` + ed, ok: true,
			expires: utc("2020-01-01T00:00:00"), comment: "alice@laptop"},
		{name: "from= and expiry-time= together",
			input: `no-pty,from="10.0.0.0/8",expiry-time="20300101Z" ` + ed, ok: true,
			expires: utc("2030-01-01T00:00:00"), from: []string{"10.0.0.0/8"}, options: []string{"no-pty"}, comment: "alice@laptop"},

		// Options that would change behaviour: the line is unusable.
		{name: "command=", input: `command="/usr/lib/sftp-server" ` + ed, kind: WarnOptions},
		{name: "command= with quoted blanks, commas and quotes", input: `command="echo \"a, b\" c",restrict ` + ed, kind: WarnOptions},
		{name: "environment=", input: `environment="A=b" ` + ed, kind: WarnOptions},
		{name: "permitopen=", input: `permitopen="localhost:80" ` + ed, kind: WarnOptions},
		{name: "permitlisten=", input: `permitlisten="8080" ` + ed, kind: WarnOptions},
		{name: "principals=", input: `principals="alice" ` + ed, kind: WarnOptions},
		{name: "tunnel=", input: `tunnel="1" ` + ed, kind: WarnOptions},
		{name: "cert-authority", input: "cert-authority " + ed, kind: WarnOptions},
		{name: "restrict then pty", input: "restrict,pty " + ed, kind: WarnOptions},
		{name: "port-forwarding", input: "restrict,port-forwarding " + ed, kind: WarnOptions},
		{name: "agent-forwarding", input: "agent-forwarding " + ed, kind: WarnOptions},
		{name: "X11-forwarding", input: "X11-forwarding " + ed, kind: WarnOptions},
		{name: "user-rc", input: "user-rc " + ed, kind: WarnOptions},
		{name: "no-touch-required widens access", input: "no-touch-required " + ed, kind: WarnOptions},
		{name: "verify-required cannot be enforced", input: "verify-required " + ed, kind: WarnOptions},
		{name: "unknown option", input: "no-sftp " + ed, kind: WarnOptions},
		{name: "unknown valued option", input: `frobnicate="1" ` + ed, kind: WarnOptions},
		{name: "refused option after accepted ones", input: `restrict,from="10.0.0.0/8",command="x" ` + ed, kind: WarnOptions},

		// Malformed options.
		{name: "unquoted value", input: "from=10.0.0.1 " + ed, kind: WarnOptions},
		{name: "unterminated quote", input: `from="10.0.0.1 ` + ed, kind: WarnInvalidLine},
		{name: "empty option", input: "restrict,,no-pty " + ed, kind: WarnOptions},
		{name: "flag with junk", input: "restrictx " + ed, kind: WarnOptions},
		{name: "junk after quoted value", input: `from="10.0.0.1"x ` + ed, kind: WarnOptions},
		{name: "from= twice", input: `from="10.0.0.1",from="10.0.0.2" ` + ed, kind: WarnOptions},
		{name: "from= host bits beyond mask", input: `from="10.0.0.1/8" ` + ed, kind: WarnOptions},
		{name: "from= empty pattern", input: `from="10.0.0.1," ` + ed, kind: WarnOptions},
		{name: "from= empty list", input: `from="" ` + ed, kind: WarnOptions},
		{name: "from= bare negation", input: `from="!" ` + ed, kind: WarnOptions},
		{name: "from= wildcard with mask", input: `from="10.0.0.*/8" ` + ed, kind: WarnOptions},
		{name: "from= zoned address", input: `from="fe80::1%eth0" ` + ed, kind: WarnOptions},
		{name: "from= negated host name cannot be honoured", input: `from="!bad.example.com,*" ` + ed, kind: WarnOptions},
		{name: "expiry-time bad length", input: `expiry-time="2030010" ` + ed, kind: WarnOptions},
		{name: "expiry-time not a date", input: `expiry-time="20301301" ` + ed, kind: WarnOptions},
		{name: "expiry-time February 30", input: `expiry-time="20300230" ` + ed, kind: WarnOptions},
		{name: "expiry-time with dashes", input: `expiry-time="2030-01-01" ` + ed, kind: WarnOptions},
		{name: "expiry-time signs", input: `expiry-time="+2030101" ` + ed, kind: WarnOptions},
		{name: "expiry-time before 1970", input: `expiry-time="19691231Z" ` + ed, kind: WarnOptions},
		{name: "expiry-time empty", input: `expiry-time="" ` + ed, kind: WarnOptions},

		// The key decides first.
		{name: "options before garbage", input: "restrict garbage", kind: WarnInvalidLine},
		{name: "options before bad key data", input: `from="10.0.0.1" ssh-ed25519 !!!`, kind: WarnInvalidLine},
		{name: "options before a DSA key", input: "restrict " + line(tk.dsa, ""), kind: WarnUnsupportedKey},
		{name: "options before a certificate", input: "restrict " + line(tk.cert, ""), kind: WarnUnsupportedKey},
		{name: "refused option before a short RSA key", input: `command="x" ` + line(tk.rsa1024, ""), kind: WarnUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, warnings, err := ParseAuthorizedKeyLines([]byte("# header\n" + tt.input + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.kind != "" {
				if len(warnings) != 1 || warnings[0].Kind != tt.kind || warnings[0].Line != 2 {
					t.Fatalf("warnings = %v, want one %s on line 2", warnings, tt.kind)
				}
			} else if len(warnings) != 0 {
				t.Fatalf("unexpected warnings %v", warnings)
			}
			if !tt.ok {
				if len(list) != 0 {
					t.Fatalf("got %d entries for an unusable line", len(list))
				}
				return
			}
			if len(list) != 1 {
				t.Fatalf("got %d entries, want 1", len(list))
			}
			k := list[0]
			if string(k.Key.Marshal()) != string(tk.ed.Marshal()) || k.Line != 2 || k.File != "" {
				t.Errorf("entry key/line/file = %s/%d/%q", ssh.FingerprintSHA256(k.Key), k.Line, k.File)
			}
			if !k.ExpiresAt.Equal(tt.expires) {
				t.Errorf("ExpiresAt = %v, want %v", k.ExpiresAt, tt.expires)
			}
			if !slices.Equal(k.From, tt.from) || (tt.from == nil) != (k.From == nil) {
				t.Errorf("From = %q, want %q", k.From, tt.from)
			}
			if !slices.Equal(k.Options, tt.options) {
				t.Errorf("Options = %q, want %q", k.Options, tt.options)
			}
			if k.Comment != tt.comment {
				t.Errorf("Comment = %q, want %q", k.Comment, tt.comment)
			}
		})
	}
}

// TestKEY05_Allows checks expiry-time= and from= at login time.
func TestKEY05_Allows(t *testing.T) {
	tk := newTestKeys(t)
	exp := utc("2030-01-01T00:00:00")
	addr := netip.MustParseAddr
	tests := []struct {
		name    string
		expires time.Time
		from    []string
		now     time.Time
		source  netip.Addr
		want    error
	}{
		{"no conditions", time.Time{}, nil, exp, netip.Addr{}, nil},
		{"before expiry", exp, nil, exp.Add(-time.Second), addr("10.0.0.1"), nil},
		{"exactly at expiry", exp, nil, exp, addr("10.0.0.1"), ErrKeyExpired},
		{"after expiry", exp, nil, exp.Add(time.Hour), addr("10.0.0.1"), ErrKeyExpired},
		{"expiry checked before source", exp, []string{"10.0.0.1"}, exp, addr("10.9.9.9"), ErrKeyExpired},
		{"address match", time.Time{}, []string{"10.0.0.1"}, exp, addr("10.0.0.1"), nil},
		{"address mismatch", time.Time{}, []string{"10.0.0.1"}, exp, addr("10.0.0.2"), ErrSourceNotAllowed},
		{"CIDR match", time.Time{}, []string{"10.0.0.0/8"}, exp, addr("10.200.1.1"), nil},
		{"CIDR mismatch", time.Time{}, []string{"10.0.0.0/8"}, exp, addr("11.0.0.1"), ErrSourceNotAllowed},
		{"wildcard *", time.Time{}, []string{"192.168.1.*"}, exp, addr("192.168.1.77"), nil},
		{"wildcard * mismatch", time.Time{}, []string{"192.168.1.*"}, exp, addr("192.168.10.77"), ErrSourceNotAllowed},
		{"wildcard ?", time.Time{}, []string{"192.168.1.?"}, exp, addr("192.168.1.7"), nil},
		{"wildcard ? is one character", time.Time{}, []string{"192.168.1.?"}, exp, addr("192.168.1.77"), ErrSourceNotAllowed},
		{"star matches all", time.Time{}, []string{"*"}, exp, addr("2001:db8::1"), nil},
		{"negation wins over a later match", time.Time{}, []string{"!10.0.0.5", "10.0.0.0/24"}, exp, addr("10.0.0.5"), ErrSourceNotAllowed},
		{"negation wins over an earlier match", time.Time{}, []string{"10.0.0.0/24", "!10.0.0.5"}, exp, addr("10.0.0.5"), ErrSourceNotAllowed},
		{"negation does not hit others", time.Time{}, []string{"10.0.0.0/24", "!10.0.0.5"}, exp, addr("10.0.0.6"), nil},
		{"negated wildcard", time.Time{}, []string{"*", "!10.0.0.*"}, exp, addr("10.0.0.6"), ErrSourceNotAllowed},
		{"negated CIDR", time.Time{}, []string{"*", "!10.0.0.0/8"}, exp, addr("10.0.0.6"), ErrSourceNotAllowed},
		{"only negations allow nothing", time.Time{}, []string{"!10.0.0.5"}, exp, addr("10.0.0.6"), ErrSourceNotAllowed},
		{"IPv6 CIDR", time.Time{}, []string{"2001:DB8::/32"}, exp, addr("2001:db8:1::1"), nil},
		{"IPv6 wildcard, case-insensitive", time.Time{}, []string{"2001:DB8::*"}, exp, addr("2001:db8::abcd"), nil},
		{"IPv4-mapped source compared as IPv4", time.Time{}, []string{"10.0.0.0/8"}, exp, addr("::ffff:10.1.1.1"), nil},
		{"IPv4-mapped source against a wildcard", time.Time{}, []string{"10.1.1.*"}, exp, addr("::ffff:10.1.1.1"), nil},
		{"IPv4-mapped pattern", time.Time{}, []string{"::ffff:10.0.0.0/104"}, exp, addr("10.1.1.1"), nil},
		{"IPv4 pattern, IPv6 source", time.Time{}, []string{"10.0.0.0/8"}, exp, addr("2001:db8::1"), ErrSourceNotAllowed},
		{"zoned source", time.Time{}, []string{"fe80::/10"}, exp, addr("fe80::1%eth0"), nil},
		{"host name never matches", time.Time{}, []string{"localhost"}, exp, addr("127.0.0.1"), ErrSourceNotAllowed},
		{"host wildcard never matches", time.Time{}, []string{"*.example.com"}, exp, addr("192.0.2.1"), ErrSourceNotAllowed},
		{"host name beside an address", time.Time{}, []string{"gw.example.com", "192.0.2.1"}, exp, addr("192.0.2.1"), nil},
		{"no source address", time.Time{}, []string{"*"}, exp, netip.Addr{}, ErrSourceNotAllowed},
		{"hand-built: empty From slice allows nothing", time.Time{}, []string{}, exp, addr("10.0.0.1"), ErrSourceNotAllowed},
		{"hand-built: invalid pattern allows nothing", time.Time{}, []string{"10.0.0.1/8", "*"}, exp, addr("10.0.0.1"), ErrSourceNotAllowed},
		{"hand-built: negated host name allows nothing", time.Time{}, []string{"!bad.example.com", "*"}, exp, addr("10.0.0.1"), ErrSourceNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := AuthorizedKey{Key: tk.ed, ExpiresAt: tt.expires, From: tt.from, Line: 1}
			err := k.Allows(tt.now, tt.source)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Allows = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestKEY05_ParsedLinesAtLogin runs parsed lines through
// MatchAuthorizedKey, as the auth package does at each attempt.
func TestKEY05_ParsedLinesAtLogin(t *testing.T) {
	tk := newTestKeys(t)
	input := `from="10.0.0.0/8" ` + line(tk.ed, "office") + "\n" +
		`expiry-time="20300101Z",from="192.0.2.0/24" ` + line(tk.ed, "vpn until 2030") + "\n" +
		`expiry-time="20200101Z" ` + line(tk.ed2, "expired") + "\n" +
		"restrict " + line(tk.p256, "anywhere") + "\n"
	list, warnings, err := ParseAuthorizedKeyLines([]byte(input))
	if err != nil || len(warnings) != 0 || len(list) != 4 {
		t.Fatalf("parse: %d entries, warnings %v, err %v", len(list), warnings, err)
	}
	now := utc("2026-06-01T12:00:00")
	addr := netip.MustParseAddr
	tests := []struct {
		name        string
		pub         ssh.PublicKey
		now         time.Time
		source      netip.Addr
		wantLine    int
		wantErr     error
		wantComment string
	}{
		{"first line matches", tk.ed, now, addr("10.1.2.3"), 1, nil, "office"},
		{"second line of the same key matches", tk.ed, now, addr("192.0.2.9"), 2, nil, "vpn until 2030"},
		{"no line of the key allows the source", tk.ed, now, addr("198.51.100.1"), 0, ErrSourceNotAllowed, ""},
		{"second line expired, first refuses source", tk.ed, utc("2031-01-01T00:00:00"), addr("192.0.2.9"), 0, ErrSourceNotAllowed, ""},
		{"expired key", tk.ed2, now, addr("10.1.2.3"), 0, ErrKeyExpired, ""},
		{"unconditional key", tk.p256, now, netip.Addr{}, 4, nil, "anywhere"},
		{"unknown key", tk.p384, now, addr("10.1.2.3"), 0, ErrKeyNotFound, ""},
		{"nil key", nil, now, addr("10.1.2.3"), 0, ErrKeyNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := MatchAuthorizedKey(list, tt.pub, tt.now, tt.source)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || k.Line != tt.wantLine || k.Comment != tt.wantComment {
				t.Fatalf("got line %d %q, err %v; want line %d %q", k.Line, k.Comment, err, tt.wantLine, tt.wantComment)
			}
		})
	}
	t.Run("refusal names the line", func(t *testing.T) {
		_, err := MatchAuthorizedKey(list, tk.ed2, now, addr("10.1.2.3"))
		if err == nil || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("err = %v, want it to name line 3", err)
		}
	})
}

// TestKEY05_LoadLines checks the file variant: entries and warnings name
// their file, a directory is read in name order, and the keys-only wrapper
// leaves conditional lines out.
func TestKEY05_LoadLines(t *testing.T) {
	tk := newTestKeys(t)
	d := t.TempDir()
	writeFile(t, filepath.Join(d, "a"), `from="10.0.0.0/8" `+line(tk.ed, "")+"\n"+`command="x" `+line(tk.ed2, "")+"\n")
	writeFile(t, filepath.Join(d, "b"), "no-pty "+line(tk.p256, "")+"\n"+`expiry-time="20300101Z" `+line(tk.p384, "")+"\n")
	list, warnings, err := LoadAuthorizedKeyLines(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].File != filepath.Join(d, "a") || list[0].Line != 1 ||
		list[1].File != filepath.Join(d, "b") || list[1].Line != 1 || list[2].Line != 2 {
		t.Fatalf("entries = %+v", list)
	}
	checkWarnings(t, warnings, []wantWarning{{2, WarnOptions}})
	if warnings[0].File != filepath.Join(d, "a") {
		t.Errorf("warning file = %q", warnings[0].File)
	}

	keys, warnings, err := LoadAuthorizedKeys(d)
	if err != nil {
		t.Fatal(err)
	}
	checkKeys(t, keys, tk.p256)
	checkWarnings(t, warnings, []wantWarning{{1, WarnConditional}, {2, WarnOptions}, {2, WarnConditional}})
	for i, want := range []string{filepath.Join(d, "a") + ":1: ", filepath.Join(d, "a") + ":2: ", filepath.Join(d, "b") + ":2: "} {
		if !strings.HasPrefix(warnings[i].String(), want) {
			t.Errorf("warning %q does not start with %q", warnings[i], want)
		}
	}
}

// TestKEY05_NoKeyMaterialInWarnings checks that option warnings never
// quote option values, names or comments.
func TestKEY05_NoKeyMaterialInWarnings(t *testing.T) {
	tk := newTestKeys(t)
	input := strings.Join([]string{
		`command="SECRET" ` + line(tk.ed, "SECRET"),
		`environment="SECRET=1" ` + line(tk.ed, "SECRET"),
		`from="SECRET.example.com" ` + line(tk.ed, "SECRET"),
		`from="!SECRET.example.com" ` + line(tk.ed, "SECRET"),
		`from="10.0.0.1/8,SECRET" ` + line(tk.ed, "SECRET"),
		`expiry-time="SECRET" ` + line(tk.ed, "SECRET"),
		`SECRET ` + line(tk.ed, "SECRET"),
		`SECRET="x" ` + line(tk.ed, "SECRET"),
	}, "\n")
	_, warnings, err := ParseAuthorizedKeyLines([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 8 {
		t.Fatalf("got %d warnings, want 8: %v", len(warnings), warnings)
	}
	for _, w := range warnings {
		if strings.Contains(strings.ToUpper(w.String()), "SECRET") {
			t.Errorf("warning %q quotes the line", w)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		s, pat string
		want   bool
	}{
		{"", "", true}, {"", "*", true}, {"a", "", false}, {"abc", "a*c", true}, {"abc", "a?c", true},
		{"abc", "a*b*c*", true}, {"abc", "*d", false}, {"aaa", "a*a*a*a", false}, {"10.0.0.1", "10.*.1", true},
		{"10.0.0.1", "1?.0.0.?", true}, {"10.0.0.12", "1?.0.0.?", false}, {strings.Repeat("a", 200), strings.Repeat("*a", 50) + "b", false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.s, tt.pat); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tt.s, tt.pat, got)
		}
	}
}
