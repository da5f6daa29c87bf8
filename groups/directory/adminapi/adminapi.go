// Package adminapi is the JSON administration API of a directory as an
// http.Handler, to mount under "/api/v1/" (SPEC §18–§22, the admin issue's
// contract). Callers authenticate with HTTP Basic using the web login of
// the product modelled — a user's email and password, never the SFTP login
// ID — and every call runs as that user, so the directory's capability
// matrix applies to the caller. Failed logins go through an auth.Lockout.
//
// Requests are JSON, decoded strictly (unknown fields, trailing data and
// bodies over MaxBody are refused); times are RFC 3339. An error is
// {"error": "<code>", "message": "…"} with status 400 (invalid), 401, 403,
// 404 or 409 (a licence exhausted, a login, email, key or project taken).
// Passwords never appear in a response.
//
// Routes:
//
//	GET    /api/v1/tenant                     PATCH /api/v1/tenant {"sftp_licences": N}
//	GET    /api/v1/users                      POST  /api/v1/users
//	GET    /api/v1/users/{id}                 PATCH, DELETE /api/v1/users/{id}
//	GET    /api/v1/users/{id}/ssh-keys        POST  /api/v1/users/{id}/ssh-keys
//	PATCH  /api/v1/ssh-keys/{id}              DELETE /api/v1/ssh-keys/{id}
//	GET    /api/v1/projects                   POST  /api/v1/projects
//	PUT    /api/v1/projects/{id}/members/{user_id}
//	GET    /api/v1/events?limit=N
package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups/directory"
	"github.com/sftpkit/sftpkit/keys"
)

// DefaultMaxBody is the default request body limit.
const DefaultMaxBody = 64 << 10

// Options configures the handler.
type Options struct {
	// Directory is the directory administered. Required.
	Directory *directory.Directory
	// Lockout counts failed logins; nil means none.
	Lockout *auth.Lockout
	// Events is the log GET /events reads and admin changes are added
	// to; nil means a new EventLog of DefaultEventLogSize.
	Events *EventLog
	// MaxBody caps request bodies; 0 means DefaultMaxBody.
	MaxBody int64
	// Logger receives internal errors; nil discards.
	Logger *slog.Logger
	// Now is the clock of the events; nil means time.Now.
	Now func() time.Time
}

type handler struct {
	opt      Options
	mux      *http.ServeMux
	sessions *sessions // the web page's, with NewSite
}

// New returns the API handler. Mount it so that it sees the full path
// ("/api/v1/…").
func New(opt Options) http.Handler {
	if opt.Directory == nil {
		panic("adminapi: Options.Directory is nil")
	}
	if opt.Events == nil {
		opt.Events = NewEventLog(DefaultEventLogSize)
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = DefaultMaxBody
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	h := &handler{opt: opt, mux: http.NewServeMux()}
	routes := map[string]func(context.Context, *request) (int, any, error){
		"GET /api/v1/tenant":                          h.getTenant,
		"PATCH /api/v1/tenant":                        h.patchTenant,
		"GET /api/v1/users":                           h.listUsers,
		"POST /api/v1/users":                          h.createUser,
		"GET /api/v1/users/{id}":                      h.getUser,
		"PATCH /api/v1/users/{id}":                    h.patchUser,
		"DELETE /api/v1/users/{id}":                   h.deleteUser,
		"GET /api/v1/users/{id}/ssh-keys":             h.listKeys,
		"POST /api/v1/users/{id}/ssh-keys":            h.addKey,
		"PATCH /api/v1/ssh-keys/{id}":                 h.patchKey,
		"DELETE /api/v1/ssh-keys/{id}":                h.deleteKey,
		"GET /api/v1/projects":                        h.listProjects,
		"POST /api/v1/projects":                       h.createProject,
		"PUT /api/v1/projects/{id}/members/{user_id}": h.putMember,
		"GET /api/v1/events":                          h.listEvents,
	}
	for pattern, fn := range routes {
		h.mux.Handle(pattern, h.wrap(fn))
	}
	h.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route")
	})
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// request is one authenticated call.
type request struct {
	*http.Request
	w     http.ResponseWriter
	actor directory.User
	h     *handler
}

