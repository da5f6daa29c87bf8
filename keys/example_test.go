package keys_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/sftpkit/sftpkit/keys"
	"golang.org/x/crypto/ssh"
)

func ExampleParseAuthorizedKeys() {
	data := []byte(`# alice's keys
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBRWhPhRVmDPJ+/hq/4nfmnB5VOV1zTC3kD0dUvcFAk alice@laptop
command="/bin/sh" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBRWhPhRVmDPJ+/hq/4nfmnB5VOV1zTC3kD0dUvcFAk
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
	// options line 3: option command= would change the session and is not accepted
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

func ExampleParseAuthorizedKeyLines() {
	data := []byte(`from="192.0.2.0/24",expiry-time="20300101Z" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBRWhPhRVmDPJ+/hq/4nfmnB5VOV1zTC3kD0dUvcFAk office
restrict ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBRWhPhRVmDPJ+/hq/4nfmnB5VOV1zTC3kD0dUvcFAk
`)
	list, _, err := keys.ParseAuthorizedKeyLines(data)
	if err != nil {
		log.Fatal(err)
	}
	offered := list[0].Key // in a server: the key whose signature was verified
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

	k, err := keys.MatchAuthorizedKey(list[:1], offered, now, netip.MustParseAddr("192.0.2.7"))
	fmt.Println(k.Line, k.Comment, err)
	_, err = keys.MatchAuthorizedKey(list[:1], offered, now, netip.MustParseAddr("198.51.100.7"))
	fmt.Println(errors.Is(err, keys.ErrSourceNotAllowed))
	_, err = keys.MatchAuthorizedKey(list[:1], offered, now.AddDate(5, 0, 0), netip.MustParseAddr("192.0.2.7"))
	fmt.Println(errors.Is(err, keys.ErrKeyExpired))
	// Output:
	// 1 office <nil>
	// true
	// true
}

func ExampleCertPolicy_Check() {
	cas, err := keys.LoadCAKeys("/etc/sftpd/trusted_user_ca_keys")
	if err != nil {
		log.Fatal(err)
	}
	policy := keys.CertPolicy{CAs: cas}
	// In a PublicKeyCallback/VerifiedPublicKeyCallback:
	var cert *ssh.Certificate // the presented key, when it is a certificate
	if err := policy.Check(cert, "alice", netip.MustParseAddr("192.0.2.7")); err != nil {
		log.Print("certificate refused: ", err) // errors.Is(err, keys.ErrCertNoPrincipals), …
	}
}

func ExampleMemoryStore() {
	ctx := context.Background()
	store := keys.NewMemoryStore(keys.MemoryStoreOptions{
		Notify: func(_ context.Context, n keys.Notification) {
			fmt.Println(n.Event, n.Owner, n.Title) // mail the owner; never the key text
		},
	})
	k, err := keys.NewKey("laptop", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBRWhPhRVmDPJ+/hq/4nfmnB5VOV1zTC3kD0dUvcFAk alice@laptop", time.Time{})
	if err != nil {
		log.Fatal(err) // errors.Is(err, keys.ErrInvalidKey), keys.ErrKeyTypeNotAllowed
	}
	k, err = store.Add(ctx, "alice", k)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k.Algorithm, k.Status)

	disabled := keys.StatusDisabled
	if _, err := store.Update(ctx, "alice", k.ID, keys.Update{Status: &disabled}); err != nil {
		log.Fatal(err)
	}
	// At login, after the signature is verified:
	found, _ := store.Find(ctx, "alice", k.PublicKey)
	fmt.Println(errors.Is(found.Usable(time.Now(), netip.MustParseAddr("192.0.2.7")), keys.ErrKeyDisabled))
	// Output:
	// key-added alice laptop
	// ssh-ed25519 active
	// key-status-changed alice laptop
	// true
}
