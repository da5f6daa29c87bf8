package adminapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups/directory"
	"github.com/sftpkit/sftpkit/groups/directory/adminapi"
)

const (
	ownerEmail = "owner@example.com"
	ownerPW    = "Owner-Pass-2026!"
	userPW     = "User-Pass-2026!"
)

type env struct {
	t   *testing.T
	srv *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := directory.New(directory.Options{})
	if _, _, err := d.CreateTenant(context.Background(), directory.NewTenant{Name: "demo", UserLicences: 10, SFTPLicences: 2,
		Module: directory.SFTPModule{Enabled: true}, OwnerEmail: ownerEmail, OwnerPassword: ownerPW}); err != nil {
		t.Fatal(err)
	}
	lockout, err := auth.NewLockout(auth.LockoutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(adminapi.New(adminapi.Options{Directory: d, Lockout: lockout, MaxBody: 4096}))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv}
}

// call makes a request as email:password and decodes the JSON answer.
func (e *env) call(as, method, path string, body any) (int, map[string]any, []any, string) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+"/api/v1"+path, rd)
	if as != "" {
		user, pw, _ := strings.Cut(as, ":")
		req.SetBasicAuth(user, pw)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	var arr []any
	json.Unmarshal(raw, &obj)
	json.Unmarshal(raw, &arr)
	return resp.StatusCode, obj, arr, string(raw)
}

func (e *env) must(want int, as, method, path string, body any) map[string]any {
	e.t.Helper()
	code, obj, _, raw := e.call(as, method, path, body)
	if code != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, code, raw, want)
	}
	return obj
}

