// Package perms will hold sftpkit's SFTPPlus-style permission rules: a global
// permission set plus ordered path rules with ${USER} expansion, first match
// wins, deny beats allow, compiled once per session and explainable.
//
// Not built yet: the spine (issue 2) serves every session with full control
// inside its jail. The specification is SPEC §7 and §8 (tests PERM-xx, OP-xx).
package perms
