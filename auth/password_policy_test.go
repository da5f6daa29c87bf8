package auth

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// rules returns the sentinel errors of err's violations, in order.
func rules(t *testing.T, err error) []error {
	t.Helper()
	if err == nil {
		return nil
	}
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *PolicyError", err)
	}
	var out []error
	for _, v := range pe.Violations {
		out = append(out, v.Rule)
	}
	return out
}

// policyHash hashes pw for a history.
func policyHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestPasswordPolicy_PWD01_Order: every broken rule is reported, in the
// order length, whitespace, maximum length, strength, composition,
// history; the first is the primary error; errors.Is matches each.
func TestPasswordPolicy_PWD01_Order(t *testing.T) {
	hist := []string{policyHash(t, " qz ")}
	tests := []struct {
		name   string
		policy PasswordPolicy
		pw     string
		want   []error
	}{
		{"all pass", PasswordPolicy{MinLength: 4, Require: RequireLower}, "abcd", nil},
		{"short, whitespace, weak, composition, reused",
			PasswordPolicy{MinLength: 8, MinStrength: 2, Require: RequireDigit, History: 1},
			" qz ", []error{ErrPasswordTooShort, ErrPasswordWhitespace, ErrPasswordTooWeak, ErrPasswordComposition, ErrPasswordReused}},
		{"whitespace and too long", PasswordPolicy{MaxLength: 5}, "abcdef\t", []error{ErrPasswordWhitespace, ErrPasswordTooLong}},
		{"weak and composition", PasswordPolicy{MinStrength: 1, Require: RequireUpper}, "abc", []error{ErrPasswordTooWeak, ErrPasswordComposition}},
		{"only reused", PasswordPolicy{History: 1, AllowEdgeWhitespace: true}, " qz ", []error{ErrPasswordReused}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.pw, hist)
			got := rules(t, err)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("rules = %v, want %v", got, tt.want)
			}
			if err == nil {
				return
			}
			var pe *PolicyError
			errors.As(err, &pe)
			if pe.Primary() != tt.want[0] {
				t.Errorf("Primary = %v, want %v", pe.Primary(), tt.want[0])
			}
			for _, r := range tt.want {
				if !errors.Is(err, r) {
					t.Errorf("errors.Is(err, %v) = false", r)
				}
			}
			if strings.Contains(err.Error(), strings.TrimSpace(tt.pw)) {
				t.Errorf("error %q echoes the password", err)
			}
		})
	}
}

// TestPasswordPolicy_PWD01_NoEcho: no error message quotes the password.
func TestPasswordPolicy_PWD01_NoEcho(t *testing.T) {
	const pw = " Zebra "
	p := PasswordPolicy{MinLength: 20, MinStrength: 4, Require: RequireDigit | RequireSymbol, History: 2, MaxLength: 3}
	err := p.Check(pw, []string{policyHash(t, pw)})
	if err == nil {
		t.Fatal("accepted")
	}
	if strings.Contains(err.Error(), "Zebra") {
		t.Errorf("error %q echoes the password", err)
	}
}

func TestPasswordPolicy_PWD02_MinLength(t *testing.T) {
	tests := []struct {
		name string
		min  int
		pw   string
		ok   bool
	}{
		{"PWD-02 7 of 8 rejected", 8, "abcdefg", false},
		{"PWD-02 8 of 8 accepted", 8, "abcdefgh", true},
		{"PWD-02 characters not bytes", 8, "ééééééé", false},
		{"PWD-02 8 multibyte characters accepted", 8, "éééééééé", true},
		{"PWD-02 0 disables the rule", 0, "a", true},
		{"PWD-02 0 accepts the empty password", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PasswordPolicy{MinLength: tt.min}.Check(tt.pw, nil)
			if tt.ok != (err == nil) {
				t.Fatalf("Check = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrPasswordTooShort) {
				t.Fatalf("err = %v, want ErrPasswordTooShort", err)
			}
		})
	}
}

