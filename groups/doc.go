// Package groups will hold sftpkit's accounts and groups: DEFAULT_GROUP,
// Inherit resolution with provenance, source-IP association, and the text
// configuration that drives them.
//
// Not built yet: the spine (issue 2) uses auth.Static accounts. The
// specification is SPEC §1–§4 and §12.
package groups
