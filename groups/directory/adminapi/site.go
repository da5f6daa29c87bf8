package adminapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups/directory"
	"github.com/sftpkit/sftpkit/keys"
)

//go:embed web
var webFS embed.FS

var pages = template.Must(template.ParseFS(webFS, "web/*.html"))

// SessionTTL is how long an idle web session lasts.
const SessionTTL = 12 * time.Hour

// sessionCookie names the web session cookie.
const sessionCookie = "sftpkit_admin"

// contentSecurityPolicy allows the page's own script and style only: no
// inline script, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// session is a logged-in browser.
type session struct {
	user    string // user ID
	csrf    string
	expires time.Time
}

// sessions are the web sessions, in memory.
type sessions struct {
	mu  sync.Mutex
	m   map[string]*session
	now func() time.Time
}

func token() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(user string) (string, *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.m { // drop expired ones
		if now.After(v.expires) {
			delete(s.m, k)
		}
	}
	t := token()
	ss := &session{user: user, csrf: token(), expires: now.Add(SessionTTL)}
	s.m[t] = ss
	return t, ss
}

// get returns the live session of r's cookie and extends it.
func (s *sessions) get(r *http.Request) (*session, string) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[c.Value]
	if ss == nil || s.now().After(ss.expires) {
		delete(s.m, c.Value)
		return nil, ""
	}
	ss.expires = s.now().Add(SessionTTL)
	return ss, c.Value
}

func (s *sessions) drop(t string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, t)
}

// NewSite returns the API (under /api/v1/) and the administration web page
// (at /, with /login, /logout and /static/) as one handler sharing the
// browser sessions: the page logs in with the email and password into a
// session cookie (HttpOnly, SameSite=Strict), and makes every change
// through the API, which accepts that cookie when the request carries the
// session's CSRF token in X-CSRF-Token. Responses carry a CSP without
// inline script, frame-ancestors 'none' and nosniff.
func NewSite(opt Options) http.Handler {
	api := New(opt).(*handler)
	s := &site{api: api, sessions: &sessions{m: map[string]*session{}, now: api.opt.Now}}
	api.sessions = s.sessions
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api)
	static, _ := fs.Sub(webFS, "web/static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /{$}", s.page)
	s.mux = mux
	return s
}

type site struct {
	api      *handler
	sessions *sessions
	mux      *http.ServeMux
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

func (s *site) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pages.ExecuteTemplate(w, "login.html", map[string]bool{"Failed": r.URL.Query().Has("failed")})
}

func (s *site) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.api.opt.MaxBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	u, ok := s.api.checkLogin(r, r.PostForm.Get("email"), r.PostForm.Get("password"))
	if !ok {
		http.Redirect(w, r, "/login?failed", http.StatusSeeOther)
		return
	}
	t, _ := s.sessions.create(u.ID)
	s.api.opt.Events.Add(Event{Time: s.api.opt.Now(), Type: "admin.login", User: u.Email})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: t, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionTTL / time.Second)})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *site) logout(w http.ResponseWriter, r *http.Request) {
	if ss, t := s.sessions.get(r); ss != nil {
		r.ParseForm()
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(ss.csrf)) != 1 {
			http.Error(w, "bad CSRF token", http.StatusForbidden)
			return
		}
		s.sessions.drop(t)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// userRow is a user as the page shows it.
type userRow struct {
	User    directory.User
	CanKeys bool
	Keys    []keys.Key
}

type memberRow struct {
	Email  string
	Preset directory.Preset
}

type projectRow struct {
	Project directory.Project
	Members []memberRow
}

func (s *site) page(w http.ResponseWriter, r *http.Request) {
	ss, _ := s.sessions.get(r)
	if ss == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	d := s.api.opt.Directory
	me, err := d.User(ctx, ss.user, ss.user)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	data, err := s.pageData(ctx, me)
	if err != nil {
		s.api.opt.Logger.Error("adminapi: page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	data["CSRF"] = ss.csrf
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, "page.html", data); err != nil {
		s.api.opt.Logger.Error("adminapi: page template", "err", err)
	}
}

func (s *site) pageData(ctx context.Context, me directory.User) (map[string]any, error) {
	d := s.api.opt.Directory
	info, err := d.Tenant(ctx, me.ID)
	if err != nil {
		return nil, err
	}
	users, err := d.Users(ctx, me.ID)
	if err != nil {
		return nil, err
	}
	manager := me.Owner || me.Admin
	var rows []userRow
	emails := map[string]string{}
	for _, u := range users {
		if u.IsContact() {
			continue
		}
		emails[u.ID] = u.Email
		row := userRow{User: u}
		if ks, err := d.Keys(ctx, me.ID, u.ID); err == nil {
			row.CanKeys, row.Keys = true, ks
		}
		rows = append(rows, row)
	}
	ps, err := d.Projects(ctx, me.ID)
	if err != nil {
		return nil, err
	}
	var prows []projectRow
	for _, p := range ps {
		row := projectRow{Project: p}
		if ms, err := d.Members(ctx, me.ID, p.ID); err == nil {
			for _, m := range ms {
				row.Members = append(row.Members, memberRow{Email: emails[m.User], Preset: m.Preset})
			}
		}
		prows = append(prows, row)
	}
	var events []Event
	if manager {
		events = s.api.opt.Events.Latest(20)
	}
	return map[string]any{
		"Tenant": info.Tenant, "Users": info.Users, "SFTP": info.SFTP, "ModuleActive": info.Module.Active(s.api.opt.Now()),
		"Me": me, "Manager": manager, "UserRows": rows, "ProjectRows": prows, "Events": events,
		"CanCreateProjects": manager || me.Class == directory.ClassPro,
	}, nil
}

// sessionActor authenticates an API call by the page's session cookie:
// any method but GET needs the session's CSRF token in X-CSRF-Token.
func (h *handler) sessionActor(r *http.Request) (directory.User, bool) {
	if h.sessions == nil {
		return directory.User{}, false
	}
	ss, _ := h.sessions.get(r)
	if ss == nil {
		return directory.User{}, false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead &&
		subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(ss.csrf)) != 1 {
		return directory.User{}, false
	}
	u, err := h.opt.Directory.User(r.Context(), ss.user, ss.user)
	if err != nil || u.Status != directory.StatusActive {
		return directory.User{}, false
	}
	return u, true
}

// checkLogin checks an email and password through the lockout, recording
// refusals in the event log.
func (h *handler) checkLogin(r *http.Request, email, password string) (directory.User, bool) {
	if email == "" {
		return directory.User{}, false
	}
	account := strings.ToLower(email)
	src := remoteIP(r)
	if l := h.opt.Lockout; l != nil {
		if err := l.Check(r.Context(), account, src); err != nil {
			h.opt.Events.Add(Event{Time: h.opt.Now(), Type: "admin.login.rejected", User: email, Reason: string(auth.ReasonOf(err))})
			return directory.User{}, false
		}
	}
	u, err := h.opt.Directory.WebLogin(r.Context(), email, password)
	if err != nil {
		if l := h.opt.Lockout; l != nil {
			l.Failure(r.Context(), account, src)
		}
		h.opt.Events.Add(Event{Time: h.opt.Now(), Type: "admin.login.rejected", User: email, Reason: string(auth.ReasonBadCredentials)})
		return directory.User{}, false
	}
	if l := h.opt.Lockout; l != nil {
		l.Success(r.Context(), account, src)
	}
	return u, true
}
