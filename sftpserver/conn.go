package sftpserver

import (
	"context"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/internal/sftpadapter"
	"github.com/sftpkit/sftpkit/internal/sftpwire"
	"github.com/sftpkit/sftpkit/perms"
)

// Virtual owner ids every session sees on its files.
const (
	virtualUID = 1000
	virtualGID = 1000
)

// serverConn is one TCP connection.
type serverConn struct {
	srv *Server
	nc  net.Conn
	ic  *idleConn // nc as the SSH layer uses it
	ip  string
	id  string

	unauth bool // guarded by srv.mu

	lastUse  atomic.Int64 // unix nanoseconds
	starting atomic.Int32 // sessions being set up
	mu       sync.Mutex
	sessions map[*sftpadapter.Adapter]struct{}
}

func (c *serverConn) touch() { c.lastUse.Store(time.Now().UnixNano()) }

// idle reports whether Shutdown may close the connection now: it is still
// authenticating, or no session has a request in flight or a handle open and
// nothing happened for quietPeriod.
func (c *serverConn) idle() bool {
	c.srv.mu.Lock()
	unauth := c.unauth
	c.srv.mu.Unlock()
	if unauth {
		return true
	}
	if c.starting.Load() > 0 {
		return false
	}
	last := time.Unix(0, c.lastUse.Load())
	c.mu.Lock()
	defer c.mu.Unlock()
	for a := range c.sessions {
		if a.Busy() {
			return false
		}
		if t := a.IdleSince(); t.After(last) {
			last = t
		}
	}
	return time.Since(last) >= quietPeriod
}

func (c *serverConn) serve() {
	s := c.srv
	defer s.release(c)
	defer c.nc.Close()

	ctx, cancel := context.WithCancel(s.baseCtx)
	defer cancel()

	ic := &idleConn{Conn: c.nc, timeout: dur(s.IdleTimeout, DefaultIdleTimeout)}
	ic.interactive(true)
	c.ic = ic
	if ht := dur(s.HandshakeTimeout, DefaultHandshakeTimeout); ht > 0 {
		c.nc.SetDeadline(time.Now().Add(ht))
	}

	cfg := *s.template
	info := auth.ConnInfo{RemoteAddr: c.nc.RemoteAddr(), LocalAddr: c.nc.LocalAddr()}
	if err := s.Auth.Setup(ctx, info, &cfg); err != nil {
		s.log.Error("sftpserver: authenticator setup failed", "conn", c.id, "err", err)
		return
	}
	if (cfg.NoClientAuth && cfg.NoClientAuthCallback == nil) || (cfg.PasswordCallback == nil && cfg.PublicKeyCallback == nil &&
		cfg.KeyboardInteractiveCallback == nil && cfg.GSSAPIWithMICConfig == nil) {
		s.log.Error("sftpserver: the authenticator enabled no authentication method (or NoClientAuth without a callback); refusing the connection", "conn", c.id)
		return
	}
	noneNeverAuthenticates(&cfg)
	rejectWeakKeys(&cfg, limit(s.MinRSABits, DefaultMinRSABits))
	auth.LockUsername(&cfg)

	// The callbacks run on this goroutine during the handshake.
	var (
		attempts   int
		lastReason string
		lastUser   string
	)
	prev := cfg.AuthLogCallback
	cfg.AuthLogCallback = func(cm ssh.ConnMetadata, method string, err error) {
		if prev != nil {
			prev(cm, method, err)
		}
		if method == "none" {
			return
		}
		attempts++
		lastUser = cm.User()
		var pse *ssh.PartialSuccessError
		if err != nil && !errors.As(err, &pse) {
			lastReason = string(auth.ReasonOf(err))
			if lastReason == "" {
				lastReason = string(auth.ReasonBadCredentials)
			}
		}
	}

	sconn, chans, reqs, err := ssh.NewServerConn(ic, &cfg)
	if err != nil {
		if attempts > 0 {
			s.events.emit(Event{Type: EventAuthRejected, SessionID: c.id, Remote: c.nc.RemoteAddr(), Local: c.nc.LocalAddr(),
				User: lastUser, Reason: lastReason, Attempts: attempts})
		} else {
			s.log.Debug("sftpserver: handshake failed", "conn", c.id, "remote", c.nc.RemoteAddr().String(), "err", err)
		}
		return
	}
	defer sconn.Close()
	c.nc.SetDeadline(time.Time{})
	ic.start()

	id, err := auth.FromPermissions(sconn.Permissions)
	if err == nil && id.User != sconn.User() {
		err = fmt.Errorf("identity names %q but the connection authenticated as %q", id.User, sconn.User())
	}
	if err != nil {
		s.log.Error("sftpserver: authenticator bug: refusing connection", "conn", c.id, "err", err)
		s.events.emit(Event{Type: EventAuthRejected, SessionID: c.id, Remote: c.nc.RemoteAddr(), Local: c.nc.LocalAddr(),
			User: sconn.User(), Reason: "no-identity", Attempts: attempts})
		return
	}
	s.authenticated(c)
	c.touch()
	s.events.emit(Event{Type: EventAuthSucceeded, SessionID: c.id, Remote: c.nc.RemoteAddr(), Local: c.nc.LocalAddr(),
		User: id.User, Methods: id.Methods, Attempts: attempts})
	for _, n := range id.Notices {
		s.events.emit(Event{Type: EventType(n.Type), SessionID: c.id, Remote: c.nc.RemoteAddr(), Local: c.nc.LocalAddr(),
			User: id.User, Reason: n.Detail})
	}

	go ssh.DiscardRequests(reqs)

	var (
		wg     sync.WaitGroup
		active atomic.Int32
		n      int
	)
	maxSessions := limit(s.MaxSessionsPerConn, DefaultMaxSessionsPerConn)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		if maxSessions > 0 && int(active.Load()) >= maxSessions {
			nch.Reject(ssh.ResourceShortage, "too many sessions on this connection")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		n++
		sid := fmt.Sprintf("%s/%d", c.id, n)
		active.Add(1)
		c.touch()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer active.Add(-1)
			c.session(ctx, id, sid, ch, creqs, func() { sconn.Close() })
		}()
	}
	wg.Wait()
}

