package directory

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go

	"github.com/sftpkit/sftpkit/keys"
)

// SQLStore is a Store on database/sql, with the SQLite driver of
// modernc.org/sqlite (pure Go, no cgo) as the embedded default
// (OpenSQLite). The SQL is kept portable — plain types (TEXT, INTEGER,
// BIGINT), "?" placeholders, no upserts or vendor functions — so that a
// PostgreSQL backend can share it.
//
// Every Update is one database transaction; writers are serialised by the
// database (SQLite: BEGIN IMMEDIATE), which makes licence counting exact.
// Times are stored as Unix nanoseconds in UTC, 0 for the zero time.
type SQLStore struct {
	db   *sql.DB
	now  func() time.Time
	keys *sqlKeys
}

var _ Store = (*SQLStore)(nil)

// migrations are applied in order; schema_version holds how many ran.
var migrations = []string{
	`CREATE TABLE tenants (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		module_enabled INTEGER NOT NULL,
		trial_ends_at BIGINT NOT NULL,
		user_licences INTEGER NOT NULL,
		sftp_licences INTEGER NOT NULL,
		dedicated_endpoint TEXT NOT NULL,
		created BIGINT NOT NULL
	);
	CREATE TABLE users (
		id TEXT PRIMARY KEY,
		tenant TEXT NOT NULL REFERENCES tenants(id),
		kind TEXT NOT NULL,
		email TEXT NOT NULL,
		email_norm TEXT NOT NULL,
		name TEXT NOT NULL,
		class TEXT NOT NULL,
		is_owner INTEGER NOT NULL,
		is_admin INTEGER NOT NULL,
		billing INTEGER NOT NULL,
		status TEXT NOT NULL,
		sftp INTEGER NOT NULL,
		lock_sftp_home INTEGER NOT NULL,
		login_id TEXT,
		custom_login TEXT,
		password_hash TEXT NOT NULL,
		created_by TEXT NOT NULL,
		created BIGINT NOT NULL,
		modified BIGINT NOT NULL,
		UNIQUE (tenant, email_norm)
	);
	CREATE UNIQUE INDEX users_login_id ON users (login_id);
	CREATE UNIQUE INDEX users_custom_login ON users (tenant, custom_login);
	CREATE TABLE tombstones (
		tenant TEXT NOT NULL,
		email_norm TEXT NOT NULL,
		login_id TEXT NOT NULL,
		PRIMARY KEY (tenant, email_norm)
	);
	CREATE INDEX tombstones_login_id ON tombstones (login_id);
	CREATE TABLE projects (
		id TEXT PRIMARY KEY,
		tenant TEXT NOT NULL REFERENCES tenants(id),
		name TEXT NOT NULL,
		storage TEXT NOT NULL,
		created BIGINT NOT NULL
	);
	CREATE TABLE members (
		project TEXT NOT NULL REFERENCES projects(id),
		user_id TEXT NOT NULL,
		preset TEXT NOT NULL,
		PRIMARY KEY (project, user_id)
	);
	CREATE INDEX members_user ON members (user_id);
	CREATE TABLE ssh_keys (
		id TEXT PRIMARY KEY,
		owner TEXT NOT NULL,
		title TEXT NOT NULL,
		fingerprint TEXT NOT NULL,
		algorithm TEXT NOT NULL,
		wire TEXT NOT NULL,
		created BIGINT NOT NULL,
		modified BIGINT NOT NULL,
		expires BIGINT NOT NULL,
		status TEXT NOT NULL,
		last_used BIGINT NOT NULL,
		source_cidrs TEXT NOT NULL,
		UNIQUE (owner, fingerprint)
	);`,
}

// OpenSQLite opens (creating it if needed) the SQLite database at path
// and brings its schema up to date. now is the key store's clock (nil:
// time.Now). Close it when done.
func OpenSQLite(ctx context.Context, path string, now func() time.Time) (*SQLStore, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("directory: open %s: %w", path, err)
	}
	s, err := NewSQLStore(ctx, db, now)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("directory: %s: %w", path, err)
	}
	return s, nil
}

// NewSQLStore uses db, whose write transactions the database must
// serialise, and applies the migrations it lacks.
func NewSQLStore(ctx context.Context, db *sql.DB, now func() time.Time) (*SQLStore, error) {
	if now == nil {
		now = time.Now
	}
	s := &SQLStore{db: db, now: now}
	s.keys = &sqlKeys{s: s}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *SQLStore) Close() error { return s.db.Close() }

// Keys implements Store.
func (s *SQLStore) Keys() keys.Store { return s.keys }

