module github.com/sftpkit/sftpkit

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/pkg/sftp v1.13.12
	github.com/spf13/afero v1.15.0
	golang.org/x/crypto v0.58.0
)

require (
	github.com/kr/fs v0.1.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)
