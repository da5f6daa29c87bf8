package sftpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/vfs"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("sftpserver: server closed")

// Defaults applied when the corresponding Server field is zero.
const (
	DefaultAddr                 = ":2022"
	DefaultHandshakeTimeout     = 30 * time.Second
	DefaultIdleTimeout          = 15 * time.Minute
	DefaultMaxUnauthConns       = 64
	DefaultMaxSessionsPerConn   = 10
	DefaultMaxHandlesPerSession = 256
	DefaultMinRSABits           = 2048
)

// quietPeriod is how long a connection must have been without requests and
// open handles before Shutdown closes it; it covers the moment between a
// handler returning and pkg/sftp writing its reply.
const quietPeriod = 200 * time.Millisecond

// Server is an SFTP server. The zero value is not usable: HostKeys, Auth and
// one of FS or Root must be set. Fields must not be changed after Serve is
// called. A Server is safe for concurrent use.
//
// Limits are zero for "the default" and negative for "no limit".
type Server struct {
	// Addrs are the addresses ListenAndServe listens on; DefaultAddr when
	// empty. Serve can be called directly with any listeners instead.
	Addrs []string

	// HostKeys identify the server. At least one is required. RSA host keys
	// are restricted to rsa-sha2-256/512 signatures. See package keys for
	// loading and creating them.
	HostKeys []ssh.Signer

	// Auth decides who each connection is. Required: a server without
	// authentication refuses to start.
	Auth auth.Authenticator

	// FS gives each session its filesystem. When nil, HomeDirs(Root) is used.
	FS FileSystem
	// Root is the directory of the default FS: each account is jailed in
	// Root/<account name>.
	Root string
	// Policy gives each session its permission rules; nil means every
	// session has full control inside its filesystem.
	Policy PolicyFunc

	// Algorithms restricts the SSH algorithms. Nil fields mean
	// ssh.SupportedAlgorithms() (plus, with AllowInsecureAlgorithms, the
	// insecure public key algorithms); every name must be in that set, or
	// in ssh.InsecureAlgorithms() when AllowInsecureAlgorithms is set.
	Algorithms *ssh.Algorithms
	// AllowInsecureAlgorithms enables ssh.InsecureAlgorithms() in addition
	// to ssh.SupportedAlgorithms(), for legacy clients: by default the
	// client-key signature algorithms then also include SHA-1 "ssh-rsa"
	// and "ssh-dss" (SPEC KEY-09), and Algorithms may name any insecure
	// key exchange, cipher, MAC or host key algorithm (an RSA host key then
	// also signs with SHA-1 "ssh-rsa" when HostKeys lists it). The default
	// key exchanges, ciphers, MACs and host key algorithms stay the secure
	// ones. Off by default.
	//
	// This widens only the signature algorithms; which keys may log in is
	// still up to Auth. The keys package refuses DSA keys (and RSA keys
	// shorter than 2048 bits) in authorized_keys whatever this setting, so
	// an account configured through it cannot log in with a DSA key; the
	// practical use is an RSA key of a client that signs only with SHA-1.
	AllowInsecureAlgorithms bool
	// ServerVersion is the SSH identification string; "SSH-2.0-sftpkit" when empty.
	ServerVersion string
	// MaxAuthTries is x/crypto/ssh's per-connection limit (0 means 6).
	MaxAuthTries int
	// MinRSABits is the smallest RSA client key accepted (DefaultMinRSABits).
	MinRSABits int

	// HandshakeTimeout bounds the SSH handshake including authentication.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection that sent and received nothing for
	// this long.
	IdleTimeout time.Duration

	// MaxConns caps the connections open at once (no limit by default).
	MaxConns int
	// MaxUnauthConns caps connections that have not yet authenticated.
	MaxUnauthConns int
	// MaxConnsPerIP caps the connections from one source address (no
	// limit by default).
	MaxConnsPerIP int
	// MaxSessionsPerConn caps the session channels of one connection.
	MaxSessionsPerConn int
	// MaxHandlesPerSession caps the open files and directories of one session.
	MaxHandlesPerSession int

	// AllowSymlinks lets clients create symbolic links whose targets stay
	// inside their filesystem. Off by default (SPEC OP-16).
	AllowSymlinks bool

	// Logger receives the server's log; nil discards it. Client-controlled
	// strings are always attributes, never part of the message.
	Logger *slog.Logger
	// Events receives every event; nil means events are only logged.
	Events EventSink

	initOnce  sync.Once
	initErr   error
	template  *ssh.ServerConfig
	fs        FileSystem
	log       *slog.Logger
	events    *emitter
	deletes   *vfs.DeleteScheduler
	baseCtx   context.Context
	cancelCtx context.CancelFunc

	mu         sync.Mutex
	onShutdown []func()
	listeners  map[*net.Listener]struct{}
	conns      map[*serverConn]struct{}
	perIP      map[string]int
	unauth     int
	closed     atomic.Bool
	connWG     sync.WaitGroup
	nextConn   atomic.Uint64
}

