// Command sftpd is sftpkit's ready-made SFTP server.
//
// With no arguments it listens on 127.0.0.1:2022 and keeps its state under
// ./sftpd-data: host keys (ed25519 and ECDSA P-256) and a configuration file,
// sftpd-data/sftpd.ini, written at first start from an embedded default that
// shows the policy features (DEFAULT_GROUP, a "partners" group with a home
// template, a home folder structure, permission rules and a virtual folder)
// and holds a "demo" account whose password is printed once:
//
//	go run ./examples/sftpd
//	sftp -P 2022 demo@127.0.0.1
//
// Usage:
//
//	sftpd [flags]                 serve (see the modes below)
//	sftpd hash-password           read a password on stdin, print its hash for a configuration file
//
// Flags:
//
//	-config FILE           serve the accounts and groups of an SFTPPlus-style configuration file
//	-listen ADDR           address to listen on (repeatable; overrides [server] listen;
//	                       default 127.0.0.1:2022)
//	-host-key FILE         OpenSSH private host key, created as ed25519 when missing
//	                       (repeatable; overrides [server] host_key; default
//	                       DATA/ssh_host_ed25519_key and DATA/ssh_host_ecdsa_key)
//	-data DIR              state directory (default ./sftpd-data)
//	-v                     log every operation at debug level
//	-debug ADDR            serve Go's profiles (/debug/pprof/) and runtime
//	                       statistics (/debug/vars) on ADDR; keep it on loopback
//	-admin ADDR            serve the admin API (/api/v1/) of a Quatrix-style
//	                       directory on ADDR; its SFTP users log in on the same
//	                       listeners. State in ROOT/directory.db (ROOT: -root,
//	                       else -data); first start creates the tenant "demo"
//	                       (10 user, 5 SFTP licences) and its owner
//	-admin-owner EMAIL     the owner's email (default owner@example.com)
//	-admin-password PASS   the owner's password (default: generated, printed once)
//
// Single-account mode, chosen when any of these is given (and -config is not):
//
//	-root DIR              accounts live in DIR/<name> (default DATA/home)
//	-user NAME             the account name (default demo)
//	-password PASS         the account's password
//	-authorized-keys FILE  the account's authorized_keys file
//
// With -password and -authorized-keys, either credential logs in; with
// neither, a random password is generated once and its hash kept in
// DATA/passwords.
//
// In configuration mode, what the server must remember is kept in
// DATA/state.json (the configuration file is never written): passwords
// that users changed themselves ("ssh user@host passwd", or at login
// through keyboard-interactive when an expired password may be renewed —
// both need allow_own_password_change), last logins, and the accounts
// disabled for an expired password or inactivity by the check at login and
// by the account sweep, which runs every minute. New passwords must have at
// least 11 characters (auth.DefaultPasswordPolicy). To re-enable an account
// the lifecycle disabled, remove its "disabled" entry from state.json while
// sftpd is stopped.
//
// Memory: sftpd leaves Go's garbage collector at its defaults (GOGC=100, no
// GOMEMLIMIT) on purpose. What remains allocated per packet is
// x/crypto/ssh's copy of each received SSH packet (~1 byte per byte
// uploaded); measured on 2 cores with 1.5 GiB of uploads, GOGC=200 and 300
// saved 9 % and 13 % of the server's CPU but raised the peak RSS of a single
// transfer from 48 MiB to 65 and 80 MiB. Set GOGC or GOMEMLIMIT in the
// environment to choose otherwise; sftpd does not override them.
//
// A configuration that does not load is reported with file:line for every
// error, and sftpd exits with status 2. Ctrl-C shuts down gracefully:
// transfers in flight finish first; a second Ctrl-C stops at once.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups"
	"github.com/sftpkit/sftpkit/keys"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/vfs"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	listen   listFlag
	hostKeys listFlag
	config   string
	data     string
	root     string
	user     string
	password string
	keysFile string
	verbose  bool
	debug    string
	// admin, adminOwner and adminPassword configure the admin API.
	admin, adminOwner, adminPassword string
	// single is set when a single-account flag was given.
	single bool
}

