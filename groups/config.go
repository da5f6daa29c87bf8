package groups

import (
	"unicode/utf8"
)

// Config is a validated configuration: groups, accounts and the [server]
// section. It is immutable once returned by [Parse] or [LoadFile] and safe
// for concurrent use; the *Group and *Account values it hands out are
// shared and must not be modified.
type Config struct {
	// Server is the [server] section (zero when absent).
	Server Server
	// Warnings lists the problems that did not stop the configuration from
	// loading, in file order.
	Warnings []Warning

	file       string
	groups     map[string]*Group
	groupOrder []*Group
	accounts   []*Account
	byName     map[string]*Account
}

// File returns the name the configuration was parsed under.
func (c *Config) File() string { return c.file }

// Group returns the group with the given UUID, or nil.
func (c *Config) Group(uuid string) *Group { return c.groups[uuid] }

// Groups returns the groups in file order.
func (c *Config) Groups() []*Group { return append([]*Group(nil), c.groupOrder...) }

// Accounts returns the accounts in file order.
func (c *Config) Accounts() []*Account { return append([]*Account(nil), c.accounts...) }

// Account returns the account whose login name is name, or nil. Names are
// case-sensitive. A name longer than [MaxNameLen] characters is refused
// before any lookup (CFG-11).
func (c *Config) Account(name string) *Account {
	if len(name) > 4*MaxNameLen || utf8.RuneCountInString(name) > MaxNameLen {
		return nil
	}
	return c.byName[name]
}
