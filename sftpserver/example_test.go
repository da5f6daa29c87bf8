package sftpserver_test

import (
	"log"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/keys"
	"github.com/sftpkit/sftpkit/sftpserver"
)

// Example is the embedding shown in the README (TestREADMEShowsExample keeps
// the two identical): one account, jailed in /srv/sftp/alice.
func Example() {
	// README:begin
	hostKey, _, err := keys.LoadOrCreateHostKey("ssh_host_ed25519_key", keys.Ed25519)
	if err != nil {
		log.Fatal(err)
	}
	hash, err := auth.HashPassword("change me")
	if err != nil {
		log.Fatal(err)
	}
	accounts, err := auth.NewStatic(auth.Account{Name: "alice", PasswordHash: hash})
	if err != nil {
		log.Fatal(err)
	}
	srv := &sftpserver.Server{
		Addrs:    []string{"127.0.0.1:2022"},
		HostKeys: []ssh.Signer{hostKey},
		Auth:     accounts,
		Root:     "/srv/sftp", // alice is jailed in /srv/sftp/alice
	}
	log.Fatal(srv.ListenAndServe())
	// README:end
}