// errConfig marks errors in a configuration file: sftpd exits with status 2.
type errConfig struct{ err error }

func (e *errConfig) Error() string { return e.err.Error() }
func (e *errConfig) Unwrap() error { return e.err }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "hash-password" {
		os.Exit(hashPassword(os.Stdin, os.Stdout, os.Stderr))
	}
	var o options
	fs := flag.NewFlagSet("sftpd", flag.ExitOnError)
	fs.StringVar(&o.config, "config", "", "SFTPPlus-style configuration file of accounts and groups")
	fs.Var(&o.listen, "listen", "address to listen on (repeatable; default 127.0.0.1:2022)")
	fs.Var(&o.hostKeys, "host-key", "OpenSSH private host key file, created as ed25519 when missing (repeatable)")
	fs.StringVar(&o.data, "data", "sftpd-data", "state directory: host keys, the default configuration")
	fs.StringVar(&o.root, "root", "", "single-account mode: directory holding the homes, DIR/<name> (default DATA/home)")
	fs.StringVar(&o.user, "user", "demo", "single-account mode: account name")
	fs.StringVar(&o.password, "password", "", "single-account mode: the account's password")
	fs.StringVar(&o.keysFile, "authorized-keys", "", "single-account mode: the account's authorized_keys file")
	fs.BoolVar(&o.verbose, "v", false, "debug logging")
	fs.StringVar(&o.debug, "debug", "", "serve /debug/pprof/ and /debug/vars on this address (loopback only)")
	fs.StringVar(&o.admin, "admin", "", "serve the admin API of a Quatrix-style directory on this address")
	fs.StringVar(&o.adminOwner, "admin-owner", "owner@example.com", "admin: the demo tenant owner's email (first start)")
	fs.StringVar(&o.adminPassword, "admin-password", "", "admin: the owner's password (first start; default generated and printed once)")
	fs.Parse(os.Args[1:])
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "root", "user", "password", "authorized-keys":
			o.single = true
		}
	})

	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// The first Ctrl-C (or SIGTERM) asks for a graceful shutdown, the
	// second for an immediate one.
	ctx, stop := context.WithCancel(context.Background())
	hard, stopNow := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		log.Info("sftpd: shutting down; waiting for transfers in flight (Ctrl-C again to stop now)")
		stop()
		<-sig
		stopNow()
	}()
	if err := run(ctx, hard, o, log, os.Stdout); err != nil {
		var ce *errConfig
		if errors.As(err, &ce) {
			fmt.Fprintf(os.Stderr, "sftpd: configuration refused:\n%v\n", err)
			os.Exit(2)
		}
		log.Error("sftpd: " + err.Error())
		os.Exit(1)
	}
}

// run serves until ctx is done, then shuts down gracefully; if hard is done
// before the transfers in flight finish, it closes every connection.
func run(ctx, hard context.Context, o options, log *slog.Logger, out io.Writer) error {
	srv, listen, err := setup(o, log, out)
	if err != nil {
		return err
	}
	if len(listen) == 0 {
		listen = []string{"127.0.0.1:2022"}
	}
	if o.admin != "" {
		stopAdmin, err := startAdmin(srv, o, listen, log, out)
		if err != nil {
			return err
		}
		defer stopAdmin()
	}
	if o.debug != "" {
		stopDebug, err := serveDebug(o.debug, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}

	// Listen here rather than in ListenAndServe so that a busy port is
	// reported before anything claims to be listening.
	var listeners []net.Listener
	for _, a := range listen {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return err
		}
		listeners = append(listeners, l)
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errc <- srv.Serve(l) }()
	}
	addrs := make([]string, len(listeners))
	for i, l := range listeners {
		addrs[i] = l.Addr().String()
	}
	log.Info("sftpd: listening", "addrs", strings.Join(addrs, ","))

	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	if err := srv.Shutdown(hard); err != nil {
		log.Warn("sftpd: graceful shutdown interrupted; closing connections", "err", err)
		srv.Close()
	}
	for range listeners {
		if err := <-errc; !errors.Is(err, sftpserver.ErrServerClosed) {
			return err
		}
	}
	log.Info("sftpd: stopped")
	return nil
}

