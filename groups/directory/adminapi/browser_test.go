package adminapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups/directory"
	"github.com/sftpkit/sftpkit/groups/directory/adminapi"
)

// browser returns the path of a Chromium-family browser, skipping the test
// with a clear message where none is installed (CI installs chromium and
// sets CI, which turns the skip into a failure).
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium browser found: CI must install the chromium package")
	}
	t.Skip("no Chromium browser installed (apt-get install chromium): the browser test is skipped")
	return ""
}

// TestBrowser_AddUserAndKey drives the admin page in headless Chromium:
// log in as the owner, add a user with SFTP, add a key with a title, and
// see the SFTP licence count rise. With SFTPKIT_SCREENSHOT=FILE it saves a
// screenshot of the page (the README's).
func TestBrowser_AddUserAndKey(t *testing.T) {
	bin := browser(t)
	d := directory.New(directory.Options{})
	if _, _, err := d.CreateTenant(context.Background(), directory.NewTenant{Name: "demo", UserLicences: 10, SFTPLicences: 5,
		Module: directory.SFTPModule{Enabled: true}, OwnerEmail: ownerEmail, OwnerName: "Olive Owner", OwnerPassword: ownerPW}); err != nil {
		t.Fatal(err)
	}
	lockout, _ := auth.NewLockout(auth.LockoutOptions{})
	srv := httptest.NewServer(adminapi.NewSite(adminapi.Options{Directory: d, Lockout: lockout}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !regexp.MustCompile(`frame-ancestors 'none'`).MatchString(csp) ||
		regexp.MustCompile(`unsafe-inline`).MatchString(csp) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("security headers: %v", resp.Header)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	step := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, a); err != nil {
			t.Fatalf("browser, %s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("browser, text of %s: %v", sel, err)
		}
		return s
	}
	row := `tr[data-user="pat@example.com"]`
	step("open the page", chromedp.Navigate(srv.URL+"/"))
	step("the login form", chromedp.WaitVisible(`input[name="email"]`))
	step("email", chromedp.SendKeys(`input[name="email"]`, ownerEmail))
	step("password", chromedp.SendKeys(`input[name="password"]`, ownerPW))
	step("log in", chromedp.Submit(`input[name="password"]`))
	step("the page", chromedp.WaitVisible(`#licences`))
	before := text(`#sftp-used`)

	step("new user's email", chromedp.SendKeys(`#add-user input[name="email"]`, "pat@example.com"))
	step("new user's name", chromedp.SendKeys(`#add-user input[name="name"]`, "Pat Partner"))
	step("tick SFTP", chromedp.Click(`#add-user input[name="sftp"]`))
	step("new user's password", chromedp.SendKeys(`#add-user input[name="password"]`, userPW))
	step("add the user", chromedp.Click(`#add-user button[type="submit"]`))
	step("the user's row", chromedp.WaitVisible(row))
	loginID := text(row + ` td.login-id`)

	step("key title", chromedp.SendKeys(row+` form.add-key input[name="title"]`, "laptop"))
	step("key text", chromedp.SetValue(row+` form.add-key textarea[name="key"]`, pubKey(t)))
	step("add the key", chromedp.Click(row+` form.add-key button[type="submit"]`))
	step("the key listed", chromedp.WaitVisible(row+` li.key[data-key-title="laptop"]`))
	after := text(`#sftp-used`)
	if before != "0" || after != "1" {
		t.Fatalf("SFTP licences used went from %q to %q, want 0 to 1", before, after)
	}
	if !regexp.MustCompile(`^q[0-9]{7}$`).MatchString(loginID) {
		t.Fatalf("login ID shown %q", loginID)
	}
	if path := os.Getenv("SFTPKIT_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The key is in the directory, with its title.
	us, _ := d.Users(context.Background(), usersOwner(t, d))
	for _, u := range us {
		if u.Email == "pat@example.com" {
			ks, _ := d.Keys(context.Background(), u.ID, u.ID)
			if len(ks) != 1 || ks[0].Title != "laptop" {
				t.Fatalf("keys %v", ks)
			}
			return
		}
	}
	t.Fatal("pat was not created")
}

func usersOwner(t *testing.T, d *directory.Directory) string {
	u, err := d.WebLogin(context.Background(), ownerEmail, ownerPW)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
