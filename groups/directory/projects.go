package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// CreateProject creates a project folder; its creator becomes a member
// with PresetFull. Owner, administrators and Pro users may create them.
func (d *Directory) CreateProject(ctx context.Context, actor, name string) (Project, error) {
	var out Project
	err := d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		if !manager(a) && a.Class != ClassPro {
			return ErrForbidden
		}
		n := strings.TrimSpace(name)
		// The name is the mount point's name in SFTP sessions.
		if err := vpath.ValidName(n); err != nil || n == "" || len(n) > 255 {
			return ErrInvalid
		}
		ps, err := tx.Projects(t.ID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if strings.EqualFold(p.Name, n) {
				return ErrProjectExists
			}
		}
		out = Project{ID: d.newID(), Tenant: t.ID, Name: n, Created: d.now()}
		out.Storage = out.ID
		if err := tx.PutProject(out); err != nil {
			return err
		}
		return tx.PutMember(Member{Project: out.ID, User: a.ID, Preset: PresetFull})
	})
	return out, err
}

// Projects lists the projects the acting user may see: all of the tenant's
// for the owner and administrators, those they are a member of otherwise.
func (d *Directory) Projects(ctx context.Context, actor string) ([]Project, error) {
	var out []Project
	err := d.store.View(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		ps, err := tx.Projects(t.ID)
		if err != nil {
			return err
		}
		if manager(a) {
			out = ps
			return nil
		}
		ms, err := tx.Memberships(a.ID)
		if err != nil {
			return err
		}
		member := map[string]bool{}
		for _, m := range ms {
			member[m.Project] = true
		}
		for _, p := range ps {
			if member[p.ID] {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// SetMember gives a user a preset on a project (PresetNone removes the
// membership). The owner, administrators and the project's members with
// PresetFull ("Full and manage") may do it. Contacts cannot be members.
func (d *Directory) SetMember(ctx context.Context, actor, project, user string, preset Preset) error {
	if !preset.Valid() {
		return ErrInvalid
	}
	return d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		p, err := tenantProject(tx, t, project)
		if err != nil {
			return err
		}
		if !manager(a) {
			ms, err := tx.Members(p.ID)
			if err != nil {
				return err
			}
			full := false
			for _, m := range ms {
				full = full || (m.User == a.ID && m.Preset == PresetFull)
			}
			if !full {
				return ErrForbidden
			}
		}
		u, err := d.target(tx, t, user)
		if err != nil {
			return err
		}
		if u.IsContact() {
			return ErrInvalid
		}
		return tx.PutMember(Member{Project: p.ID, User: u.ID, Preset: preset})
	})
}

// Members lists a project's members, for those who may see the project.
func (d *Directory) Members(ctx context.Context, actor, project string) ([]Member, error) {
	var out []Member
	err := d.store.View(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		p, err := tenantProject(tx, t, project)
		if err != nil {
			return err
		}
		ms, err := tx.Members(p.ID)
		if err != nil {
			return err
		}
		if !manager(a) {
			in := false
			for _, m := range ms {
				in = in || m.User == a.ID
			}
			if !in {
				return ErrNotFound
			}
		}
		out = ms
		return nil
	})
	return out, err
}

// tenantProject loads a project of tenant t; other tenants' projects do
// not exist for t's users.
func tenantProject(tx Tx, t Tenant, id string) (Project, error) {
	p, err := tx.Project(id)
	if err == nil && p.Tenant != t.ID {
		err = ErrNotFound
	}
	return p, err
}

// Share is a project shared with a user, with the user's preset.
type Share struct {
	Project Project
	Preset  Preset
}

// SharedWith returns the projects shared with a user (preset other than
// none), by project name: what the user's "Projects Shared With Me" holds
// (QLOCK-02). It is for building SFTP sessions: no acting user is checked.
func (d *Directory) SharedWith(ctx context.Context, user string) ([]Share, error) {
	var out []Share
	err := d.store.View(ctx, func(tx Tx) error {
		ms, err := tx.Memberships(user)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Preset == PresetNone {
				continue
			}
			p, err := tx.Project(m.Project)
			if err != nil {
				return err
			}
			out = append(out, Share{Project: p, Preset: m.Preset})
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Share) int {
		return strings.Compare(strings.ToLower(a.Project.Name), strings.ToLower(b.Project.Name))
	})
	return out, err
}