func (s *SQLStore) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	var v int
	switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
	case err != nil:
		return fmt.Errorf("schema: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program's %d", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		for _, stmt := range strings.Split(migrations[i], ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	return tx.Commit()
}

// Update implements Store.
func (s *SQLStore) Update(ctx context.Context, fn func(Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(sqlTx{ctx: ctx, tx: tx}); err != nil {
		return err
	}
	return tx.Commit()
}

// View implements Store.
func (s *SQLStore) View(ctx context.Context, fn func(Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(sqlTx{ctx: ctx, tx: tx})
}

// querier is what sqlTx and the key store run statements on.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type sqlTx struct {
	ctx context.Context
	tx  querier
}

func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nullable stores "" as NULL (unique indexes allow many NULLs).
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const tenantCols = `id, name, module_enabled, trial_ends_at, user_licences, sftp_licences, dedicated_endpoint, created`

func scanTenant(sc interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	var enabled int
	var trial, created int64
	err := sc.Scan(&t.ID, &t.Name, &enabled, &trial, &t.UserLicences, &t.SFTPLicences, &t.DedicatedEndpoint, &created)
	t.Module = SFTPModule{Enabled: enabled != 0, TrialEndsAt: fromNS(trial)}
	t.Created = fromNS(created)
	return t, notFound(err)
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func (t sqlTx) Tenant(id string) (Tenant, error) {
	return scanTenant(t.tx.QueryRowContext(t.ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = ?`, id))
}

func (t sqlTx) Tenants() ([]Tenant, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY created, id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTenant)
}

func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t sqlTx) PutTenant(v Tenant) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE tenants SET name = ?, module_enabled = ?, trial_ends_at = ?, user_licences = ?,
		sftp_licences = ?, dedicated_endpoint = ?, created = ? WHERE id = ?`,
		v.Name, b2i(v.Module.Enabled), ns(v.Module.TrialEndsAt), v.UserLicences, v.SFTPLicences, v.DedicatedEndpoint, ns(v.Created), v.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.Name, b2i(v.Module.Enabled), ns(v.Module.TrialEndsAt), v.UserLicences, v.SFTPLicences, v.DedicatedEndpoint, ns(v.Created))
	return err
}

func (t sqlTx) CountUsers(tenant string) (users, sftp int, err error) {
	err = t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*), COALESCE(SUM(sftp), 0) FROM users WHERE tenant = ? AND kind = ?`,
		tenant, string(KindUser)).Scan(&users, &sftp)
	return users, sftp, err
}

const userCols = `id, tenant, kind, email, name, class, is_owner, is_admin, billing, status, sftp, lock_sftp_home,
	login_id, custom_login, password_hash, created_by, created, modified`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var owner, admin, billing, sftp, lock int
	var login, custom sql.NullString
	var created, modified int64
	err := sc.Scan(&u.ID, &u.Tenant, &u.Kind, &u.Email, &u.Name, &u.Class, &owner, &admin, &billing, &u.Status, &sftp, &lock,
		&login, &custom, &u.PasswordHash, &u.CreatedBy, &created, &modified)
	u.Owner, u.Admin, u.Billing, u.SFTP, u.LockSFTPHome = owner != 0, admin != 0, billing != 0, sftp != 0, lock != 0
	u.LoginID, u.CustomLogin = login.String, custom.String
	u.Created, u.Modified = fromNS(created), fromNS(modified)
	return u, notFound(err)
}

func (t sqlTx) userWhere(where string, args ...any) (User, error) {
	return scanUser(t.tx.QueryRowContext(t.ctx, `SELECT `+userCols+` FROM users WHERE `+where, args...))
}

func (t sqlTx) User(id string) (User, error) { return t.userWhere(`id = ?`, id) }

func (t sqlTx) UserByEmail(tenant, email string) (User, error) {
	return t.userWhere(`tenant = ? AND email_norm = ?`, tenant, normEmail(email))
}

func (t sqlTx) UserByLoginID(id string) (User, error) {
	if id == "" {
		return User{}, ErrNotFound
	}
	return t.userWhere(`login_id = ?`, id)
}

func (t sqlTx) UserByCustomLogin(tenant, login string) (User, error) {
	if login == "" {
		return User{}, ErrNotFound
	}
	return t.userWhere(`tenant = ? AND custom_login = ?`, tenant, login)
}

func (t sqlTx) Users(tenant string) ([]User, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+userCols+` FROM users WHERE tenant = ? ORDER BY created, id`, tenant)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanUser)
}

func (t sqlTx) PutUser(u User) error {
	args := []any{u.Tenant, string(u.Kind), u.Email, normEmail(u.Email), u.Name, string(u.Class), b2i(u.Owner), b2i(u.Admin),
		b2i(u.Billing), string(u.Status), b2i(u.SFTP), b2i(u.LockSFTPHome), nullable(u.LoginID), nullable(u.CustomLogin),
		u.PasswordHash, u.CreatedBy, ns(u.Created), ns(u.Modified), u.ID}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE users SET tenant = ?, kind = ?, email = ?, email_norm = ?, name = ?, class = ?,
		is_owner = ?, is_admin = ?, billing = ?, status = ?, sftp = ?, lock_sftp_home = ?, login_id = ?, custom_login = ?,
		password_hash = ?, created_by = ?, created = ?, modified = ? WHERE id = ?`, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO users (tenant, kind, email, email_norm, name, class, is_owner, is_admin,
		billing, status, sftp, lock_sftp_home, login_id, custom_login, password_hash, created_by, created, modified, id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	return err
}

func (t sqlTx) DeleteUser(id string) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM members WHERE user_id = ?`, id); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (t sqlTx) LoginIDUsed(id string) (bool, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT (SELECT COUNT(*) FROM users WHERE login_id = ?) +
		(SELECT COUNT(*) FROM tombstones WHERE login_id = ?)`, id, id).Scan(&n)
	return n > 0, err
}

func (t sqlTx) Tombstone(tenant, email string) (Tombstone, error) {
	ts := Tombstone{Tenant: tenant, Email: normEmail(email)}
	err := t.tx.QueryRowContext(t.ctx, `SELECT login_id FROM tombstones WHERE tenant = ? AND email_norm = ?`,
		tenant, ts.Email).Scan(&ts.LoginID)
	return ts, notFound(err)
}

func (t sqlTx) PutTombstone(v Tombstone) error {
	e := normEmail(v.Email)
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM tombstones WHERE tenant = ? AND email_norm = ?`, v.Tenant, e); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO tombstones (tenant, email_norm, login_id) VALUES (?, ?, ?)`, v.Tenant, e, v.LoginID)
	return err
}

const projectCols = `id, tenant, name, storage, created`

func scanProject(sc interface{ Scan(...any) error }) (Project, error) {
	var p Project
	var created int64
	err := sc.Scan(&p.ID, &p.Tenant, &p.Name, &p.Storage, &created)
	p.Created = fromNS(created)
	return p, notFound(err)
}

func (t sqlTx) Project(id string) (Project, error) {
	return scanProject(t.tx.QueryRowContext(t.ctx, `SELECT `+projectCols+` FROM projects WHERE id = ?`, id))
}

func (t sqlTx) Projects(tenant string) ([]Project, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+projectCols+` FROM projects WHERE tenant = ? ORDER BY created, id`, tenant)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProject)
}

