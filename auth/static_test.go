package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewStatic_Validation(t *testing.T) {
	key := newSigner(t).PublicKey()
	hash := mustHash(t, "pw")
	ca := newSigner(t)
	cert := &ssh.Certificate{Key: key, CertType: ssh.UserCert, ValidPrincipals: []string{"alice"}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		accounts []Account
		wantErr  error  // checked with errors.Is when non-nil
		errHas   string // "" means no error expected
	}{
		{"no accounts", nil, nil, ""},
		{"password only", []Account{{Name: "alice", PasswordHash: hash}}, nil, ""},
		{"key only", []Account{{Name: "alice", AuthorizedKeys: []ssh.PublicKey{key}}}, nil, ""},
		{"both", []Account{{Name: "alice", PasswordHash: hash, AuthorizedKeys: []ssh.PublicKey{key}}, {Name: "bob", PasswordHash: hash}}, nil, ""},
		{"empty name", []Account{{PasswordHash: hash}}, nil, "empty name"},
		{"name with slash", []Account{{Name: "a/b", PasswordHash: hash}}, vpath.ErrName, "invalid name"},
		{"name dot-dot", []Account{{Name: "..", PasswordHash: hash}}, vpath.ErrName, "invalid name"},
		{"name with NUL", []Account{{Name: "a\x00", PasswordHash: hash}}, vpath.ErrName, "invalid name"},
		{"duplicate name", []Account{{Name: "alice", PasswordHash: hash}, {Name: "alice", AuthorizedKeys: []ssh.PublicKey{key}}}, nil, "duplicate"},
		{"no credential", []Account{{Name: "alice"}}, nil, "no credential"},
		{"malformed hash", []Account{{Name: "alice", PasswordHash: "plain"}}, ErrInvalidHash, "alice"},
		{"hostile hash", []Account{{Name: "alice", PasswordHash: strings.Replace(hash, "m=19456", "m=4194304", 1)}}, ErrInvalidHash, "alice"},
		{"nil key", []Account{{Name: "alice", AuthorizedKeys: []ssh.PublicKey{nil}}}, nil, "nil"},
		{"certificate as key", []Account{{Name: "alice", AuthorizedKeys: []ssh.PublicKey{cert}}}, nil, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewStatic(tt.accounts...)
			if tt.errHas == "" {
				if err != nil || s == nil {
					t.Fatalf("NewStatic: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not contain %q", err, tt.errHas)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tt.wantErr)
			}
		})
	}
}