// session serves one session channel: it accepts exactly one "subsystem sftp"
// request — or, when the Authenticator implements auth.PasswordChanger, one
// "exec passwd" (SPEC PWD-08) — and refuses everything else (other exec
// commands, shell, pty, env, …).
func (c *serverConn) session(ctx context.Context, id *auth.Identity, sid string, ch ssh.Channel, reqs <-chan *ssh.Request, closeConn func()) {
	var done chan struct{}
	pc, canPasswd := c.srv.Auth.(auth.PasswordChanger)
	for req := range reqs {
		ok, passwd := false, false
		if req.Type == "subsystem" && done == nil {
			name, rest, valid := parseString(req.Payload)
			ok = valid && len(rest) == 0 && name == "sftp"
		}
		if req.Type == "exec" && done == nil && canPasswd {
			cmd, rest, valid := parseString(req.Payload)
			ok = valid && len(rest) == 0 && cmd == passwdCommand
			passwd = ok
		}
		req.Reply(ok, nil)
		if passwd {
			done = make(chan struct{})
			c.starting.Add(1) // Shutdown waits for the exchange
			go func() {
				defer close(done)
				defer c.starting.Add(-1)
				c.servePasswd(ctx, pc, id, sid, ch)
				closeConn() // the connection closes after the exchange (PWD-08)
			}()
			continue
		}
		if ok {
			done = make(chan struct{})
			c.starting.Add(1)
			go func() {
				defer close(done)
				c.serveSFTP(ctx, id, sid, ch)
			}()
		}
	}
	if done != nil {
		<-done
	} else {
		ch.Close()
	}
}

// parseString reads an SSH "string" (uint32 length + bytes) from b.
func parseString(b []byte) (s string, rest []byte, ok bool) {
	if len(b) < 4 {
		return "", nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return "", nil, false
	}
	return string(b[4 : 4+n]), b[4+n:], true
}