func (t sqlTx) PutProject(p Project) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE projects SET tenant = ?, name = ?, storage = ?, created = ? WHERE id = ?`,
		p.Tenant, p.Name, p.Storage, ns(p.Created), p.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO projects (`+projectCols+`) VALUES (?, ?, ?, ?, ?)`,
		p.ID, p.Tenant, p.Name, p.Storage, ns(p.Created))
	return err
}

func scanMember(sc interface{ Scan(...any) error }) (Member, error) {
	var m Member
	err := sc.Scan(&m.Project, &m.User, &m.Preset)
	return m, err
}

func (t sqlTx) Members(project string) ([]Member, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT project, user_id, preset FROM members WHERE project = ? ORDER BY user_id`, project)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanMember)
}

func (t sqlTx) Memberships(user string) ([]Member, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT project, user_id, preset FROM members WHERE user_id = ? ORDER BY project`, user)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanMember)
}

func (t sqlTx) PutMember(m Member) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM members WHERE project = ? AND user_id = ?`, m.Project, m.User); err != nil {
		return err
	}
	if m.Preset == PresetNone {
		return nil
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO members (project, user_id, preset) VALUES (?, ?, ?)`, m.Project, m.User, string(m.Preset))
	return err
}

func (t sqlTx) DeleteKeys(owner string) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM ssh_keys WHERE owner = ?`, owner)
	return err
}

// sqlKeys is the keys.Store of an SQLStore: the same rules as
// keys.MemoryStore (Key.Validated, Update.Apply), without notifications.
type sqlKeys struct{ s *SQLStore }

const keyCols = `id, title, fingerprint, algorithm, wire, created, modified, expires, status, last_used, source_cidrs`

func scanKey(sc interface{ Scan(...any) error }) (keys.Key, error) {
	var k keys.Key
	var wire, cidrs string
	var created, modified, expires, used int64
	if err := sc.Scan(&k.ID, &k.Title, &k.Fingerprint, &k.Algorithm, &wire, &created, &modified, &expires, &k.Status, &used, &cidrs); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return keys.Key{}, keys.ErrKeyNotFound
		}
		return keys.Key{}, err
	}
	b, err := base64.StdEncoding.DecodeString(wire)
	if err != nil {
		return keys.Key{}, fmt.Errorf("directory: stored key %s: %w", k.ID, err)
	}
	if k.PublicKey, err = ssh.ParsePublicKey(b); err != nil {
		return keys.Key{}, fmt.Errorf("directory: stored key %s: %w", k.ID, err)
	}
	k.Created, k.Modified, k.ExpiresAt, k.LastUsed = fromNS(created), fromNS(modified), fromNS(expires), fromNS(used)
	for _, c := range strings.Fields(cidrs) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return keys.Key{}, fmt.Errorf("directory: stored key %s: %w", k.ID, err)
		}
		k.SourceCIDRs = append(k.SourceCIDRs, p)
	}
	return k, nil
}

func cidrText(ps []netip.Prefix) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

func (k *sqlKeys) Add(ctx context.Context, owner string, key keys.Key) (keys.Key, error) {
	if owner == "" {
		return keys.Key{}, keys.ErrInvalidOwner
	}
	now := k.s.now()
	v, err := key.Validated(now)
	if err != nil {
		return keys.Key{}, err
	}
	v.ID, v.Created, v.Modified = uuid.NewString(), now.Round(0), now.Round(0)
	err = k.s.Update(ctx, func(tx Tx) error {
		q := tx.(sqlTx)
		var n int
		if err := q.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ssh_keys WHERE owner = ? AND fingerprint = ?`, owner, v.Fingerprint).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return keys.ErrKeyExists
		}
		_, err := q.tx.ExecContext(ctx, `INSERT INTO ssh_keys (owner, `+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			owner, v.ID, v.Title, v.Fingerprint, v.Algorithm, base64.StdEncoding.EncodeToString(v.PublicKey.Marshal()),
			ns(v.Created), ns(v.Modified), ns(v.ExpiresAt), string(v.Status), int64(0), cidrText(v.SourceCIDRs))
		return err
	})
	if err != nil {
		return keys.Key{}, err
	}
	return k.Get(ctx, owner, v.ID)
}