// decode reads the JSON body strictly into v.
func (r *request) decode(v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(r.w, r.Body, r.h.opt.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes", mbe.Limit)}
		}
		return &apiError{http.StatusBadRequest, "invalid", "malformed JSON: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &apiError{http.StatusBadRequest, "invalid", "trailing data after the JSON value"}
	}
	return nil
}

// apiError is an error with its HTTP status and code.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}

// wrap authenticates the caller and turns fn's result into a response.
func (h *handler) wrap(fn func(context.Context, *request) (int, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, ok := h.authenticate(w, r)
		if !ok {
			return
		}
		status, body, err := fn(r.Context(), &request{Request: r, w: w, actor: actor, h: h})
		if err != nil {
			e := h.classify(err)
			if e.status == http.StatusInternalServerError {
				h.opt.Logger.Error("adminapi: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, e.status, e.code, e.message)
			return
		}
		writeJSON(w, status, body)
	})
}

// authenticate checks HTTP Basic credentials (email, password) through the
// lockout, or the web page's session (see NewSite), answering 401 itself
// when neither holds.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request) (directory.User, bool) {
	email, password, basic := r.BasicAuth()
	if basic {
		if u, ok := h.checkLogin(r, email, password); ok {
			return u, true
		}
	} else if u, ok := h.sessionActor(r); ok {
		return u, true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="sftpkit admin", charset="UTF-8"`)
	writeError(w, http.StatusUnauthorized, "unauthorized", "log in with your email and password")
	return directory.User{}, false
}

func remoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// classify maps the directory's and keys' errors to the contract's.
func (h *handler) classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	table := []struct {
		target error
		status int
		code   string
	}{
		{directory.ErrOwnerImmutable, http.StatusForbidden, "owner_immutable"},
		{directory.ErrForbidden, http.StatusForbidden, "forbidden"},
		{keys.ErrForbidden, http.StatusForbidden, "forbidden"},
		{directory.ErrNotFound, http.StatusNotFound, "not_found"},
		{keys.ErrKeyNotFound, http.StatusNotFound, "not_found"},
		{directory.ErrNoSFTPLicence, http.StatusConflict, "no_sftp_licence"},
		{directory.ErrNoUserLicence, http.StatusConflict, "no_user_licence"},
		{directory.ErrLoginTaken, http.StatusConflict, "login_taken"},
		{directory.ErrEmailInUse, http.StatusConflict, "email_in_use"},
		{directory.ErrProjectExists, http.StatusConflict, "project_exists"},
		{keys.ErrKeyExists, http.StatusConflict, "key_exists"},
		{keys.ErrKeyImmutable, http.StatusBadRequest, "key_immutable"},
		{keys.ErrExpiryInPast, http.StatusBadRequest, "expiry_in_past"},
		{keys.ErrInvalidKey, http.StatusBadRequest, "invalid_key"},
		{keys.ErrPrivateKey, http.StatusBadRequest, "invalid_key"},
		{keys.ErrKeyTypeNotAllowed, http.StatusBadRequest, "key_type_not_allowed"},
		{keys.ErrInvalidTitle, http.StatusBadRequest, "invalid_title"},
		{keys.ErrInvalidStatus, http.StatusBadRequest, "invalid"},
		{directory.ErrSFTPModuleDisabled, http.StatusBadRequest, "sftp_module_disabled"},
		{directory.ErrCapacityBelowUsage, http.StatusBadRequest, "capacity_below_usage"},
		{directory.ErrContactsCannotUseSFTP, http.StatusBadRequest, "contacts_cannot_use_sftp"},
		{directory.ErrCustomLoginUnavailable, http.StatusBadRequest, "custom_login_unavailable"},
		{directory.ErrInvalidLogin, http.StatusBadRequest, "invalid_login"},
		{directory.ErrAdminRequiresPro, http.StatusBadRequest, "admin_requires_pro"},
		{directory.ErrBillingNotAllowed, http.StatusBadRequest, "billing_not_allowed"},
		{directory.ErrInvalid, http.StatusBadRequest, "invalid"},
	}
	for _, t := range table {
		if errors.Is(err, t.target) {
			return &apiError{t.status, t.code, err.Error()}
		}
	}
	return &apiError{http.StatusInternalServerError, "internal", "internal error"}
}

// The JSON shapes of the contract.

type licencesJSON struct {
	Capacity int `json:"capacity"`
	Used     int `json:"used"`
}

type tenantJSON struct {
	Name       string `json:"name"`
	SFTPModule struct {
		Enabled     bool       `json:"enabled"`
		TrialEndsAt *time.Time `json:"trial_ends_at"`
	} `json:"sftp_module"`
	UserLicences licencesJSON `json:"user_licences"`
	SFTPLicences licencesJSON `json:"sftp_licences"`
}

type userJSON struct {
	ID           string `json:"id"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	Class        string `json:"class"`
	Owner        bool   `json:"owner"`
	Admin        bool   `json:"admin"`
	SFTP         bool   `json:"sftp"`
	LoginID      string `json:"login_id"`
	CustomLogin  string `json:"custom_login"`
	LockSFTPHome bool   `json:"lock_sftp_home"`
	Status       string `json:"status"`
}

type keyJSON struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Fingerprint string     `json:"fingerprint"`
	Algorithm   string     `json:"algorithm"`
	Created     time.Time  `json:"created"`
	Modified    time.Time  `json:"modified"`
	Expires     *time.Time `json:"expires"`
	Status      string     `json:"status"`
	LastUsed    *time.Time `json:"last_used"`
}

type projectJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func toTenant(i directory.TenantInfo, now time.Time) tenantJSON {
	var t tenantJSON
	t.Name = i.Name
	t.SFTPModule.Enabled = i.Module.Active(now)
	t.SFTPModule.TrialEndsAt = timePtr(i.Module.TrialEndsAt)
	t.UserLicences = licencesJSON(i.Users)
	t.SFTPLicences = licencesJSON(i.SFTP)
	return t
}

func toUser(u directory.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Class: string(u.Class), Owner: u.Owner, Admin: u.Admin, SFTP: u.SFTP,
		LoginID: u.LoginID, CustomLogin: u.CustomLogin, LockSFTPHome: u.LockSFTPHome, Status: string(u.Status)}
}

func toKey(k keys.Key) keyJSON {
	return keyJSON{ID: k.ID, Title: k.Title, Fingerprint: k.Fingerprint, Algorithm: k.Algorithm, Created: k.Created.UTC(),
		Modified: k.Modified.UTC(), Expires: timePtr(k.ExpiresAt), Status: string(k.Status), LastUsed: timePtr(k.LastUsed)}
}

func (h *handler) note(r *request, typ, detail string) {
	h.opt.Events.Add(Event{Time: h.opt.Now(), Type: typ, User: r.actor.Email, Detail: detail})
}

