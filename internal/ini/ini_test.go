package ini

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := "# comment\n" +
		"[groups/DEFAULT_GROUP]\n" +
		"Name = DEFAULT_GROUP\n" +
		"home_folder_path: /srv/sftp\n" +
		"permissions = allow-read, allow-write\n" +
		"    *.pdf, allow-read\n" +
		"\n" +
		"    ; a comment inside the value\n" +
		"\t*.csv, allow-write\r\n" +
		"empty =\n" +
		"structure =\n" +
		"    /pull\n" +
		"    /pull/invoices\n" +
		"[accounts/a]\n" +
		"name = a = b\n"
	f, err := Parse("t.ini", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Sections) != 2 || f.Sections[0].Name != "groups/DEFAULT_GROUP" || f.Sections[0].Line != 2 {
		t.Fatalf("sections = %+v", f.Sections)
	}
	g := f.Sections[0]
	want := map[string]*Key{
		"name":             {Name: "name", Value: "DEFAULT_GROUP", Line: 3, Lines: []int{3}},
		"home_folder_path": {Name: "home_folder_path", Value: "/srv/sftp", Line: 4, Lines: []int{4}},
		"permissions":      {Name: "permissions", Value: "allow-read, allow-write\n*.pdf, allow-read\n*.csv, allow-write", Line: 5, Lines: []int{5, 6, 9}},
		"empty":            {Name: "empty", Value: "", Line: 10},
		"structure":        {Name: "structure", Value: "/pull\n/pull/invoices", Line: 11, Lines: []int{12, 13}},
	}
	for name, w := range want {
		if got := g.Get(strings.ToUpper(name)); !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	}
	if v := f.Sections[1].Get("name").Value; v != "a = b" {
		t.Errorf("value with '=' = %q", v)
	}
	if k := g.Get("permissions"); k.LineOf(2) != 9 || k.LineOf(7) != 5 {
		t.Errorf("LineOf wrong")
	}
}

func TestParse_Errors(t *testing.T) {
	src := "orphan = 1\n" + // 1: outside section
		"[a]\n" +
		"x = 1\n" +
		"x = 2\n" + // 4: duplicate key
		"[a]\n" + // 5: duplicate section
		"[b\n" + // 6: unclosed
		"just text\n" + // 7: no separator
		"[]\n" + // 8: empty name
		"  indented after error\n" // 9: continues nothing
	_, err := Parse("bad.ini", []byte(src))
	var lines []int
	for _, e := range unwrap(err) {
		var ie *Error
		if !errors.As(e, &ie) || ie.File != "bad.ini" {
			t.Fatalf("error %v is not an *Error of bad.ini", e)
		}
		lines = append(lines, ie.Line)
	}
	if !reflect.DeepEqual(lines, []int{1, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("error lines = %v; errors:\n%v", lines, err)
	}
	if !strings.Contains(err.Error(), "bad.ini:4: duplicate option") {
		t.Errorf("message lacks file:line: %v", err)
	}
}

func unwrap(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "[a]\nb=c\n", "[a]\nb =\n  x\n  y\n", "x", "[", "[a]\n\tz", "\xff", "[a]\nk: v\n[a]\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.ini", data)
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range unwrap(err) {
			var ie *Error
			if !errors.As(e, &ie) || ie.Line < 1 || ie.Line > lines {
				t.Fatalf("error without a valid line: %v", e)
			}
		}
		for _, s := range file.Sections {
			for _, k := range s.Keys {
				if k.Line < s.Line || (k.Value != "" && len(k.Lines) != strings.Count(k.Value, "\n")+1) {
					t.Fatalf("key %+v inconsistent", k)
				}
			}
		}
	})
}