// setup builds the server for the mode the options select, and returns the
// addresses to listen on.
func setup(o options, log *slog.Logger, out io.Writer) (*sftpserver.Server, []string, error) {
	srv := &sftpserver.Server{Logger: log}
	if o.single && o.config == "" {
		if o.root == "" {
			o.root = filepath.Join(o.data, "home")
		}
		if err := os.MkdirAll(o.root, 0o700); err != nil {
			return nil, nil, err
		}
		account, err := loadAccount(o, out)
		if err != nil {
			return nil, nil, err
		}
		if srv.Auth, err = auth.NewStatic(account); err != nil {
			return nil, nil, err
		}
		srv.Root = o.root
		if srv.HostKeys, err = loadHostKeys(o.hostKeys, o.data, log); err != nil {
			return nil, nil, err
		}
		log.Info("sftpd: single-account mode", "user", o.user, "root", o.root)
		return srv, o.listen, nil
	}

	path := o.config
	if path == "" {
		var err error
		if path, err = defaultConfig(o.data, out); err != nil {
			return nil, nil, err
		}
	}
	cfg, err := groups.LoadFile(path)
	if err != nil {
		return nil, nil, &errConfig{err}
	}
	for _, w := range cfg.Warnings {
		log.Warn("sftpd: configuration warning: " + w.String())
	}
	// What the server must remember (passwords users changed, last
	// logins, accounts the lifecycle disabled) lives in DATA/state.json;
	// the configuration file is never written.
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return nil, nil, err
	}
	store, err := auth.NewFileStateStore(filepath.Join(o.data, "state.json"))
	if err != nil {
		return nil, nil, err
	}
	// Repeated failures ban the source and the account for a while
	// (5 in 15 minutes: 1 minute, doubling up to an hour).
	lockout, err := auth.NewLockout(auth.LockoutOptions{OnBan: func(e auth.BanEvent) {
		log.Warn("sftpd: banned after repeated authentication failures", "scope", string(e.Scope), "key", e.Key,
			"account", e.Account, "source", e.Source.String(), "failures", e.Failures, "duration", e.Duration)
	}})
	if err != nil {
		return nil, nil, err
	}
	configured, err := auth.NewConfigured(cfg, auth.ConfiguredOptions{
		Logger:  log,
		State:   store,
		Policy:  auth.DefaultPasswordPolicy(),
		Lockout: lockout,
	})
	if err != nil {
		return nil, nil, err
	}
	srv.Auth = configured
	if err := startSweeper(srv, configured, log); err != nil {
		return nil, nil, err
	}
	srv.FS = sftpserver.EffectiveFS(vfs.AccountOptions{})
	srv.Policy = sftpserver.EffectivePolicy()
	hostKeys := o.hostKeys
	if len(hostKeys) == 0 {
		hostKeys = cfg.Server.HostKeys
	}
	if srv.HostKeys, err = loadHostKeys(hostKeys, o.data, log); err != nil {
		return nil, nil, err
	}
	listen := o.listen
	if len(listen) == 0 {
		listen = cfg.Server.Listen
	}
	log.Info("sftpd: serving configuration", "file", path, "accounts", len(cfg.Accounts()), "groups", len(cfg.Groups()))
	return srv, listen, nil
}

// loadHostKeys loads (or creates, as ed25519) the host keys at paths; with
// none, the ed25519 and ECDSA P-256 keys in data.
func loadHostKeys(paths []string, data string, log *slog.Logger) ([]ssh.Signer, error) {
	type spec struct {
		path string
		alg  keys.Algorithm
	}
	var specs []spec
	for _, p := range paths {
		specs = append(specs, spec{p, keys.Ed25519})
	}
	if len(specs) == 0 {
		specs = []spec{
			{filepath.Join(data, "ssh_host_ed25519_key"), keys.Ed25519},
			{filepath.Join(data, "ssh_host_ecdsa_key"), keys.ECDSAP256},
		}
	}
	var signers []ssh.Signer
	for _, s := range specs {
		k, created, err := keys.LoadOrCreateHostKey(s.path, s.alg)
		if err != nil {
			return nil, err
		}
		if created {
			log.Info("sftpd: created host key", "file", s.path, "fingerprint", ssh.FingerprintSHA256(k.PublicKey()))
		}
		signers = append(signers, k)
	}
	return signers, nil
}

