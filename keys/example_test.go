package keys_test

import (
	"fmt"
	"log"

	"github.com/sftpkit/sftpkit/keys"
)

func ExampleParseAuthorizedKeys() {
	data := []byte(`# alice's keys
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBRWhPhRVmDPJ+/hq/4nfmnB5VOV1zTC3kD0dUvcFAk alice@laptop
restrict ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBRWhPhRVmDPJ+/hq/4nfmnB5VOV1zTC3kD0dUvcFAk
not a key
`)
	pubs, warnings, err := keys.ParseAuthorizedKeys(data)
	if err != nil {
		log.Fatal(err) // private-key material: refuse every key
	}
	fmt.Println(len(pubs), "key")
	for _, w := range warnings {
		fmt.Println(w.Kind, w)
	}
	// Output:
	// 1 key
	// options line 3: line has authorized_keys options, which are not interpreted
	// invalid-line line 4: not a public key line
}

func ExampleLoadOrCreateHostKey() {
	signer, created, err := keys.LoadOrCreateHostKey("/var/lib/sftpd/ssh_host_ed25519_key", keys.Ed25519)
	if err != nil {
		log.Fatal(err)
	}
	if created {
		log.Printf("generated host key %s", signer.PublicKey().Type())
	}
	// config.AddHostKey(signer)
}