func (h *handler) getTenant(ctx context.Context, r *request) (int, any, error) {
	i, err := h.opt.Directory.Tenant(ctx, r.actor.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toTenant(i, h.opt.Now()), nil
}

func (h *handler) patchTenant(ctx context.Context, r *request) (int, any, error) {
	var body struct {
		SFTPLicences *int `json:"sftp_licences"`
	}
	if err := r.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.SFTPLicences == nil {
		return 0, nil, &apiError{http.StatusBadRequest, "invalid", "sftp_licences is required"}
	}
	i, err := h.opt.Directory.SetLicences(ctx, r.actor.ID, nil, body.SFTPLicences)
	if err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.tenant.licences", fmt.Sprintf("SFTP licences set to %d", *body.SFTPLicences))
	return http.StatusOK, toTenant(i, h.opt.Now()), nil
}

func (h *handler) listUsers(ctx context.Context, r *request) (int, any, error) {
	us, err := h.opt.Directory.Users(ctx, r.actor.ID)
	if err != nil {
		return 0, nil, err
	}
	out := []userJSON{}
	for _, u := range us {
		if !u.IsContact() {
			out = append(out, toUser(u))
		}
	}
	return http.StatusOK, out, nil
}

func (h *handler) createUser(ctx context.Context, r *request) (int, any, error) {
	var body struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Class    string `json:"class"`
		Admin    bool   `json:"admin"`
		SFTP     bool   `json:"sftp"`
		Password string `json:"password"`
	}
	if err := r.decode(&body); err != nil {
		return 0, nil, err
	}
	if err := checkClass(body.Class); err != nil {
		return 0, nil, err
	}
	u, err := h.opt.Directory.CreateUser(ctx, r.actor.ID, directory.NewUser{Email: body.Email, Name: body.Name,
		Class: directory.Class(body.Class), Admin: body.Admin, SFTP: body.SFTP, Password: body.Password})
	if err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.user.created", u.Email)
	return http.StatusCreated, toUser(u), nil
}

// checkClass accepts the classes of the contract ("" means pro).
func checkClass(c string) error {
	switch c {
	case "", "pro", "associate", "jailed":
		return nil
	}
	return &apiError{http.StatusBadRequest, "invalid", `class must be "pro", "associate" or "jailed"`}
}

func (h *handler) getUser(ctx context.Context, r *request) (int, any, error) {
	u, err := h.opt.Directory.User(ctx, r.actor.ID, r.PathValue("id"))
	if err != nil || u.IsContact() {
		return 0, nil, directory.ErrNotFound
	}
	return http.StatusOK, toUser(u), nil
}

func (h *handler) patchUser(ctx context.Context, r *request) (int, any, error) {
	var body struct {
		Name         *string `json:"name"`
		Class        *string `json:"class"`
		Admin        *bool   `json:"admin"`
		SFTP         *bool   `json:"sftp"`
		LockSFTPHome *bool   `json:"lock_sftp_home"`
		CustomLogin  *string `json:"custom_login"`
		Password     *string `json:"password"`
		Status       *string `json:"status"`
	}
	if err := r.decode(&body); err != nil {
		return 0, nil, err
	}
	up := directory.UserUpdate{Name: body.Name, Admin: body.Admin, SFTP: body.SFTP, LockSFTPHome: body.LockSFTPHome,
		CustomLogin: body.CustomLogin, Password: body.Password}
	if body.Class != nil {
		if err := checkClass(*body.Class); err != nil {
			return 0, nil, err
		}
		c := directory.Class(*body.Class)
		up.Class = &c
	}
	if body.Status != nil {
		s := directory.Status(*body.Status)
		up.Status = &s
	}
	u, err := h.opt.Directory.UpdateUser(ctx, r.actor.ID, r.PathValue("id"), up)
	if err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.user.updated", u.Email)
	return http.StatusOK, toUser(u), nil
}

func (h *handler) deleteUser(ctx context.Context, r *request) (int, any, error) {
	id := r.PathValue("id")
	if err := h.opt.Directory.DeleteUser(ctx, r.actor.ID, id); err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.user.deleted", id)
	return http.StatusNoContent, nil, nil
}

