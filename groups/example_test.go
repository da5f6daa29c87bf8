package groups_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/sftpkit/sftpkit/groups"
)

func Example() {
	cfg, err := groups.Parse("sftpkit.ini", []byte(`
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = /srv/sftp

[groups/g-partners]
name = partners
home_folder_path = /srv/partners
permissions =
    allow-list, allow-read
    /push/*, allow-list, allow-write
virtual_folders = /queue/${USER}, /srv/queues/${USER}
source_ip_filter = allow 10.23.0.0/24

[accounts/a-alice]
name = alice
group = g-partners
password = $argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
	eff, err := cfg.Resolve(context.Background(), "alice", netip.MustParseAddr("::ffff:10.23.0.7"), groups.ResolveOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("home:", eff.Home().Value, "from", eff.Home().Source)
	fmt.Println("global:", eff.PermissionGlobal().Value, "from", eff.PermissionGlobal().Source)
	for _, r := range eff.PermissionRules() {
		fmt.Println("rule:", r.Expr, "→", r.Set, "from", r.Source)
	}
	for _, vf := range eff.VirtualFolders() {
		fmt.Println("virtual folder:", vf.Value.VirtualPath, "→", vf.Value.RealPath)
	}

	_, err = cfg.Resolve(context.Background(), "alice", netip.MustParseAddr("192.0.2.1"), groups.ResolveOptions{})
	fmt.Println(err)
	// Output:
	// home: /srv/partners/alice from group partners
	// global: allow-read, allow-list from group partners
	// rule: /push/* → allow-list, allow-write from group partners
	// virtual folder: /queue/alice → /srv/queues/alice
	// groups: "alice" rejected: no-group-associated (source 192.0.2.1)
}

func ExampleParse_errors() {
	_, err := groups.Parse("sftpkit.ini", []byte(`[groups/g-partners]
name = partners
source_ip_filter = allow 10.0.0.0/33

[accounts/a-alice]
name = alice
group = g-partner
`))
	fmt.Println(err)
	// Output:
	// sftpkit.ini:1: [groups/DEFAULT_GROUP]: missing section: the configuration must define the group DEFAULT_GROUP
	// sftpkit.ini:3: [groups/g-partners] source_ip_filter: "10.0.0.0/33" is not an IP address or CIDR prefix
	// sftpkit.ini:7: [accounts/a-alice] group: unknown group "g-partner": no [groups/g-partner] section
}