func (c *serverConn) serveSFTP(ctx context.Context, id *auth.Identity, sid string, ch ssh.Channel) {
	s := c.srv
	started := true
	defer func() {
		if started {
			c.starting.Add(-1)
		}
	}()
	base := Event{SessionID: sid, User: id.User, Remote: c.nc.RemoteAddr(), Local: c.nc.LocalAddr()}

	info := SessionInfo{Identity: id, SessionID: sid, Remote: c.nc.RemoteAddr(), Local: c.nc.LocalAddr(), Deletes: s.deletes}
	fsys, err := s.fs.NewFS(ctx, info)
	if err != nil {
		s.log.Error("sftpserver: cannot create the session's filesystem", "session", sid, "user", id.User, "err", err)
		io.WriteString(ch.Stderr(), "sftpkit: this account's files are not available\r\n")
		sendExitStatus(ch, ch.SendRequest, 1)
		return
	}
	if cl, ok := fsys.(io.Closer); ok {
		defer cl.Close()
	}
	var policy *perms.Policy
	if s.Policy != nil {
		if policy, err = s.Policy(ctx, info); err != nil || policy == nil {
			if err == nil {
				err = errors.New("nil policy")
			}
			s.log.Error("sftpserver: cannot build the session's permission policy", "session", sid, "user", id.User, "err", err)
			io.WriteString(ch.Stderr(), "sftpkit: this account's permissions are not available\r\n")
			sendExitStatus(ch, ch.SendRequest, 1)
			return
		}
	}

	maxHandles := limit(s.MaxHandlesPerSession, DefaultMaxHandlesPerSession)
	wire := sftpwire.Guard(ch, sftpwire.Options{MaxHandles: maxHandles})
	ad := sftpadapter.New(sftpadapter.Config{
		Fs:            fsys,
		Logger:        s.log.With("session", sid),
		Opened:        wire.Opened,
		MaxHandles:    maxHandles,
		AllowSymlinks: s.AllowSymlinks,
		Policy:        policy,
		UID:           virtualUID,
		GID:           virtualGID,
		UserName:      id.User,
		Observe: func(op sftpadapter.Op) {
			ev := base
			ev.Type = opEventType[op.Kind]
			ev.Path, ev.Target, ev.RequestedPath = op.Path, op.Target, op.RequestedPath
			ev.BytesRead, ev.BytesWritten = op.BytesRead, op.BytesWritten
			ev.Duration, ev.Aborted, ev.Delayed = op.Duration, op.Aborted, op.Delayed
			if op.Err != nil {
				ev.Err, ev.Status = op.Err, op.Err.Code()
			}
			if d := op.Denial; d != nil {
				ev.Permission = d.Need.String()
				ev.Rule, ev.RuleSource = d.RuleExpr, string(d.Source)
				if d.RuleIndex < 0 {
					ev.Rule = "(global)"
				}
			}
			s.events.emit(ev)
		},
	})
	c.mu.Lock()
	if c.sessions == nil {
		c.sessions = make(map[*sftpadapter.Adapter]struct{})
	}
	c.sessions[ad] = struct{}{}
	c.mu.Unlock()
	c.starting.Add(-1)
	started = false
	defer func() {
		c.mu.Lock()
		delete(c.sessions, ad)
		c.mu.Unlock()
		c.touch()
	}()

	start := time.Now()
	ev := base
	ev.Type = EventSessionStart
	s.events.emit(ev)

	// READs that reach pkg/sftp (not the wire's fast path) may return as
	// much as the fast path would.
	c.ic.interactive(false)
	rs := sftp.NewRequestServer(wire, ad.Handlers(), sftp.WithRSMaxTxPacket(sftpwire.DefaultMaxData))
	err = rs.Serve()
	code := uint32(0)
	if err != nil && !errors.Is(err, io.EOF) {
		code = 1
		s.log.Debug("sftpserver: session ended with an error", "session", sid, "err", err)
	}
	sendExitStatus(ch, ch.SendRequest, code)

	ev = base
	ev.Type = EventSessionEnd
	ev.Duration = time.Since(start)
	s.events.emit(ev)
}