func (k *sqlKeys) Get(ctx context.Context, owner, id string) (keys.Key, error) {
	return scanKey(k.s.db.QueryRowContext(ctx, `SELECT `+keyCols+` FROM ssh_keys WHERE owner = ? AND id = ?`, owner, id))
}

func (k *sqlKeys) List(ctx context.Context, owner string) ([]keys.Key, error) {
	rows, err := k.s.db.QueryContext(ctx, `SELECT `+keyCols+` FROM ssh_keys WHERE owner = ? ORDER BY created, id`, owner)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanKey)
}

func (k *sqlKeys) Update(ctx context.Context, owner, id string, u keys.Update) (keys.Key, error) {
	var out keys.Key
	err := k.s.Update(ctx, func(tx Tx) error {
		q := tx.(sqlTx)
		cur, err := scanKey(q.tx.QueryRowContext(ctx, `SELECT `+keyCols+` FROM ssh_keys WHERE owner = ? AND id = ?`, owner, id))
		now := k.s.now()
		if err != nil {
			if _, _, aerr := u.Apply(keys.Key{}, now); aerr != nil {
				return aerr // a malformed update is reported as such
			}
			return err
		}
		if out, _, err = u.Apply(cur, now); err != nil {
			return err
		}
		_, err = q.tx.ExecContext(ctx, `UPDATE ssh_keys SET title = ?, status = ?, expires = ?, modified = ? WHERE owner = ? AND id = ?`,
			out.Title, string(out.Status), ns(out.ExpiresAt), ns(out.Modified), owner, id)
		return err
	})
	if err != nil {
		return keys.Key{}, err
	}
	return k.Get(ctx, owner, id)
}

func (k *sqlKeys) Delete(ctx context.Context, owner, id string) error {
	res, err := k.s.db.ExecContext(ctx, `DELETE FROM ssh_keys WHERE owner = ? AND id = ?`, owner, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return keys.ErrKeyNotFound
	}
	return nil
}

func (k *sqlKeys) Touch(ctx context.Context, owner, id string, at time.Time) error {
	res, err := k.s.db.ExecContext(ctx, `UPDATE ssh_keys SET last_used = ? WHERE owner = ? AND id = ? AND last_used < ?`,
		ns(at), owner, id, ns(at))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := k.Get(ctx, owner, id); err != nil {
			return err
		}
	}
	return nil
}

func (k *sqlKeys) Find(ctx context.Context, owner string, pub ssh.PublicKey) (keys.Key, error) {
	if pub == nil {
		return keys.Key{}, keys.ErrKeyNotFound
	}
	return scanKey(k.s.db.QueryRowContext(ctx, `SELECT `+keyCols+` FROM ssh_keys WHERE owner = ? AND fingerprint = ?`,
		owner, ssh.FingerprintSHA256(pub)))
}