func (s *Server) init() error {
	s.initOnce.Do(func() { s.initErr = s.setup() })
	return s.initErr
}

func (s *Server) setup() error {
	if s.Auth == nil {
		return errors.New("sftpserver: no Authenticator configured (Server.Auth); refusing to run without authentication")
	}
	if len(s.HostKeys) == 0 {
		return errors.New("sftpserver: no host keys configured (Server.HostKeys)")
	}
	s.fs = s.FS
	if s.fs == nil {
		if s.Root == "" {
			return errors.New("sftpserver: neither Server.FS nor Server.Root is set")
		}
		var opts []vfs.RootOption
		if s.AllowSymlinks {
			opts = append(opts, vfs.AllowSymlinks())
		}
		s.fs = HomeDirs(s.Root, opts...)
	}
	s.log = s.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	cfg, err := s.buildTemplate()
	if err != nil {
		return err
	}
	s.template = cfg
	s.events = newEmitter(s.Events, s.log)
	s.deletes = vfs.NewDeleteScheduler(vfs.DeleteSchedulerOptions{OnResult: func(r vfs.DeleteResult) {
		ev := Event{Type: EventRemoveDelayed, User: r.Key, Path: r.Path, Outcome: string(r.Outcome), Delayed: true, Time: r.At}
		if r.Err != nil {
			ev.Err = errors.New(string(r.Outcome))
			s.log.Warn("sftpserver: delayed delete", "user", r.Key, "path", r.Path, "outcome", string(r.Outcome), "err", r.Err)
		}
		s.events.emit(ev)
	}})
	s.baseCtx, s.cancelCtx = context.WithCancel(context.Background())
	s.listeners = make(map[*net.Listener]struct{})
	s.conns = make(map[*serverConn]struct{})
	s.perIP = make(map[string]int)
	return nil
}