var opEventType = map[sftpadapter.OpKind]EventType{
	sftpadapter.OpMkdir:    EventMkdir,
	sftpadapter.OpRmdir:    EventRmdir,
	sftpadapter.OpRemove:   EventRemove,
	sftpadapter.OpRename:   EventRename,
	sftpadapter.OpSetstat:  EventSetstat,
	sftpadapter.OpSymlink:  EventSymlink,
	sftpadapter.OpUpload:   EventUpload,
	sftpadapter.OpDownload: EventDownload,
	sftpadapter.OpTransfer: EventTransfer,
}

// errNoneRefused answers the "none" method when the authenticator's
// callback did not name the methods to use next.
var errNoneRefused = errors.New("sftpserver: the none method never authenticates")

// noneNeverAuthenticates wraps NoClientAuthCallback, which an authenticator
// may set only to tell the client, per account, which methods it may use
// (SPEC AUTH-07): the wrapped callback can return an unwrapped
// *ssh.PartialSuccessError naming those methods, or fail — never succeed,
// so "none" can never open a session.
func noneNeverAuthenticates(cfg *ssh.ServerConfig) {
	cb := cfg.NoClientAuthCallback
	if !cfg.NoClientAuth || cb == nil {
		cfg.NoClientAuth, cfg.NoClientAuthCallback = false, nil
		return
	}
	cfg.NoClientAuthCallback = func(cm ssh.ConnMetadata) (*ssh.Permissions, error) {
		_, err := cb(cm)
		if pse, ok := err.(*ssh.PartialSuccessError); ok {
			return nil, pse
		}
		return nil, errNoneRefused
	}
}

// rejectWeakKeys refuses RSA client keys (and certificates over them) shorter
// than minBits before the authenticator sees them.
func rejectWeakKeys(cfg *ssh.ServerConfig, minBits int) {
	cb := cfg.PublicKeyCallback
	if cb == nil || minBits <= 0 {
		return
	}
	cfg.PublicKeyCallback = func(cm ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		k := key
		if cert, ok := k.(*ssh.Certificate); ok {
			k = cert.Key
		}
		if ck, ok := k.(ssh.CryptoPublicKey); ok {
			if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < minBits {
				return nil, &auth.Failure{Reason: auth.ReasonWeakKey, User: cm.User()}
			}
		}
		return cb(cm, key)
	}
}

// idleConn closes the connection (through its deadline) once nothing was read
// or written for timeout. The deadline is pushed forward at most every
// timeout/16, so the cost per Read/Write is one clock read.
//
// Until the SFTP session starts it also acknowledges every read at once
// (quickAck): during the handshake, authentication and session set-up,
// OpenSSH's client sends some messages two at a time (NEWKEYS then
// SERVICE_REQUEST, for instance), and with Nagle's algorithm on its side and
// a delayed ACK on ours the second one waited 40 ms each time — most of a
// login's wall time on loopback. Once transfers start, replies carry the
// ACKs and the extra system call per read is not worth it.
type idleConn struct {
	net.Conn
	timeout time.Duration
	active  atomic.Bool
	next    atomic.Int64 // unix nanoseconds after which the deadline is refreshed
	quick   atomic.Bool  // acknowledge each read at once
}

// interactive turns the immediate acknowledgement of reads on or off.
func (c *idleConn) interactive(on bool) {
	c.quick.Store(on && quickAck(c.Conn))
}

func (c *idleConn) start() {
	if c.timeout > 0 {
		c.active.Store(true)
		c.extend()
	}
}

func (c *idleConn) extend() {
	if !c.active.Load() {
		return
	}
	now := time.Now()
	if now.UnixNano() < c.next.Load() {
		return
	}
	c.next.Store(now.Add(c.timeout / 16).UnixNano())
	c.Conn.SetDeadline(now.Add(c.timeout))
}

func (c *idleConn) Read(b []byte) (int, error) {
	c.extend()
	n, err := c.Conn.Read(b)
	if n > 0 && c.quick.Load() {
		quickAck(c.Conn)
	}
	return n, err
}

func (c *idleConn) Write(b []byte) (int, error) {
	c.extend()
	return c.Conn.Write(b)
}
