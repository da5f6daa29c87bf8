package adminapi_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/groups/directory"
	"github.com/sftpkit/sftpkit/groups/directory/adminapi"
	"github.com/sftpkit/sftpkit/internal/opensshtest"
	"github.com/sftpkit/sftpkit/perms"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

// Users and keys made through the API log in with OpenSSH's sftp: the
// returned login ID and password, not the email; a key added through the
// API logs in until it is PATCHed to disabled.
func TestAPI_EndToEnd_OpenSSH(t *testing.T) {
	opensshtest.NeedSFTP(t)
	d := directory.New(directory.Options{})
	if _, _, err := d.CreateTenant(context.Background(), directory.NewTenant{Name: "demo", UserLicences: 10, SFTPLicences: 5,
		Module: directory.SFTPModule{Enabled: true}, OwnerEmail: ownerEmail, OwnerPassword: ownerPW}); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(adminapi.New(adminapi.Options{Directory: d}))
	defer api.Close()
	e := &env{t: t, srv: api}

	authn, err := d.Authenticator()
	if err != nil {
		t.Fatal(err)
	}
	st := directory.Storage{Root: t.TempDir()}
	srv := &sftpserver.Server{
		Auth: authn,
		FS: sftpserver.FileSystemFunc(func(ctx context.Context, s sftpserver.SessionInfo) (afero.Fs, error) {
			return d.SessionFS(ctx, s.Identity.Value.(*directory.Account), st)
		}),
		Policy: func(ctx context.Context, s sftpserver.SessionInfo) (*perms.Policy, error) {
			return d.SessionPolicy(ctx, s.Identity.Value.(*directory.Account), s.Identity.User)
		},
	}
	ts := sftptest.NewServer(t, srv)
	c := opensshtest.New(t)
	c.AddHost(t, ts.Addr, ts.HostKey)

	u := e.must(201, owner, "POST", "/users", map[string]any{"email": "pat@example.com", "name": "Pat", "class": "pro", "sftp": true, "password": userPW})
	id, login := u["id"].(string), u["login_id"].(string)
	pw := func(user string) opensshtest.Login {
		return opensshtest.Login{User: user, Addr: ts.Addr, Preferred: "password,keyboard-interactive", Password: userPW}
	}
	key := opensshtest.Login{User: login, Addr: ts.Addr, Preferred: "publickey", Key: true}

	c.Run(t, pw(login), "mkdir inbox\nls\n").MustSucceed(t, "login ID and password")
	c.Run(t, pw("pat@example.com"), "pwd\n").MustFail(t, "the email")
	c.Run(t, key, "pwd\n").MustFail(t, "a key not yet added")

	k := e.must(201, owner, "POST", "/users/"+id+"/ssh-keys", map[string]any{"title": "laptop",
		"key": strings.TrimSpace(string(ssh.MarshalAuthorizedKey(c.PublicKey)))})
	c.Run(t, key, "pwd\n").MustSucceed(t, "the key added through the API")
	e.must(200, owner, "PATCH", "/ssh-keys/"+k["id"].(string), map[string]any{"status": "disabled"})
	c.Run(t, key, "pwd\n").MustFail(t, "the key PATCHed to disabled")
	c.Run(t, pw(login), "pwd\n").MustSucceed(t, "the password still")
}