// loadAccount builds the one account from the flags; with no credential
// flags it uses (or creates, printing the password once) the password kept
// hashed in DATA/passwords.
func loadAccount(o options, out io.Writer) (auth.Account, error) {
	a := auth.Account{Name: o.user}
	if o.keysFile != "" {
		ks, warnings, err := keys.LoadAuthorizedKeys(o.keysFile)
		if err != nil {
			return a, err
		}
		for _, w := range warnings {
			fmt.Fprintf(os.Stderr, "sftpd: %s\n", w)
		}
		a.AuthorizedKeys = ks
	}
	if o.password != "" {
		h, err := auth.HashPassword(o.password)
		if err != nil {
			return a, err
		}
		a.PasswordHash = h
	}
	if o.password != "" || o.keysFile != "" {
		return a, nil
	}
	file := filepath.Join(o.data, "passwords")
	if h, ok, err := lookupHash(file, o.user); err != nil {
		return a, err
	} else if ok {
		a.PasswordHash = h
		fmt.Fprintf(out, "account %q: password set at first start (hash in %s)\n", o.user, file)
		return a, nil
	}
	pw := rand.Text()
	h, err := auth.HashPassword(pw)
	if err != nil {
		return a, err
	}
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return a, err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return a, err
	}
	if _, err := fmt.Fprintf(f, "%s:%s\n", o.user, h); err != nil {
		f.Close()
		return a, err
	}
	if err := f.Close(); err != nil {
		return a, err
	}
	a.PasswordHash = h
	fmt.Fprintf(out, "created account %q with password %s\n(shown once; only its hash is kept, in %s)\n", o.user, pw, file)
	return a, nil
}

// lookupHash finds name's hash in a "name:hash" file.
func lookupHash(file, name string) (string, bool, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok {
			return "", false, fmt.Errorf("%s:%d: want name:hash", file, n)
		}
		if user == name {
			return hash, true, nil
		}
	}
	return "", false, sc.Err()
}

// startSweeper applies password_lifetime and disable_on_inactivity to every
// account once a minute (SPEC INACT-09), logging what it does, until the
// server shuts down.
func startSweeper(srv *sftpserver.Server, a *auth.Configured, log *slog.Logger) error {
	src, err := a.SweepSource()
	if err != nil {
		return err
	}
	sw, err := auth.NewSweeper(src, auth.SweeperOptions{
		Interval: auth.DefaultSweepInterval,
		OnEvent:  func(e auth.LifecycleEvent) { logLifecycleEvent(log, e) },
	})
	if err != nil {
		return err
	}
	if err := sw.Start(context.Background()); err != nil {
		return err
	}
	srv.RegisterOnShutdown(sw.Stop)
	return nil
}

// logLifecycleEvent logs one event of the account sweep.
func logLifecycleEvent(log *slog.Logger, e auth.LifecycleEvent) {
	attrs := []any{"type", e.Type, "account", e.Account}
	if e.Code != 0 {
		attrs = append(attrs, "code", e.Code)
	}
	if e.Reason != "" {
		attrs = append(attrs, "reason", string(e.Reason))
	}
	if e.Days != 0 {
		attrs = append(attrs, "days", e.Days)
	}
	if !e.LastLogin.IsZero() {
		attrs = append(attrs, "last_activity", e.LastLogin)
	}
	if !e.Expires.IsZero() {
		attrs = append(attrs, "password_expires", e.Expires)
	}
	switch {
	case e.Err != nil:
		log.Error("sftpd: account sweep", append(attrs, "err", e.Err)...)
	case e.Type == auth.EventAccountAutoDisabled || e.Type == auth.EventAutoDisableCheckFailed:
		log.Warn("sftpd: account sweep", attrs...)
	default:
		log.Info("sftpd: account sweep", attrs...)
	}
}
