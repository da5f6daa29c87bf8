package auth_test

import (
	"context"
	"fmt"
	"log"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
)

func ExampleNewStatic() {
	hash, err := auth.HashPassword("correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	// Keys usually come from keys.LoadAuthorizedKeys.
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBRWhPhRVmDPJ+/hq/4nfmnB5VOV1zTC3kD0dUvcFAk"))
	if err != nil {
		log.Fatal(err)
	}
	a, err := auth.NewStatic(
		auth.Account{Name: "alice", PasswordHash: hash},
		auth.Account{Name: "deploy", AuthorizedKeys: []ssh.PublicKey{pub}},
	)
	if err != nil {
		log.Fatal(err)
	}
	// The server does this for every connection, on a fresh config.
	cfg := &ssh.ServerConfig{}
	if err := a.Setup(context.Background(), auth.ConnInfo{}, cfg); err != nil {
		log.Fatal(err)
	}
	auth.LockUsername(cfg)
	fmt.Println(cfg.PasswordCallback != nil, cfg.VerifiedPublicKeyCallback != nil)
	// Output: true true
}