// TestNewStatic_CopiesAccounts checks that the Static is immutable: later
// changes to the caller's slices do not change who may log in.
func TestNewStatic_CopiesAccounts(t *testing.T) {
	k1, k2 := newSigner(t).PublicKey(), newSigner(t).PublicKey()
	keys := []ssh.PublicKey{k1}
	s, err := NewStatic(Account{Name: "alice", AuthorizedKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	keys[0] = k2
	if err := s.checkKey("alice", k1); err != nil {
		t.Errorf("original key refused after caller's change: %v", err)
	}
	if err := s.checkKey("alice", k2); err == nil {
		t.Error("key swapped in after NewStatic accepted")
	}
}

// attempt is one authentication attempt seen by the server.
type attempt struct {
	method string
	reason Reason
	ok     bool
}

type handshakeResult struct {
	perms     *ssh.Permissions // server side, nil on failure
	serverErr error
	clientErr error
	attempts  []attempt
}

// handshake runs a real SSH handshake over loopback TCP between a server
// configured by s.Setup plus LockUsername and an x/crypto client.
func handshake(t *testing.T, s *Static, cc *ssh.ClientConfig) handshakeResult {
	t.Helper()
	host := newSigner(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	type serverOut struct {
		perms    *ssh.Permissions
		err      error
		attempts []attempt
	}
	done := make(chan serverOut, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- serverOut{err: err}
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		var attempts []attempt
		cfg := &ssh.ServerConfig{
			AuthLogCallback: func(_ ssh.ConnMetadata, method string, err error) {
				attempts = append(attempts, attempt{method: method, reason: ReasonOf(err), ok: err == nil})
			},
		}
		cfg.AddHostKey(host)
		if err := s.Setup(context.Background(), ConnInfo{RemoteAddr: conn.RemoteAddr(), LocalAddr: conn.LocalAddr()}, cfg); err != nil {
			done <- serverOut{err: err}
			return
		}
		LockUsername(cfg)
		sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
		if err != nil {
			done <- serverOut{err: err, attempts: attempts}
			return
		}
		go ssh.DiscardRequests(reqs)
		go func() {
			for ch := range chans {
				_ = ch.Reject(ssh.Prohibited, "no channels in this test")
			}
		}()
		perms := sc.Permissions
		// Wait for the client to hang up before closing.
		_ = sc.Wait()
		done <- serverOut{perms: perms, attempts: attempts}
	}()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	cc.HostKeyCallback = ssh.FixedHostKey(host.PublicKey())
	c, chans, reqs, clientErr := ssh.NewClientConn(conn, ln.Addr().String(), cc)
	if clientErr == nil {
		go ssh.DiscardRequests(reqs)
		go func() {
			for ch := range chans {
				_ = ch.Reject(ssh.Prohibited, "")
			}
		}()
		c.Close()
	} else {
		conn.Close()
	}
	out := <-done
	return handshakeResult{perms: out.perms, serverErr: out.err, clientErr: clientErr, attempts: out.attempts}
}

// failingSigner offers a real public key but cannot sign: the client
// queries the key, then gives up on it.
type failingSigner struct{ ssh.Signer }

func (failingSigner) Sign(io.Reader, []byte) (*ssh.Signature, error) {
	return nil, errors.New("token removed")
}

func answers(a ...string) ssh.KeyboardInteractiveChallenge {
	return func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		if len(questions) != 1 || questions[0] != "Password: " || echos[0] {
			return nil, errors.New("unexpected prompt")
		}
		return a, nil
	}
}

func TestStatic_Handshake(t *testing.T) {
	alice1, alice2, stranger, bobKey := newSigner(t), newSigner(t), newSigner(t), newSigner(t)
	s, err := NewStatic(
		Account{Name: "alice", PasswordHash: mustHash(t, "alice-pw"),
			AuthorizedKeys: []ssh.PublicKey{alice1.PublicKey(), alice2.PublicKey()}},
		Account{Name: "bob", AuthorizedKeys: []ssh.PublicKey{bobKey.PublicKey()}}, // keys only
		Account{Name: "carol", PasswordHash: mustHash(t, "")},                     // password only (empty password)
	)
	if err != nil {
		t.Fatal(err)
	}
	fp := ssh.FingerprintSHA256
	tests := []struct {
		name       string
		user       string
		methods    []ssh.AuthMethod
		want       *Identity // nil: authentication must fail
		wantReason Reason    // reason of the last failed attempt, when want is nil
	}{
		{"AUTH-03 password ok", "alice", []ssh.AuthMethod{ssh.Password("alice-pw")},
			&Identity{User: "alice", Methods: []string{"password"}}, ""},
		{"password wrong", "alice", []ssh.AuthMethod{ssh.Password("nope")}, nil, ReasonBadCredentials},
		{"AUTH-03 key ok", "alice", []ssh.AuthMethod{ssh.PublicKeys(alice1)},
			&Identity{User: "alice", Methods: []string{"publickey"}, KeyFingerprint: fp(alice1.PublicKey())}, ""},
		{"key not authorized", "alice", []ssh.AuthMethod{ssh.PublicKeys(stranger)}, nil, ReasonBadCredentials},
		{"key of another account", "alice", []ssh.AuthMethod{ssh.PublicKeys(bobKey)}, nil, ReasonBadCredentials},
		{"identity is the key that signed (unauthorized key first)", "alice",
			[]ssh.AuthMethod{ssh.PublicKeys(stranger, alice2)},
			&Identity{User: "alice", Methods: []string{"publickey"}, KeyFingerprint: fp(alice2.PublicKey())}, ""},
		// CVE-2024-45337 class: alice1 is offered and accepted as a
		// candidate, never signed with; the login is by password and must
		// not carry alice1's fingerprint.
		{"offered but unsigned key never becomes the identity", "alice",
			[]ssh.AuthMethod{ssh.PublicKeys(failingSigner{alice1}), ssh.Password("alice-pw")},
			&Identity{User: "alice", Methods: []string{"password"}}, ""},
		{"offered but unsigned key alone fails", "alice",
			[]ssh.AuthMethod{ssh.PublicKeys(failingSigner{alice1})}, nil, ""},
		{"AUTH-08 keyboard-interactive ok", "alice", []ssh.AuthMethod{ssh.KeyboardInteractive(answers("alice-pw"))},
			&Identity{User: "alice", Methods: []string{"keyboard-interactive"}}, ""},
		{"keyboard-interactive wrong", "alice", []ssh.AuthMethod{ssh.KeyboardInteractive(answers("x"))}, nil, ReasonBadCredentials},
		{"unknown user, password", "mallory", []ssh.AuthMethod{ssh.Password("alice-pw")}, nil, ReasonUnknownUser},
		{"unknown user, key", "mallory", []ssh.AuthMethod{ssh.PublicKeys(alice1)}, nil, ReasonUnknownUser},
		{"unknown user, keyboard-interactive", "mallory", []ssh.AuthMethod{ssh.KeyboardInteractive(answers("x"))}, nil, ReasonUnknownUser},
		{"key-only account refuses password", "bob", []ssh.AuthMethod{ssh.Password("")}, nil, ReasonMethodNotAllowed},
		{"key-only account, key ok", "bob", []ssh.AuthMethod{ssh.PublicKeys(bobKey)},
			&Identity{User: "bob", Methods: []string{"publickey"}, KeyFingerprint: fp(bobKey.PublicKey())}, ""},
		{"password-only account refuses keys", "carol", []ssh.AuthMethod{ssh.PublicKeys(alice1)}, nil, ReasonMethodNotAllowed},
		{"hash of the empty password accepts it", "carol", []ssh.AuthMethod{ssh.Password("")},
			&Identity{User: "carol", Methods: []string{"password"}}, ""},
		{"user name is case-sensitive", "Alice", []ssh.AuthMethod{ssh.Password("alice-pw")}, nil, ReasonUnknownUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := handshake(t, s, &ssh.ClientConfig{User: tt.user, Auth: tt.methods})
			if tt.want == nil {
				if r.clientErr == nil || r.serverErr == nil {
					t.Fatalf("authentication succeeded (client err %v, server err %v)", r.clientErr, r.serverErr)
				}
				if tt.wantReason != "" {
					last := r.attempts[len(r.attempts)-1]
					if last.ok || last.reason != tt.wantReason {
						t.Errorf("last attempt %+v, want reason %s (all: %+v)", last, tt.wantReason, r.attempts)
					}
				}
				for _, a := range r.attempts {
					if a.ok {
						t.Errorf("an attempt succeeded: %+v", a)
					}
				}
				return
			}
			if r.clientErr != nil || r.serverErr != nil {
				t.Fatalf("authentication failed: client %v, server %v, attempts %+v", r.clientErr, r.serverErr, r.attempts)
			}
			id, err := FromPermissions(r.perms)
			if err != nil {
				t.Fatal(err)
			}
			if id.User != tt.want.User || !slices.Equal(id.Methods, tt.want.Methods) || id.KeyFingerprint != tt.want.KeyFingerprint {
				t.Errorf("identity = %+v, want %+v", id, tt.want)
			}
		})
	}
}

// fakeConn is the ssh.ConnMetadata of callbacks called directly.
type fakeConn struct{ user string }

func (c fakeConn) User() string           { return c.user }
func (fakeConn) SessionID() []byte        { return []byte("session") }
func (fakeConn) ClientVersion() []byte    { return []byte("SSH-2.0-test") }
func (fakeConn) ServerVersion() []byte    { return []byte("SSH-2.0-test") }
func (fakeConn) RemoteAddr() net.Addr     { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222} }
func (fakeConn) LocalAddr() net.Addr      { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22} }
func (fakeConn) Client() ssh.ConnMetadata { return nil }

