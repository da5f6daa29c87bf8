package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups/directory"
	"github.com/sftpkit/sftpkit/groups/directory/adminapi"
	"github.com/sftpkit/sftpkit/perms"
	"github.com/sftpkit/sftpkit/sftpserver"
)

// startAdmin adds the Quatrix-style directory to srv (its SFTP users log in
// beside the other accounts) and serves the admin API on o.admin. The
// directory lives in ROOT/directory.db (ROOT is -root, or -data in
// configuration mode); at first start it holds the tenant "demo" with 10
// user and 5 SFTP licences and its owner. It returns a function that stops
// the HTTP server and closes the database. The web page is served at /.
func startAdmin(srv *sftpserver.Server, o options, endpoints []string, log *slog.Logger, out io.Writer) (func(), error) {
	ctx := context.Background()
	root := o.root
	if root == "" {
		root = o.data
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	store, err := directory.OpenSQLite(ctx, filepath.Join(root, "directory.db"), nil)
	if err != nil {
		return nil, err
	}
	d := directory.New(directory.Options{Store: store, Endpoints: endpoints})
	if err := bootstrapTenant(ctx, d, store, o, out); err != nil {
		store.Close()
		return nil, err
	}
	authn, err := d.Authenticator()
	if err != nil {
		store.Close()
		return nil, err
	}

	// Connections whose user name the directory knows go to it; the
	// others to the accounts of -user or -config.
	others := srv.Auth
	srv.Auth = auth.Route(func(ctx context.Context, c auth.ConnInfo, user string) auth.Authenticator {
		if d.Knows(ctx, user, c.LocalAddr) {
			return authn
		}
		return others
	})
	storage := directory.Storage{Root: filepath.Join(root, "directory")}
	baseFS := srv.FS
	if baseFS == nil {
		baseFS = sftpserver.HomeDirs(srv.Root)
	}
	srv.FS = sftpserver.FileSystemFunc(func(ctx context.Context, s sftpserver.SessionInfo) (afero.Fs, error) {
		if a, ok := s.Identity.Value.(*directory.Account); ok {
			return d.SessionFS(ctx, a, storage)
		}
		return baseFS.NewFS(ctx, s)
	})
	basePolicy := srv.Policy
	fullControl, err := perms.ParseSet("allow-full-control")
	if err != nil {
		store.Close()
		return nil, err
	}
	srv.Policy = func(ctx context.Context, s sftpserver.SessionInfo) (*perms.Policy, error) {
		if a, ok := s.Identity.Value.(*directory.Account); ok {
			return d.SessionPolicy(ctx, a, s.Identity.User)
		}
		if basePolicy == nil {
			// What a nil Server.Policy gives: full control in the home.
			return perms.Compile(s.Identity.User, fullControl, "sftpd single account", nil)
		}
		return basePolicy(ctx, s)
	}

	// The event log the API shows: logins with their reason, transfers,
	// and the API's own changes.
	events := adminapi.NewEventLog(adminapi.DefaultEventLogSize)
	prevSink := srv.Events
	srv.Events = sftpserver.EventSinkFunc(func(ctx context.Context, e sftpserver.Event) {
		switch e.Type {
		case sftpserver.EventAuthSucceeded, sftpserver.EventAuthRejected:
			events.Add(adminapi.Event{Time: e.Time, Type: "sftp." + string(e.Type), User: e.User, Reason: e.Reason})
		case sftpserver.EventUpload, sftpserver.EventDownload, sftpserver.EventRemove, sftpserver.EventRename, sftpserver.EventMkdir:
			events.Add(adminapi.Event{Time: e.Time, Type: "sftp." + string(e.Type), User: e.User, Path: e.Path})
		}
		if prevSink != nil {
			prevSink.HandleEvent(ctx, e)
		}
	})

	lockout, err := auth.NewLockout(auth.LockoutOptions{})
	if err != nil {
		store.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", adminapi.NewSite(adminapi.Options{Directory: d, Lockout: lockout, Events: events, Logger: log}))
	l, err := net.Listen("tcp", o.admin)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("admin listener: %w", err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sftpd: admin server stopped", "err", err)
		}
	}()
	log.Info("sftpd: admin page and API", "page", "http://"+l.Addr().String()+"/", "api", "http://"+l.Addr().String()+"/api/v1/", "directory", filepath.Join(root, "directory.db"))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		store.Close()
	}, nil
}

// bootstrapTenant creates the demo tenant and its owner when the
// directory is empty, printing a generated owner password once.
func bootstrapTenant(ctx context.Context, d *directory.Directory, store directory.Store, o options, out io.Writer) error {
	empty := false
	if err := store.View(ctx, func(tx directory.Tx) error {
		ts, err := tx.Tenants()
		empty = len(ts) == 0
		return err
	}); err != nil || !empty {
		return err
	}
	password := o.adminPassword
	if password == "" {
		b := make([]byte, 15)
		rand.Read(b)
		password = base64.RawURLEncoding.EncodeToString(b)
	}
	_, owner, err := d.CreateTenant(ctx, directory.NewTenant{Name: "demo", UserLicences: 10, SFTPLicences: 5,
		Module: directory.SFTPModule{Enabled: true}, OwnerEmail: o.adminOwner, OwnerName: "Owner", OwnerPassword: password})
	if err != nil {
		return fmt.Errorf("creating the demo tenant: %w", err)
	}
	if o.adminPassword == "" {
		fmt.Fprintf(out, "sftpd: admin owner %s, password (shown once): %s\n", owner.Email, password)
	}
	return nil
}