func (h *handler) listKeys(ctx context.Context, r *request) (int, any, error) {
	ks, err := h.opt.Directory.Keys(ctx, r.actor.ID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := []keyJSON{}
	for _, k := range ks {
		out = append(out, toKey(k))
	}
	return http.StatusOK, out, nil
}

func (h *handler) addKey(ctx context.Context, r *request) (int, any, error) {
	var body struct {
		Title   string     `json:"title"`
		Key     string     `json:"key"`
		Expires *time.Time `json:"expires"`
	}
	if err := r.decode(&body); err != nil {
		return 0, nil, err
	}
	var exp time.Time
	if body.Expires != nil {
		exp = *body.Expires
	}
	k, err := h.opt.Directory.AddKey(ctx, r.actor.ID, r.PathValue("id"), body.Title, body.Key, exp)
	if err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.key.added", k.Title+" "+k.Fingerprint)
	return http.StatusCreated, toKey(k), nil
}

func (h *handler) patchKey(ctx context.Context, r *request) (int, any, error) {
	var body struct {
		Title   *string    `json:"title"`
		Status  *string    `json:"status"`
		Expires *time.Time `json:"expires"`
		Key     *string    `json:"key"` // refused: key material never changes
	}
	if err := r.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.Key != nil {
		return 0, nil, keys.ErrKeyImmutable
	}
	owner, _, err := h.opt.Directory.FindKey(ctx, r.actor.ID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	up := keys.Update{Title: body.Title, ExpiresAt: body.Expires}
	if body.Status != nil {
		s := keys.Status(*body.Status)
		up.Status = &s
	}
	k, err := h.opt.Directory.UpdateKey(ctx, r.actor.ID, owner, r.PathValue("id"), up)
	if err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.key.updated", k.Title+" "+string(k.Status))
	return http.StatusOK, toKey(k), nil
}

func (h *handler) deleteKey(ctx context.Context, r *request) (int, any, error) {
	owner, k, err := h.opt.Directory.FindKey(ctx, r.actor.ID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if err := h.opt.Directory.DeleteKey(ctx, r.actor.ID, owner, k.ID); err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.key.deleted", k.Title+" "+k.Fingerprint)
	return http.StatusNoContent, nil, nil
}

func (h *handler) listProjects(ctx context.Context, r *request) (int, any, error) {
	ps, err := h.opt.Directory.Projects(ctx, r.actor.ID)
	if err != nil {
		return 0, nil, err
	}
	out := []projectJSON{}
	for _, p := range ps {
		out = append(out, projectJSON{ID: p.ID, Name: p.Name})
	}
	return http.StatusOK, out, nil
}

func (h *handler) createProject(ctx context.Context, r *request) (int, any, error) {
	var body struct {
		Name string `json:"name"`
	}
	if err := r.decode(&body); err != nil {
		return 0, nil, err
	}
	p, err := h.opt.Directory.CreateProject(ctx, r.actor.ID, body.Name)
	if err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.project.created", p.Name)
	return http.StatusCreated, projectJSON{ID: p.ID, Name: p.Name}, nil
}

func (h *handler) putMember(ctx context.Context, r *request) (int, any, error) {
	var body struct {
		Preset string `json:"preset"`
	}
	if err := r.decode(&body); err != nil {
		return 0, nil, err
	}
	p, u := r.PathValue("id"), r.PathValue("user_id")
	if err := h.opt.Directory.SetMember(ctx, r.actor.ID, p, u, directory.Preset(body.Preset)); err != nil {
		return 0, nil, err
	}
	h.note(r, "admin.project.member", fmt.Sprintf("%s %s %s", p, u, body.Preset))
	return http.StatusOK, map[string]string{"project": p, "user": u, "preset": body.Preset}, nil
}

func (h *handler) listEvents(ctx context.Context, r *request) (int, any, error) {
	if !r.actor.Owner && !r.actor.Admin {
		return 0, nil, directory.ErrForbidden
	}
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return 0, nil, &apiError{http.StatusBadRequest, "invalid", "limit must be 1 to 1000"}
		}
		limit = n
	}
	return http.StatusOK, h.opt.Events.Latest(limit), nil
}
