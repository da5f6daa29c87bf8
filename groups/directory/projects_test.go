package directory

import (
	"errors"
	"testing"
)

// Projects: who creates them, who shares them, what a member sees
// (Appendix A presets; QLOCK-02 lists exactly the shares, none hidden).
func TestProjects(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	pro := f.user(t, "pro@acme.example", NewUser{})
	j := f.user(t, "j@acme.example", NewUser{Class: ClassJailed})
	other := f.user(t, "o@acme.example", NewUser{})
	if _, err := f.d.CreateProject(ctx, j.ID, "Nope"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("jailed creating: %v", err)
	}
	for _, bad := range []string{"", "a/b", "..", "x\x00"} {
		if _, err := f.d.CreateProject(ctx, pro.ID, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	beta, err := f.d.CreateProject(ctx, pro.ID, "Beta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.CreateProject(ctx, f.owner.ID, "beta"); !errors.Is(err, ErrProjectExists) {
		t.Fatalf("duplicate: %v", err)
	}
	alpha, _ := f.d.CreateProject(ctx, f.owner.ID, "alpha")
	gamma, _ := f.d.CreateProject(ctx, f.owner.ID, "Gamma")

	// The creator (PresetFull) shares Beta; a plain member cannot.
	if err := f.d.SetMember(ctx, pro.ID, beta.ID, j.ID, PresetReadWrite); err != nil {
		t.Fatal(err)
	}
	if err := f.d.SetMember(ctx, j.ID, beta.ID, other.ID, PresetFull); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member without Full sharing: %v", err)
	}
	if err := f.d.SetMember(ctx, pro.ID, alpha.ID, j.ID, PresetList); !errors.Is(err, ErrForbidden) {
		t.Fatalf("non-member sharing: %v", err)
	}
	f.d.SetMember(ctx, f.owner.ID, alpha.ID, j.ID, PresetListRead)
	f.d.SetMember(ctx, f.owner.ID, gamma.ID, j.ID, PresetList)
	f.d.SetMember(ctx, f.owner.ID, gamma.ID, j.ID, PresetNone) // removed again
	if err := f.d.SetMember(ctx, f.owner.ID, gamma.ID, j.ID, "write-only"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad preset: %v", err)
	}

	shares, err := f.d.SharedWith(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(shares) != 2 || shares[0].Project.Name != "alpha" || shares[0].Preset != PresetListRead ||
		shares[1].Project.Name != "Beta" || shares[1].Preset != PresetReadWrite {
		t.Fatalf("shares %+v", shares)
	}
	ps, _ := f.d.Projects(ctx, j.ID)
	if len(ps) != 2 {
		t.Fatalf("jailed sees %d projects", len(ps))
	}
	if ps, _ := f.d.Projects(ctx, f.owner.ID); len(ps) != 3 {
		t.Fatalf("owner sees %d projects", len(ps))
	}
	if _, err := f.d.Members(ctx, other.ID, beta.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("non-member listing members: %v", err)
	}
	// Deleting a user removes its memberships.
	if err := f.d.DeleteUser(ctx, f.owner.ID, j.ID); err != nil {
		t.Fatal(err)
	}
	if ms, _ := f.d.Members(ctx, f.owner.ID, beta.ID); len(ms) != 1 {
		t.Fatalf("members after delete: %+v", ms)
	}
}
