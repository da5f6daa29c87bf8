package sftpkit

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsExample keeps the README's embedding example identical to
// sftpserver's Example, which the compiler checks.
func TestREADMEShowsExample(t *testing.T) {
	src, err := os.ReadFile("sftpserver/example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	begin := strings.Index(s, "// README:begin\n")
	end := strings.Index(s, "\t// README:end")
	if begin < 0 || end < begin {
		t.Fatal("markers missing in sftpserver/example_test.go")
	}
	var body []string
	for _, l := range strings.Split(s[begin+len("// README:begin\n"):end], "\n") {
		body = append(body, strings.TrimPrefix(l, "\t"))
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(body, "\n")
	// The README indents the body one tab inside func main.
	want = "\t" + strings.ReplaceAll(strings.TrimRight(want, "\n"), "\n", "\n\t")
	if !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not contain the body of sftpserver.Example:\n%s", want)
	}
	for _, cmd := range []string{"go run ./examples/sftpd", "go test -race ./..."} {
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README.md does not show %q", cmd)
		}
	}
}
