package sftpserver_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/sftpserver"
)

// passwdServer serves a configuration with two password accounts: "self"
// (allow_own_password_change) and "fixed" (not allowed), with a state
// store when withState.
func passwdServer(t *testing.T, withState bool, extra string) (*configFixture, string) {
	t.Helper()
	hash, err := auth.HashPassword("old password")
	if err != nil {
		t.Fatal(err)
	}
	text := `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/h
create_home_folder = Yes

[groups/self]
name = self
home_folder_path = {BASE}/h
create_home_folder = Yes
allow_own_password_change = Yes
` + extra + `
[accounts/self]
name = self
group = self
password = ` + hash + `

[accounts/fixed]
name = fixed
password = ` + hash + `
`
	opt := auth.ConfiguredOptions{Policy: auth.PasswordPolicy{MinLength: 8}}
	if withState {
		opt.State = auth.NewMemoryStateStore()
	}
	f := serveConfig(t, text, nil, opt)
	return f, hash
}

func (f *configFixture) dial(user string, methods ...ssh.AuthMethod) (*ssh.Client, error) {
	return ssh.Dial("tcp", f.ts.Addr, &ssh.ClientConfig{User: user, Auth: methods, HostKeyCallback: ssh.FixedHostKey(f.ts.HostKey)})
}

// runPasswd runs "passwd" with stdin and returns the exit status and
// output.
func runPasswd(t *testing.T, c *ssh.Client, stdin string) (int, string, string) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	s.Stdin, s.Stdout, s.Stderr = strings.NewReader(stdin), &out, &errOut
	err = s.Run("passwd")
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &ee):
		return ee.ExitStatus(), out.String(), errOut.String()
	}
	t.Fatalf("passwd: %v", err)
	return -1, "", ""
}

// TestPasswdExec_PWD08 runs "ssh user@host passwd" end to end (PWD-06,
// PWD-07, PWD-08).
func TestPasswdExec_PWD08(t *testing.T) {
	f, _ := passwdServer(t, true, "")
	cases := []struct {
		name, user, stdin string
		status            int
		reason            string // of password.change-failed; "" for success
		msg               string
	}{
		{"PWD-06 not allowed", "fixed", "old password\nnew password 1\nnew password 1\n", 1, "not-allowed", "not allowed"},
		{"PWD-07 wrong current", "self", "wrong\nnew password 1\nnew password 1\n", 1, "incorrect-current", "current password incorrect"},
		{"mismatch", "self", "old password\nnew password 1\nnew password 2\n", 1, "mismatch", "do not match"},
		{"PWD-02 policy", "self", "old password\nshort\nshort\n", 1, "policy", "too short"},
		{"no input", "self", "old password\n", 1, "no-input", "no input"},
		{"PWD-07 success", "self", "old password\r\nnew password 1\r\nnew password 1\r\n", 0, "", "updated successfully"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.dial(tc.user, ssh.Password("old password"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			status, out, errOut := runPasswd(t, c, tc.stdin)
			if status != tc.status || !strings.Contains(out+errOut, tc.msg) {
				t.Errorf("status %d, output %q / %q; want %d and %q", status, out, errOut, tc.status, tc.msg)
			}
			if !strings.Contains(out, "Current password: ") {
				t.Errorf("no prompt in %q", out)
			}
			want := sftpserver.EventPasswordChanged
			if tc.reason != "" {
				want = sftpserver.EventPasswordChangeFailed
			}
			ev := f.rec.wait(t, string(want), func(e sftpserver.Event) bool {
				return (e.Type == sftpserver.EventPasswordChanged || e.Type == sftpserver.EventPasswordChangeFailed) && e.Reason == tc.reason && e.User == tc.user
			})
			if ev.Type != want {
				t.Errorf("event %s, want %s", ev.Type, want)
			}
			// PWD-08: the connection is closed after the exchange.
			if err := c.Wait(); err == nil {
				t.Log("connection closed cleanly")
			}
		})
	}
	if _, err := f.dial("self", ssh.Password("old password")); err == nil {
		t.Error("old password still accepted")
	}
	c, err := f.dial("self", ssh.Password("new password 1"))
	if err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	c.Close()
}

// TestPasswdExec_RefusedWithoutSupport: exec is refused by an
// authenticator that cannot change passwords, and any other command always.
func TestPasswdExec_RefusedWithoutSupport(t *testing.T) {
	f, _ := passwdServer(t, false, "")
	c, err := f.dial("self", ssh.Password("old password"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	status, _, errOut := runPasswd(t, c, "old password\nnew password 1\nnew password 1\n")
	if status != 1 || !strings.Contains(errOut, "cannot change passwords") {
		t.Errorf("without State: status %d, %q", status, errOut)
	}
	c2, err := f.dial("self", ssh.Password("old password"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	s, err := c2.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Run("id"); err == nil {
		t.Error("exec id accepted")
	}
	// A plain Static authenticator does not implement PasswordChanger.
	ts, _ := newTestServer(t, nil)
	cs, err := ssh.Dial("tcp", ts.Addr, &ssh.ClientConfig{User: ts.User, Auth: []ssh.AuthMethod{ssh.Password(ts.Password)}, HostKeyCallback: ssh.FixedHostKey(ts.HostKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	s2, err := cs.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Run("passwd"); err == nil {
		t.Error("exec passwd accepted by an authenticator without PasswordChanger")
	}
}

// TestInBandExpiredPasswordChange: an expired password is changed at login
// through keyboard-interactive; the plain password method is refused with
// password-expired.
func TestInBandExpiredPasswordChange(t *testing.T) {
	hash, _ := auth.HashPassword("old password")
	text := `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP

[groups/self]
name = self
home_folder_path = {BASE}/h
create_home_folder = Yes
allow_own_password_change = Yes
password_lifetime = 30

[accounts/self]
name = self
group = self
password = ` + hash + `
last_password_update = 1577836800
`
	g := serveConfig(t, text, nil, auth.ConfiguredOptions{State: auth.NewMemoryStateStore(), Policy: auth.PasswordPolicy{MinLength: 8}})
	if _, err := g.dial("self", ssh.Password("old password")); err == nil {
		t.Fatal("expired password accepted by the password method")
	}
	g.rejected(t, "self", "password-expired")
	var rounds []string
	ki := ssh.KeyboardInteractive(func(_, instruction string, qs []string, _ []bool) ([]string, error) {
		rounds = append(rounds, instruction+"|"+strings.Join(qs, "|"))
		if len(qs) == 1 {
			return []string{"old password"}, nil
		}
		return []string{"brand new password", "brand new password"}, nil
	})
	c, err := g.dial("self", ki)
	if err != nil {
		t.Fatalf("in-band change: %v (rounds %q)", err, rounds)
	}
	c.Close()
	if len(rounds) != 2 || !strings.Contains(rounds[1], "expired") || !strings.Contains(rounds[1], "New password: ") {
		t.Errorf("rounds %q", rounds)
	}
	g.rec.wait(t, "password.changed notice", func(e sftpserver.Event) bool {
		return e.Type == sftpserver.EventPasswordChanged && e.User == "self"
	})
	c, err = g.dial("self", ssh.Password("brand new password"))
	if err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	c.Close()
}
