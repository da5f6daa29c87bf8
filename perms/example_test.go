package perms_test

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/sftpkit/sftpkit/perms"
)

func Example() {
	v, err := perms.Parse(`allow-read
*.csv, allow-write
/inbox/*, allow-full-control
/queue/${USER}/, allow-read, allow-write`)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := perms.Compile("alice", v.Global, "group partners", v.Sourced("group partners"))
	if err != nil {
		fmt.Println(err)
		return
	}

	fmt.Println(p.Check("/inbox/a.txt", perms.DeleteFile))
	err = p.Check("/inbox/a.csv", perms.DeleteFile) // the CSV rule comes first
	fmt.Println(err, errors.Is(err, fs.ErrPermission))
	fmt.Println(p.Explain("/inbox/a.csv", perms.DeleteFile))
	fmt.Println(p.Effective("/QUEUE/Alice/in.txt"))
	// Output:
	// <nil>
	// permission denied: allow-delete-file required for /inbox/a.csv true
	// allow-delete-file on /inbox/a.csv: denied by rule 1 "*.csv" (line 2, group partners): allow-write
	// allow-read, allow-write
}

func ExampleParse_errors() {
	_, err := perms.Parse("allow-read\n/inbox/*, allow-raed\nm/(?<=x)y/, allow-read")
	fmt.Println(err)
	// Output:
	// permissions line 2, column 11: unknown permission: "allow-raed"
	// permissions line 3, column 3: unsupported or invalid regular expression (RE2 syntax): invalid named capture: `(?<=x)y`: "(?<=x)y"
}