func (s *Server) buildTemplate() (*ssh.ServerConfig, error) {
	sup := ssh.SupportedAlgorithms()
	alg := sup
	// known is the set names may be chosen from.
	known := sup
	insecure := ""
	if s.AllowInsecureAlgorithms {
		ins := ssh.InsecureAlgorithms()
		known = ssh.Algorithms{
			KeyExchanges:   slices.Concat(sup.KeyExchanges, ins.KeyExchanges),
			Ciphers:        slices.Concat(sup.Ciphers, ins.Ciphers),
			MACs:           slices.Concat(sup.MACs, ins.MACs),
			HostKeys:       slices.Concat(sup.HostKeys, ins.HostKeys),
			PublicKeyAuths: slices.Concat(sup.PublicKeyAuths, ins.PublicKeyAuths),
		}
		alg.PublicKeyAuths = known.PublicKeyAuths
		insecure = " or ssh.InsecureAlgorithms()"
	}
	if s.Algorithms != nil {
		pick := func(what string, want, def, allowed []string) ([]string, error) {
			if want == nil {
				return def, nil
			}
			for _, a := range want {
				if !slices.Contains(allowed, a) {
					return nil, fmt.Errorf("sftpserver: %s algorithm %q is not in ssh.SupportedAlgorithms()%s", what, a, insecure)
				}
			}
			return want, nil
		}
		var err error
		if alg.KeyExchanges, err = pick("key exchange", s.Algorithms.KeyExchanges, alg.KeyExchanges, known.KeyExchanges); err != nil {
			return nil, err
		}
		if alg.Ciphers, err = pick("cipher", s.Algorithms.Ciphers, alg.Ciphers, known.Ciphers); err != nil {
			return nil, err
		}
		if alg.MACs, err = pick("MAC", s.Algorithms.MACs, alg.MACs, known.MACs); err != nil {
			return nil, err
		}
		if alg.HostKeys, err = pick("host key", s.Algorithms.HostKeys, alg.HostKeys, known.HostKeys); err != nil {
			return nil, err
		}
		if alg.PublicKeyAuths, err = pick("public key", s.Algorithms.PublicKeyAuths, alg.PublicKeyAuths, known.PublicKeyAuths); err != nil {
			return nil, err
		}
	}
	cfg := &ssh.ServerConfig{
		Config: ssh.Config{
			KeyExchanges: alg.KeyExchanges,
			Ciphers:      alg.Ciphers,
			MACs:         alg.MACs,
		},
		PublicKeyAuthAlgorithms: alg.PublicKeyAuths,
		MaxAuthTries:            s.MaxAuthTries,
		ServerVersion:           s.ServerVersion,
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "SSH-2.0-sftpkit"
	}
	added := 0
	for _, k := range s.HostKeys {
		if k == nil {
			return nil, errors.New("sftpserver: nil host key")
		}
		kt := k.PublicKey().Type()
		if kt == ssh.KeyAlgoRSA {
			algs := slices.DeleteFunc(slices.Clone(alg.HostKeys), func(a string) bool {
				return a != ssh.KeyAlgoRSASHA256 && a != ssh.KeyAlgoRSASHA512 &&
					(a != ssh.KeyAlgoRSA || !s.AllowInsecureAlgorithms)
			})
			mk, err := ssh.NewSignerWithAlgorithms(k.(ssh.AlgorithmSigner), algs)
			if err != nil {
				return nil, fmt.Errorf("sftpserver: RSA host key: %w", err)
			}
			k = mk
		} else if !slices.Contains(alg.HostKeys, kt) {
			continue
		}
		cfg.AddHostKey(k)
		added++
	}
	if added == 0 {
		return nil, errors.New("sftpserver: no host key matches the allowed host key algorithms")
	}
	return cfg, nil
}

func limit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0 // no limit
	}
	return v
}

func dur(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// ListenAndServe listens on each of s.Addrs (DefaultAddr when empty) and
// serves them all. It returns when any listener fails, or ErrServerClosed
// after Shutdown or Close.
func (s *Server) ListenAndServe() error {
	if err := s.init(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrServerClosed
	}
	addrs := s.Addrs
	if len(addrs) == 0 {
		addrs = []string{DefaultAddr}
	}
	var ls []net.Listener
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return err
		}
		ls = append(ls, l)
	}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() { errc <- s.Serve(l) }()
	}
	err := <-errc
	if !errors.Is(err, ErrServerClosed) {
		for _, l := range ls {
			l.Close()
		}
	}
	return err
}