func pubKey(t *testing.T) string {
	pub, _, _ := ed25519.GenerateKey(nil)
	sp, _ := ssh.NewPublicKey(pub)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

var owner = ownerEmail + ":" + ownerPW

func TestAPI_Contract(t *testing.T) {
	e := newEnv(t)
	// Authentication: Basic with the email; the SFTP login ID is not a web login.
	if code, obj, _, _ := e.call("", "GET", "/tenant", nil); code != 401 || obj["error"] != "unauthorized" {
		t.Fatalf("no credentials: %d %v", code, obj)
	}
	if code, _, _, _ := e.call(ownerEmail+":wrong", "GET", "/tenant", nil); code != 401 {
		t.Fatalf("wrong password: %d", code)
	}
	ten := e.must(200, owner, "GET", "/tenant", nil)
	if ten["name"] != "demo" || ten["sftp_licences"].(map[string]any)["capacity"] != 2.0 || ten["sftp_module"].(map[string]any)["enabled"] != true {
		t.Fatalf("tenant %v", ten)
	}
	e.must(200, owner, "PATCH", "/tenant", map[string]any{"sftp_licences": 3})

	// Users.
	u := e.must(201, owner, "POST", "/users", map[string]any{"email": "u1@example.com", "name": "U One", "class": "pro", "admin": false, "sftp": true, "password": userPW})
	id, login := u["id"].(string), u["login_id"].(string)
	if len(login) != 8 || login[0] != 'q' || u["status"] != "active" || u["sftp"] != true {
		t.Fatalf("user %v", u)
	}
	if _, _, _, raw := e.call(owner, "GET", "/users/"+id, nil); strings.Contains(raw, userPW) || strings.Contains(raw, "argon2") {
		t.Fatal("a response carries the password or its hash")
	}
	if code, _, _, _ := e.call(login+":"+userPW, "GET", "/users", nil); code != 401 {
		t.Fatalf("login ID as web login: %d", code)
	}
	if code, obj, _, _ := e.call("u1@example.com:"+userPW, "POST", "/users", map[string]any{"email": "v@example.com", "class": "pro"}); code != 403 || obj["error"] != "forbidden" {
		t.Fatalf("Pro adding a user: %d %v", code, obj)
	}
	e.must(200, owner, "PATCH", "/users/"+id, map[string]any{"name": "Una", "lock_sftp_home": true})
	if _, _, arr, _ := e.call(owner, "GET", "/users", nil); len(arr) != 2 {
		t.Fatalf("users %v", arr)
	}
	// Errors: strict JSON, unknown fields, classes, licences, conflicts.
	for _, c := range []struct {
		body any
		code int
		err  string
	}{
		{`{"email": "x@example.com", "bogus": 1}`, 400, "invalid"},
		{`{"email": "x@example.com"} {}`, 400, "invalid"},
		{`not json`, 400, "invalid"},
		{map[string]any{"email": "x@example.com", "class": "wizard"}, 400, "invalid"},
		{map[string]any{"email": "u1@example.com"}, 409, "email_in_use"},
		{`{"email": "` + strings.Repeat("a", 5000) + `@example.com"}`, 413, "too_large"},
	} {
		code, obj, _, raw := e.call(owner, "POST", "/users", c.body)
		if code != c.code || obj["error"] != c.err || obj["message"] == "" {
			t.Errorf("%v: %d %s, want %d %s", c.body, code, raw, c.code, c.err)
		}
	}
	e.must(201, owner, "POST", "/users", map[string]any{"email": "u2@example.com", "sftp": true, "password": userPW})
	e.must(201, owner, "POST", "/users", map[string]any{"email": "u3@example.com", "sftp": true, "password": userPW})
	if code, obj, _, _ := e.call(owner, "POST", "/users", map[string]any{"email": "u4@example.com", "sftp": true}); code != 409 || obj["error"] != "no_sftp_licence" {
		t.Fatalf("licences exhausted: %d %v", code, obj)
	}
	// Capability over HTTP: an admin demoting the owner.
	e.must(201, owner, "POST", "/users", map[string]any{"email": "adm@example.com", "admin": true, "password": userPW})
	_, _, all, _ := e.call(owner, "GET", "/users", nil)
	var ownerID string
	for _, x := range all {
		if m := x.(map[string]any); m["email"] == ownerEmail {
			ownerID = m["id"].(string)
		}
	}
	if code, _, _, _ := e.call("adm@example.com:"+userPW, "PATCH", "/users/"+ownerID, map[string]any{"admin": false}); code != 403 {
		t.Fatalf("admin demoting the owner: %d", code)
	}
	if code, _, _, _ := e.call(owner, "GET", "/users/nope", nil); code != 404 {
		t.Fatalf("unknown user: %d", code)
	}

	// Keys.
	key := pubKey(t)
	if code, obj, _, _ := e.call(owner, "POST", "/users/"+id+"/ssh-keys", map[string]any{"title": "old", "key": key, "expires": "2020-01-01T00:00:00Z"}); code != 400 || obj["error"] != "expiry_in_past" {
		t.Fatalf("past expiry: %d %v", code, obj)
	}
	k := e.must(201, owner, "POST", "/users/"+id+"/ssh-keys", map[string]any{"title": "laptop", "key": key})
	kid := k["id"].(string)
	if k["status"] != "active" || !strings.HasPrefix(k["fingerprint"].(string), "SHA256:") || k["expires"] != nil || k["algorithm"] != "ssh-ed25519" {
		t.Fatalf("key %v", k)
	}
	if code, obj, _, _ := e.call(owner, "POST", "/users/"+id+"/ssh-keys", map[string]any{"title": "again", "key": key}); code != 409 || obj["error"] != "key_exists" {
		t.Fatalf("duplicate key: %d %v", code, obj)
	}
	if code, obj, _, _ := e.call(owner, "PATCH", "/ssh-keys/"+kid, map[string]any{"key": pubKey(t)}); code != 400 || obj["error"] != "key_immutable" {
		t.Fatalf("key change: %d %v", code, obj)
	}
	if k := e.must(200, owner, "PATCH", "/ssh-keys/"+kid, map[string]any{"status": "disabled", "title": "old laptop"}); k["status"] != "disabled" || k["title"] != "old laptop" {
		t.Fatalf("patched key %v", k)
	}
	if _, _, arr, _ := e.call("u1@example.com:"+userPW, "GET", "/users/"+id+"/ssh-keys", nil); len(arr) != 1 {
		t.Fatalf("own keys %v", arr)
	}
	e.must(204, owner, "DELETE", "/ssh-keys/"+kid, nil)
	if code, _, _, _ := e.call(owner, "DELETE", "/ssh-keys/"+kid, nil); code != 404 {
		t.Fatalf("deleted key: %d", code)
	}

	// Projects and members.
	p := e.must(201, owner, "POST", "/projects", map[string]any{"name": "p1"})
	pid := p["id"].(string)
	if m := e.must(200, owner, "PUT", "/projects/"+pid+"/members/"+id, map[string]any{"preset": "read_write"}); m["preset"] != "read_write" {
		t.Fatalf("member %v", m)
	}
	if code, _, _, _ := e.call(owner, "PUT", "/projects/"+pid+"/members/"+id, map[string]any{"preset": "everything"}); code != 400 {
		t.Fatalf("bad preset: %d", code)
	}
	if _, _, arr, _ := e.call("u1@example.com:"+userPW, "GET", "/projects", nil); len(arr) != 1 {
		t.Fatalf("member's projects %v", arr)
	}

	// Events: newest first, admin changes and failed logins included.
	_, _, evs, raw := e.call(owner, "GET", "/events?limit=100", nil)
	if len(evs) == 0 || !strings.Contains(raw, "admin.login.rejected") || !strings.Contains(raw, "admin.user.created") {
		t.Fatalf("events %s", raw)
	}
	if first := evs[0].(map[string]any); first["type"] != "admin.project.member" {
		t.Fatalf("newest event %v", first)
	}
	if code, _, _, _ := e.call("u1@example.com:"+userPW, "GET", "/events", nil); code != 403 {
		t.Fatalf("Pro reading events: %d", code)
	}
	e.must(204, owner, "DELETE", "/users/"+id, nil)
	if code, _, _, _ := e.call(owner, "GET", "/nope", nil); code != 404 {
		t.Fatalf("unknown route: %d", code)
	}
}

// Failed logins go through the lockout: after five, even the right
// password is refused for a while.
func TestAPI_Lockout(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		e.call(ownerEmail+":wrong", "GET", "/tenant", nil)
	}
	if code, _, _, _ := e.call(owner, "GET", "/tenant", nil); code != 401 {
		t.Fatalf("after 5 failures the right password got %d", code)
	}
}