func setupConfig(t *testing.T, s *Static) *ssh.ServerConfig {
	t.Helper()
	cfg := &ssh.ServerConfig{}
	if err := s.Setup(context.Background(), ConnInfo{}, cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.NoClientAuth {
		t.Fatal("Setup set NoClientAuth")
	}
	LockUsername(cfg)
	return cfg
}

// TestStatic_UsernameLocked checks that, with LockUsername applied after
// Setup, a second attempt under another name is refused even with that
// account's valid credential. The x/crypto client cannot change its user
// name between attempts, so the callbacks are driven directly.
func TestStatic_UsernameLocked(t *testing.T) {
	key := newSigner(t)
	s, err := NewStatic(
		Account{Name: "alice", PasswordHash: mustHash(t, "alice-pw")},
		Account{Name: "bob", PasswordHash: mustHash(t, "bob-pw"), AuthorizedKeys: []ssh.PublicKey{key.PublicKey()}},
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg := setupConfig(t, s)
	if _, err := cfg.PasswordCallback(fakeConn{"alice"}, []byte("wrong")); ReasonOf(err) != ReasonBadCredentials {
		t.Fatalf("first attempt: %v", err)
	}
	if _, err := cfg.PasswordCallback(fakeConn{"bob"}, []byte("bob-pw")); ReasonOf(err) != ReasonUsernameChanged {
		t.Errorf("password under a new name: err = %v, want %s", err, ReasonUsernameChanged)
	}
	if _, err := cfg.PublicKeyCallback(fakeConn{"bob"}, key.PublicKey()); ReasonOf(err) != ReasonUsernameChanged {
		t.Errorf("key under a new name: err = %v, want %s", err, ReasonUsernameChanged)
	}
	if _, err := cfg.VerifiedPublicKeyCallback(fakeConn{"bob"}, key.PublicKey(), &ssh.Permissions{}, ssh.KeyAlgoED25519); ReasonOf(err) != ReasonUsernameChanged {
		t.Errorf("verified key under a new name: err = %v, want %s", err, ReasonUsernameChanged)
	}
	if _, err := cfg.KeyboardInteractiveCallback(fakeConn{"bob"}, answers("bob-pw")); ReasonOf(err) != ReasonUsernameChanged {
		t.Errorf("keyboard-interactive under a new name: err = %v, want %s", err, ReasonUsernameChanged)
	}
	p, err := cfg.PasswordCallback(fakeConn{"alice"}, []byte("alice-pw"))
	if err != nil {
		t.Fatalf("first name still works: %v", err)
	}
	if id, err := FromPermissions(p); err != nil || id.User != "alice" {
		t.Errorf("identity %+v, %v", id, err)
	}
}

// TestStatic_PublicKeyCallbackDecidesNothing checks that a key that is only
// offered yields no identity: PublicKeyCallback returns empty permissions
// and only VerifiedPublicKeyCallback returns an Identity (AUTH-09).
func TestStatic_PublicKeyCallbackDecidesNothing(t *testing.T) {
	key, other := newSigner(t), newSigner(t)
	s, err := NewStatic(Account{Name: "alice", AuthorizedKeys: []ssh.PublicKey{key.PublicKey()}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := setupConfig(t, s)
	p, err := cfg.PublicKeyCallback(fakeConn{"alice"}, key.PublicKey())
	if err != nil || p == nil {
		t.Fatalf("authorized key refused: %v", err)
	}
	if _, err := FromPermissions(p); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("PublicKeyCallback returned an identity (err %v)", err)
	}
	if _, err := cfg.PublicKeyCallback(fakeConn{"alice"}, other.PublicKey()); ReasonOf(err) != ReasonBadCredentials {
		t.Errorf("unauthorized key: err = %v", err)
	}
	// Even if called for an unauthorized key, VerifiedPublicKeyCallback
	// re-checks and refuses.
	if _, err := cfg.VerifiedPublicKeyCallback(fakeConn{"alice"}, other.PublicKey(), &ssh.Permissions{}, ssh.KeyAlgoED25519); ReasonOf(err) != ReasonBadCredentials {
		t.Errorf("verified unauthorized key: err = %v", err)
	}
	vp, err := cfg.VerifiedPublicKeyCallback(fakeConn{"alice"}, key.PublicKey(), p, ssh.KeyAlgoED25519)
	if err != nil {
		t.Fatal(err)
	}
	id, err := FromPermissions(vp)
	if err != nil || id.KeyFingerprint != ssh.FingerprintSHA256(key.PublicKey()) {
		t.Errorf("identity %+v, %v", id, err)
	}
}

// TestStatic_UnknownUserSpendsHashWork checks that refusing an unknown
// user or an account without a password goes through a hash with the same
// cost parameters as a real one, so timing does not reveal which accounts
// exist. (Checked structurally: tests assert no timings.)
func TestStatic_UnknownUserSpendsHashWork(t *testing.T) {
	s, err := NewStatic(Account{Name: "alice", PasswordHash: mustHash(t, "alice-pw")})
	if err != nil {
		t.Fatal(err)
	}
	real := s.accounts["alice"].hash.(*argon2Hash)
	d, ok := s.dummy.(*argon2Hash)
	if !ok || d == nil || d.memory != real.memory || d.time != real.time || d.threads != real.threads || len(d.key) != len(real.key) {
		t.Fatalf("dummy hash %+v does not cost what a real hash %+v costs", d, real)
	}
	for _, user := range []string{"mallory", "alice"} {
		if _, err := s.password(user, []byte("guess"), MethodPassword); err == nil {
			t.Fatalf("%s: wrong password accepted", user)
		}
	}
}

// TestStatic_KeyboardInteractiveAnswerCount checks that only exactly one
// answer counts as the password (the x/crypto client cannot send another
// count, so the callback is driven directly).
func TestStatic_KeyboardInteractiveAnswerCount(t *testing.T) {
	s, err := NewStatic(Account{Name: "alice", PasswordHash: mustHash(t, "pw")})
	if err != nil {
		t.Fatal(err)
	}
	raw := func(a ...string) ssh.KeyboardInteractiveChallenge {
		return func(string, string, []string, []bool) ([]string, error) { return a, nil }
	}
	for _, a := range [][]string{nil, {"pw", "pw"}} {
		cfg := setupConfig(t, s)
		if _, err := cfg.KeyboardInteractiveCallback(fakeConn{"alice"}, raw(a...)); ReasonOf(err) != ReasonBadCredentials {
			t.Errorf("answers %q: err = %v, want %s", a, err, ReasonBadCredentials)
		}
	}
	cfg := setupConfig(t, s)
	if _, err := cfg.KeyboardInteractiveCallback(fakeConn{"alice"}, raw("pw")); err != nil {
		t.Errorf("one answer: %v", err)
	}
}

// TestStatic_ConcurrentHandshakes runs handshakes on one Static in
// parallel, for the race detector.
func TestStatic_ConcurrentHandshakes(t *testing.T) {
	key := newSigner(t)
	s, err := NewStatic(Account{Name: "alice", PasswordHash: mustHash(t, "pw"), AuthorizedKeys: []ssh.PublicKey{key.PublicKey()}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			auth := ssh.PublicKeys(key)
			if i%2 == 0 {
				auth = ssh.Password("pw")
			}
			r := handshake(t, s, &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{auth}})
			if r.clientErr != nil || r.serverErr != nil {
				t.Errorf("handshake: %v / %v", r.clientErr, r.serverErr)
			}
		})
	}
}

// TestStatic_AUTH12_EverySupportedHash: NewStatic accepts every hash form
// VerifyPassword checks (argon2id, bcrypt, SHA-crypt, PBKDF2), and login
// by password and by keyboard-interactive verifies it; the dummy work for
// unknown users stays argon2id whatever the accounts' schemes.
func TestStatic_AUTH12_EverySupportedHash(t *testing.T) {
	accounts := []struct{ name, hash, password string }{
		{"argon", mustHash(t, "argon-pw"), "argon-pw"},
		{"bcrypt", "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", "rasmuslerdorf"},
		{"sha256crypt", shaCryptVectors[0].want, shaCryptVectors[0].password},
		{"sha512crypt", shaCryptVectors[7].want, shaCryptVectors[7].password},
		{"pbkdf2sha256", pbkdf2Vectors[5].hash, pbkdf2Vectors[5].password},
		{"pbkdf2sha512", pbkdf2Vectors[4].hash, pbkdf2Vectors[4].password},
		{"pbkdf2sha1", pbkdf2Vectors[0].hash, pbkdf2Vectors[0].password},
	}
	var list []Account
	for _, a := range accounts {
		list = append(list, Account{Name: a.name, PasswordHash: a.hash})
	}
	s, err := NewStatic(list...)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.dummy.(*argon2Hash); !ok {
		t.Fatalf("dummy hash is %T, want argon2id", s.dummy)
	}
	kbd := func(pw string) ssh.AuthMethod {
		return ssh.KeyboardInteractive(func(_, _ string, q []string, _ []bool) ([]string, error) {
			if len(q) != 1 {
				return nil, errors.New("unexpected questions")
			}
			return []string{pw}, nil
		})
	}
	for _, a := range accounts {
		t.Run(a.name, func(t *testing.T) {
			for _, m := range []struct {
				name string
				auth func(string) ssh.AuthMethod
			}{{"password", ssh.Password}, {"keyboard-interactive", kbd}} {
				r := handshake(t, s, &ssh.ClientConfig{User: a.name, Auth: []ssh.AuthMethod{m.auth(a.password)}})
				if r.clientErr != nil || r.serverErr != nil {
					t.Errorf("%s, right password: %v / %v", m.name, r.clientErr, r.serverErr)
				}
				r = handshake(t, s, &ssh.ClientConfig{User: a.name, Auth: []ssh.AuthMethod{m.auth(a.password + "x")}})
				if r.clientErr == nil {
					t.Errorf("%s, wrong password accepted", m.name)
				}
			}
			if _, err := s.password(a.name, []byte(a.password), MethodPassword); err != nil {
				t.Errorf("password(right) = %v", err)
			}
			if _, err := s.password(a.name, []byte(""), MethodPassword); ReasonOf(err) != ReasonBadCredentials {
				t.Errorf("password(empty) = %v, want %s", err, ReasonBadCredentials)
			}
		})
	}
	if _, err := s.password("mallory", []byte("rasmuslerdorf"), MethodPassword); ReasonOf(err) != ReasonUnknownUser {
		t.Errorf("unknown user: %v", err)
	}
}

// TestNewStatic_AUTH12_InvalidLegacyHashes: a malformed or hostile hash of
// any scheme is refused when the Static is built, naming the account but
// not quoting the hash.
func TestNewStatic_AUTH12_InvalidLegacyHashes(t *testing.T) {
	for _, h := range []string{
		"$2a$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$5$rounds=999999999$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"$pbkdf2-sha256$4294967295$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ",
		"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$short",
		"$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1",
		"Hello world!",
	} {
		_, err := NewStatic(Account{Name: "alice", PasswordHash: h})
		if !errors.Is(err, ErrInvalidHash) || !strings.Contains(err.Error(), "alice") {
			t.Errorf("%.20s…: err = %v, want ErrInvalidHash naming alice", h, err)
		}
		if err != nil && strings.Contains(err.Error(), h[min(4, len(h)):]) {
			t.Errorf("error %q quotes the hash", err)
		}
	}
}