func TestPasswordPolicy_PWD01_Whitespace(t *testing.T) {
	tests := []struct {
		pw    string
		allow bool
		ok    bool
	}{
		{" leading", false, false},
		{"trailing ", false, false},
		{"\ttab", false, false},
		{"tab\t", false, false},
		{"nl\n", false, false},
		{"nbsp\u00a0", false, false},
		{"inner space ok", false, true},
		{" leading", true, true},
		{"", false, true},
	}
	for _, tt := range tests {
		err := PasswordPolicy{AllowEdgeWhitespace: tt.allow}.Check(tt.pw, nil)
		if tt.ok != (err == nil) {
			t.Errorf("%q allow=%v: Check = %v, want ok=%v", tt.pw, tt.allow, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrPasswordWhitespace) {
			t.Errorf("%q: err = %v, want ErrPasswordWhitespace", tt.pw, err)
		}
	}
}

func TestPasswordPolicy_PWD01_MaxLength(t *testing.T) {
	tests := []struct {
		name string
		max  int
		n    int
		ok   bool
	}{
		{"default 150 accepted", 0, 150, true},
		{"default 151 rejected", 0, 151, false},
		{"explicit 20", 20, 21, false},
		{"negative disables", -1, 10000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PasswordPolicy{MaxLength: tt.max}.Check(strings.Repeat("é", tt.n), nil)
			if tt.ok != (err == nil) {
				t.Fatalf("Check = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrPasswordTooLong) {
				t.Fatalf("err = %v, want ErrPasswordTooLong", err)
			}
		})
	}
}

// TestPasswordPolicy_PWD03_StrengthFloor: each level implies a minimum
// length, enforced without an estimator.
func TestPasswordPolicy_PWD03_StrengthFloor(t *testing.T) {
	for level, floor := range []int{0, 4, 7, 9, 11} {
		if got := StrengthFloor(level); got != floor {
			t.Errorf("StrengthFloor(%d) = %d, want %d", level, got, floor)
		}
		p := PasswordPolicy{MinStrength: level}
		if floor > 0 {
			err := p.Check(strings.Repeat("x", floor-1), nil)
			if !errors.Is(err, ErrPasswordTooWeak) {
				t.Errorf("level %d, %d characters: %v, want ErrPasswordTooWeak", level, floor-1, err)
			}
		}
		if err := p.Check(strings.Repeat("x", floor), nil); err != nil {
			t.Errorf("level %d, %d characters: %v, want nil", level, floor, err)
		}
	}
	// Level 4: 10 characters rejected, 11 pass the floor.
	p := DefaultPasswordPolicy()
	if err := p.Check("abcdefghij", nil); !errors.Is(err, ErrPasswordTooWeak) || errors.Is(err, ErrPasswordTooShort) {
		t.Errorf("default policy, 10 characters: %v, want ErrPasswordTooWeak only", err)
	}
	if err := p.Check("abcdefghijk", nil); err != nil {
		t.Errorf("default policy, 11 characters: %v", err)
	}
	if got := StrengthFloor(9); got != 11 {
		t.Errorf("StrengthFloor(9) = %d, want 11", got)
	}
	if got := StrengthFloor(-1); got != 0 {
		t.Errorf("StrengthFloor(-1) = %d, want 0", got)
	}
}

// TestPasswordPolicy_PWD03_Estimator: the pluggable estimator decides
// above the floor and receives the user inputs.
func TestPasswordPolicy_PWD03_Estimator(t *testing.T) {
	var gotInputs []string
	est := func(pw string, in []string) int {
		gotInputs = in
		for _, w := range in {
			if strings.Contains(strings.ToLower(pw), strings.ToLower(w)) {
				return 0
			}
		}
		return min(len(pw)/4, 4)
	}
	p := PasswordPolicy{MinStrength: 3, Strength: est}
	tests := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"PWD-03 below floor, estimator not asked", "short", false},
		{"PWD-03 floor met, score 2 < 3", "ninechars", false},
		{"PWD-03 score 3", "twelve-chars", true},
		{"PWD-03 contains the account name", "my-alice-password-long", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.CheckWithInputs(tt.pw, nil, []string{"alice"})
			if tt.ok != (err == nil) {
				t.Fatalf("Check = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrPasswordTooWeak) {
				t.Fatalf("err = %v, want ErrPasswordTooWeak", err)
			}
		})
	}
	if !slices.Equal(gotInputs, []string{"alice"}) {
		t.Errorf("estimator user inputs = %v", gotInputs)
	}
	// MinStrength 0: the estimator is not consulted.
	called := false
	q := PasswordPolicy{Strength: func(string, []string) int { called = true; return 0 }}
	if err := q.Check("x", nil); err != nil || called {
		t.Errorf("MinStrength 0: err %v, estimator called %v", err, called)
	}
}

func TestPasswordPolicy_PWD01_Composition(t *testing.T) {
	all := RequireLower | RequireUpper | RequireDigit | RequireSymbol
	tests := []struct {
		pw   string
		req  CharClasses
		ok   bool
		miss string
	}{
		{"aB3!", all, true, ""},
		{"aB3 c", all, true, ""}, // an inner space is a symbol
		{"ab3!", all, false, "uppercase"},
		{"AB", RequireLower | RequireDigit, false, "lowercase, digit"},
		{"abc", RequireSymbol, false, "symbol"},
		{"日本語1", RequireDigit, true, ""},
		{"日本語", RequireLower, false, "lowercase"},
	}
	for _, tt := range tests {
		err := PasswordPolicy{Require: tt.req}.Check(tt.pw, nil)
		if tt.ok != (err == nil) {
			t.Errorf("%q: Check = %v, want ok=%v", tt.pw, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrPasswordComposition) || !strings.Contains(err.Error(), tt.miss) {
				t.Errorf("%q: err = %v, want ErrPasswordComposition naming %q", tt.pw, err, tt.miss)
			}
		}
	}
}

