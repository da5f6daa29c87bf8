package sftpserver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
)

// Events of the self-service password change over SSH (SPEC PWD-06…PWD-08,
// SFTPPlus 20085 / 20086). Reason says why a change failed:
// "not-allowed", "unsupported", "incorrect-current", "mismatch", "policy",
// "no-input" or "error".
const (
	EventPasswordChanged      EventType = "password.changed"
	EventPasswordChangeFailed EventType = "password.change-failed"
)

// passwdCommand is the only exec command accepted, and only when the
// Authenticator implements auth.PasswordChanger.
const passwdCommand = "passwd"

// maxPasswdLine bounds one line of the passwd exchange (a password is at
// most 150 characters; this leaves room for 4-byte UTF-8).
const maxPasswdLine = 1024

// readLine reads one line from r without its "\n" or "\r\n"; a final line
// without a newline counts. It fails on lines over maxPasswdLine bytes.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		c, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && b.Len() > 0 {
				break
			}
			return "", err
		}
		if c == '\n' {
			break
		}
		if b.Len() >= maxPasswdLine {
			return "", errors.New("line too long")
		}
		b.WriteByte(c)
	}
	return strings.TrimSuffix(b.String(), "\r"), nil
}

// servePasswd runs the "ssh user@host passwd" exchange on ch (SPEC PWD-08):
// it prompts for the current password, the new one and its confirmation,
// one line each (there is no PTY and no echo control: OpenSSH's client
// shows what is typed unless stdin is not a terminal), asks pc to change
// the password, reports the result in one line, and ends with exit status
// 0 on success, 1 otherwise. The connection is closed afterwards.
func (c *serverConn) servePasswd(ctx context.Context, pc auth.PasswordChanger, id *auth.Identity, sid string, ch ssh.Channel) {
	s := c.srv
	defer c.touch()
	ev := Event{SessionID: sid, User: id.User, Remote: c.nc.RemoteAddr(), Local: c.nc.LocalAddr()}
	fail := func(reason, msg string, err error) {
		io.WriteString(ch.Stderr(), "passwd: "+msg+"\r\n")
		ev.Type, ev.Reason, ev.Err = EventPasswordChangeFailed, reason, err
		s.events.emit(ev)
		sendExitStatus(ch, ch.SendRequest, 1)
	}
	r := bufio.NewReader(ch)
	var answers [3]string
	prompts := [3]string{"Current password: ", "New password: ", "Retype new password: "}
	for i, p := range prompts {
		io.WriteString(ch, p)
		line, err := readLine(r)
		if err != nil {
			fail("no-input", "password unchanged (no input)", err)
			return
		}
		io.WriteString(ch, "\r\n")
		answers[i] = line
	}
	if answers[1] != answers[2] {
		fail("mismatch", "the new passwords do not match; password unchanged", auth.ErrPasswordMismatch)
		return
	}
	err := pc.ChangePassword(ctx, id, answers[0], answers[1])
	var pe *auth.PolicyError
	switch {
	case err == nil:
		io.WriteString(ch, "passwd: password updated successfully\r\n")
		ev.Type = EventPasswordChanged
		s.events.emit(ev)
		sendExitStatus(ch, ch.SendRequest, 0)
	case errors.Is(err, auth.ErrPasswordChangeNotAllowed):
		fail("not-allowed", "changing the password is not allowed for this account", err)
	case errors.Is(err, auth.ErrPasswordChangeUnsupported):
		fail("unsupported", "this server cannot change passwords", err)
	case errors.Is(err, auth.ErrPasswordIncorrect):
		fail("incorrect-current", "current password incorrect; password unchanged", err)
	case errors.As(err, &pe):
		fail("policy", "new password refused: "+strings.TrimPrefix(pe.Error(), "auth: ")+"; password unchanged", err)
	default:
		s.log.Error("sftpserver: password change failed", "session", sid, "user", id.User, "err", err)
		fail("error", "password change failed; password unchanged", err)
	}
}