// Serve accepts connections on l and serves each on its own goroutine. It
// can be called for several listeners at once. Serve always closes l and
// returns a non-nil error: ErrServerClosed after Shutdown or Close.
func (s *Server) Serve(l net.Listener) error {
	if err := s.init(); err != nil {
		l.Close()
		return err
	}
	if !s.trackListener(&l, true) {
		l.Close()
		return ErrServerClosed
	}
	defer s.trackListener(&l, false)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closed.Load() {
				return ErrServerClosed
			}
			// Retry what net/http retries (EMFILE, ECONNABORTED, …).
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("sftpserver: accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c, ok := s.admit(nc)
		if !ok {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closed.Load() {
			return false
		}
		s.listeners[l] = struct{}{}
	} else {
		delete(s.listeners, l)
	}
	return true
}

// admit applies the connection limits and registers the connection.
func (s *Server) admit(nc net.Conn) (*serverConn, bool) {
	ip := remoteIP(nc.RemoteAddr())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, false
	}
	if m := limit(s.MaxConns, 0); m > 0 && len(s.conns) >= m {
		s.log.Warn("sftpserver: connection refused: MaxConns reached", "remote", nc.RemoteAddr().String())
		return nil, false
	}
	if m := limit(s.MaxUnauthConns, DefaultMaxUnauthConns); m > 0 && s.unauth >= m {
		s.log.Warn("sftpserver: connection refused: MaxUnauthConns reached", "remote", nc.RemoteAddr().String())
		return nil, false
	}
	if m := limit(s.MaxConnsPerIP, 0); m > 0 && s.perIP[ip] >= m {
		s.log.Warn("sftpserver: connection refused: MaxConnsPerIP reached", "remote", nc.RemoteAddr().String())
		return nil, false
	}
	c := &serverConn{srv: s, nc: nc, ip: ip, id: fmt.Sprintf("c%d", s.nextConn.Add(1)), unauth: true}
	c.touch()
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	s.unauth++
	s.connWG.Add(1)
	return c, true
}

func (s *Server) release(c *serverConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	if c.unauth {
		c.unauth = false
		s.unauth--
	}
	s.connWG.Done()
}

func (s *Server) authenticated(c *serverConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.unauth {
		c.unauth = false
		s.unauth--
	}
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		if v4 := ta.IP.To4(); v4 != nil {
			return v4.String()
		}
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// closeListeners marks the server closed and closes its listeners.
func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed.Store(true)
	for l := range s.listeners {
		(*l).Close()
	}
}

// Shutdown stops the server gracefully: it closes the listeners, closes
// connections that are still authenticating or have no transfer in flight,
// and waits for the others to finish their open transfers (every handle
// closed), closing each as it becomes idle. It returns nil once every
// connection is closed and every event delivered, or ctx.Err() if ctx ends
// first, leaving the remaining connections open (call Close to end them).
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.init(); err != nil {
		return err
	}
	s.closeListeners()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if s.closeIdle() {
			s.connWG.Wait()
			s.deletes.Flush() // pending delayed deletes run now (DEL-06)
			s.deletes.Close()
			s.runOnShutdown()
			s.cancelCtx()
			s.events.close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// closeIdle closes idle connections and reports whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	conns := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		if c.idle() {
			c.nc.Close()
		}
	}
	return len(conns) == 0
}

// Close closes the listeners and every connection immediately; transfers in
// flight are aborted. It waits for the connections' goroutines to finish and
// the queued events to be delivered.
func (s *Server) Close() error {
	if err := s.init(); err != nil {
		return err
	}
	s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.connWG.Wait()
	s.deletes.Close() // pending delayed deletes are dropped (DEL-06)
	s.cancelCtx()
	s.events.close()
	return nil
}

// RegisterOnShutdown registers f to run once Shutdown has closed every
// connection, before it returns: work the sessions left for later (such as
// delayed deletes, vfs.DeleteScheduler.Flush) can be completed then. Close
// does not run them.
func (s *Server) RegisterOnShutdown(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onShutdown = append(s.onShutdown, f)
}

func (s *Server) runOnShutdown() {
	s.mu.Lock()
	fs := s.onShutdown
	s.onShutdown = nil
	s.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// DroppedEvents returns how many events were dropped because the event
// queue was full or the sink panicked.
func (s *Server) DroppedEvents() int64 {
	if s.events == nil {
		return 0
	}
	return s.events.dropped.Load()
}

// exitStatus is the payload of an "exit-status" channel request.
type exitStatus struct{ Status uint32 }

// sendExitStatus tells the client how the session ended, then closes ch.
func sendExitStatus(ch io.Closer, send func(string, bool, []byte) (bool, error), code uint32) {
	send("exit-status", false, ssh.Marshal(exitStatus{code}))
	ch.Close()
}
