package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// adminCall makes an API call as the owner and decodes the answer.
func adminCall(t *testing.T, addr, user, pw, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, "http://"+addr+"/api/v1"+path, bytes.NewReader(b))
	req.SetBasicAuth(user, pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// -admin: the first start creates the demo tenant and prints the owner's
// password once; users the API enables for SFTP log in beside the
// single-account user; everything survives a restart (ROOT/directory.db).
func TestRun_Admin(t *testing.T) {
	dir := t.TempDir()
	o := options{listen: listFlag{freeAddr(t)}, data: filepath.Join(dir, "data"), root: filepath.Join(dir, "root"),
		user: "demo", password: "demo password 1", single: true, admin: freeAddr(t), adminOwner: "owner@example.com"}
	out, stop := start(t, o)
	waitHTTP(t, o.admin)
	m := regexp.MustCompile(`admin owner owner@example.com, password \(shown once\): (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no owner password printed:\n%s", out)
	}
	ownerPW := m[1]
	code, ten := adminCall(t, o.admin, "owner@example.com", ownerPW, "GET", "/tenant", nil)
	if code != 200 || ten["name"] != "demo" || ten["user_licences"].(map[string]any)["capacity"] != 10.0 ||
		ten["sftp_licences"].(map[string]any)["capacity"] != 5.0 {
		t.Fatalf("tenant %d %v", code, ten)
	}
	code, u := adminCall(t, o.admin, "owner@example.com", ownerPW, "POST", "/users",
		map[string]any{"email": "pat@example.com", "name": "Pat", "class": "pro", "sftp": true, "password": "Pat-Pass-2026!"})
	if code != 201 {
		t.Fatalf("create user %d %v", code, u)
	}
	login := u["login_id"].(string)
	if _, err := dial(t, o.listen[0], login, ssh.Password("Pat-Pass-2026!")); err != nil {
		t.Fatalf("directory user over SFTP: %v", err)
	}
	if _, err := dial(t, o.listen[0], "demo", ssh.Password("demo password 1")); err != nil {
		t.Fatalf("the single account beside it: %v", err)
	}
	if _, err := dial(t, o.listen[0], "pat@example.com", ssh.Password("Pat-Pass-2026!")); err == nil {
		t.Fatal("the email logged in")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	out, _ = start(t, o)
	waitHTTP(t, o.admin)
	if regexp.MustCompile(`admin owner`).MatchString(out.String()) {
		t.Fatal("a restart created the tenant again")
	}
	if code, _ := adminCall(t, o.admin, "owner@example.com", ownerPW, "GET", "/users/"+u["id"].(string), nil); code != 200 {
		t.Fatalf("after a restart the user is gone: %d", code)
	}
	if _, err := dial(t, o.listen[0], login, ssh.Password("Pat-Pass-2026!")); err != nil {
		t.Fatalf("directory user after a restart: %v", err)
	}
}

func waitHTTP(t *testing.T, addr string) {
	t.Helper()
	for range 200 {
		if resp, err := http.Get("http://" + addr + "/login"); err == nil {
			resp.Body.Close()
			return
		}
		sleep()
	}
	t.Fatal("admin server did not start")
}

func sleep() { time.Sleep(20 * time.Millisecond) }
