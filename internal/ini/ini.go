// Package ini reads the INI dialect of SFTPPlus configuration files (that of
// Python's configparser) and keeps the line of every section, key and value
// line, so configuration errors can name file:line.
//
// The dialect:
//   - [section] headers; keys before the first header are an error;
//   - "key = value" or "key: value"; keys are case-insensitive (lowered);
//     surrounding whitespace is trimmed;
//   - a line that starts with whitespace continues the previous value on a
//     new line ("\n"-joined, each line trimmed) — multi-line values;
//   - lines whose first non-blank character is '#' or ';' are comments, and
//     blank lines are ignored (inside a value too); no inline comments;
//   - a duplicate section or a duplicate key in one section is an error
//     (configparser's strict mode).
//
// No widely used Go INI library reports line numbers together with
// Python-style continuation lines, hence this small, fuzzed reader.
package ini

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// File is a parsed configuration file.
type File struct {
	Name     string
	Sections []*Section
}

// Section is one [name] section.
type Section struct {
	Name string
	Line int
	Keys []*Key
}

// Key is one option.
type Key struct {
	Name  string // lower case
	Value string // value lines joined with "\n"; "" when empty
	Line  int    // line of "key = "
	// Lines holds the file line of each line of Value.
	Lines []int
}

// Get returns the key named name (case-insensitive), or nil.
func (s *Section) Get(name string) *Key {
	name = strings.ToLower(name)
	for _, k := range s.Keys {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// LineOf returns the file line of line i (0-based) of the value, or the
// key's own line when i is out of range.
func (k *Key) LineOf(i int) int {
	if i >= 0 && i < len(k.Lines) {
		return k.Lines[i]
	}
	return k.Line
}

// Error is a syntax error at a line of a file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// MaxLineLen bounds a line, so hostile input cannot make errors huge.
const MaxLineLen = 64 << 10

// Parse parses data. All syntax errors are returned, joined with
// errors.Join, each an *Error. The returned File holds whatever parsed
// cleanly, even when err is non-nil.
func Parse(name string, data []byte) (*File, error) {
	f := &File{Name: name}
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: name, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if !utf8.Valid(data) {
		fail(1, "file is not valid UTF-8")
		return f, errors.Join(errs...)
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	var (
		sec  *Section
		key  *Key
		seen = map[string]bool{}
		keys map[string]bool
	)
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		line := strings.TrimSuffix(raw, "\r")
		if len(line) > MaxLineLen {
			fail(n, "line longer than %d bytes", MaxLineLen)
			key = nil
			continue
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key == nil {
				fail(n, "indented line continues no option")
				continue
			}
			if key.Value == "" && len(key.Lines) == 0 {
				key.Value = trimmed
			} else {
				key.Value += "\n" + trimmed
			}
			key.Lines = append(key.Lines, n)
			continue
		}
		key = nil
		if trimmed[0] == '[' {
			if !strings.HasSuffix(trimmed, "]") {
				fail(n, "section header %q lacks its closing ]", trimmed)
				sec = nil
				continue
			}
			sname := strings.TrimSpace(trimmed[1 : len(trimmed)-1])
			if sname == "" {
				fail(n, "empty section name")
				sec = nil
				continue
			}
			if seen[sname] {
				fail(n, "duplicate section [%s]", sname)
				sec = nil
				continue
			}
			seen[sname] = true
			sec = &Section{Name: sname, Line: n}
			keys = map[string]bool{}
			f.Sections = append(f.Sections, sec)
			continue
		}
		sep := strings.IndexAny(trimmed, "=:")
		if sep <= 0 {
			fail(n, "want \"option = value\" or [section], got %q", clip(trimmed))
			continue
		}
		if sec == nil {
			fail(n, "option outside any [section]")
			continue
		}
		kname := strings.ToLower(strings.TrimSpace(trimmed[:sep]))
		if keys[kname] {
			fail(n, "duplicate option %q in [%s]", kname, sec.Name)
			continue
		}
		keys[kname] = true
		key = &Key{Name: kname, Line: n, Value: strings.TrimSpace(trimmed[sep+1:])}
		if key.Value != "" {
			key.Lines = []int{n}
		}
		sec.Keys = append(sec.Keys, key)
	}
	return f, errors.Join(errs...)
}

func clip(s string) string {
	for i := range s {
		if i >= 60 {
			return s[:i] + "…"
		}
	}
	return s
}