// TestPasswordPolicy_PWD04_History: with History N the new password must
// differ from the current one and the N−1 before it; 0 disables; setting
// it to 0 clears the history at the next update.
func TestPasswordPolicy_PWD04_History(t *testing.T) {
	// history: current p3, then p2, p1 (newest first); a legacy hash and
	// an unparsable entry are tolerated.
	p1 := shaCrypt(true, []byte("password-1"), []byte("salt1"), 1000, true)
	hist := []string{policyHash(t, "password-3"), "garbage", policyHash(t, "password-2"), p1}
	tests := []struct {
		name  string
		depth int
		pw    string
		ok    bool
	}{
		{"PWD-04 current password refused", 1, "password-3", false},
		{"PWD-04 depth 1 allows the previous one", 1, "password-2", true},
		{"PWD-04 depth 3 refuses the previous one", 3, "password-2", false},
		{"PWD-04 depth 3 allows the third (garbage counts as an entry)", 3, "password-1", true},
		{"PWD-04 depth 4 refuses a legacy-hashed one", 4, "password-1", false},
		{"PWD-04 new password", 8, "password-4", true},
		{"PWD-04 0 disables", 0, "password-3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PasswordPolicy{History: tt.depth}.Check(tt.pw, hist)
			if tt.ok != (err == nil) {
				t.Fatalf("Check = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrPasswordReused) {
				t.Fatalf("err = %v, want ErrPasswordReused", err)
			}
		})
	}
}

func TestPasswordPolicy_PWD04_UpdateHistory(t *testing.T) {
	old := []string{"h3", "h2", "", "h1"}
	p := PasswordPolicy{History: 3}
	got := p.UpdateHistory(old, "h4")
	if want := []string{"h4", "h3", "h2"}; !slices.Equal(got, want) {
		t.Errorf("UpdateHistory = %v, want %v", got, want)
	}
	if !slices.Equal(old, []string{"h3", "h2", "", "h1"}) {
		t.Error("UpdateHistory modified its input")
	}
	if got := (PasswordPolicy{History: 8}).UpdateHistory(nil, "h1"); !slices.Equal(got, []string{"h1"}) {
		t.Errorf("first password: %v", got)
	}
	if got := (PasswordPolicy{}).UpdateHistory(old, "h4"); got != nil {
		t.Errorf("PWD-04 History 0 must clear the history, got %v", got)
	}
	// Round trip: a password just set is refused next time.
	q := PasswordPolicy{History: 2}
	h := q.UpdateHistory(nil, policyHash(t, "first-pass"))
	if err := q.Check("first-pass", h); !errors.Is(err, ErrPasswordReused) {
		t.Errorf("reuse after UpdateHistory: %v", err)
	}
}

// TestPasswordPolicy_PWD05_NotAtLogin: the policy applies when a password
// is set; verifying a stored password that breaks today's policy works.
func TestPasswordPolicy_PWD05_NotAtLogin(t *testing.T) {
	hash := policyHash(t, "abc") // breaks DefaultPasswordPolicy
	if err := DefaultPasswordPolicy().Check("abc", nil); err == nil {
		t.Fatal("policy accepts a 3-character password")
	}
	if ok, err := VerifyPassword(hash, "abc"); err != nil || !ok {
		t.Fatalf("VerifyPassword = %v, %v; the policy must not apply at login", ok, err)
	}
}

// TestPasswordPolicy_ZeroValue: the zero value checks only the maximum
// length and edge whitespace (SPEC §15(d)).
func TestPasswordPolicy_ZeroValue(t *testing.T) {
	var p PasswordPolicy
	for _, pw := range []string{"", "a", "password", "1234"} {
		if err := p.Check(pw, []string{policyHash(t, "password")}); err != nil {
			t.Errorf("zero policy refused %q: %v", pw, err)
		}
	}
}

func TestPasswordPolicy_Validate(t *testing.T) {
	tests := []struct {
		name string
		p    PasswordPolicy
		ok   bool
	}{
		{"zero", PasswordPolicy{}, true},
		{"default", DefaultPasswordPolicy(), true},
		{"negative min", PasswordPolicy{MinLength: -1}, false},
		{"strength 5", PasswordPolicy{MinStrength: 5}, false},
		{"negative history", PasswordPolicy{History: -1}, false},
		{"unknown class", PasswordPolicy{Require: 1 << 7}, false},
		{"max below min", PasswordPolicy{MinLength: 10, MaxLength: 9}, false},
		{"max below strength floor", PasswordPolicy{MinStrength: 4, MaxLength: 10}, false},
		{"no max", PasswordPolicy{MinLength: 500, MaxLength: -1}, true},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); tt.ok != (err == nil) {
			t.Errorf("%s: Validate = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
