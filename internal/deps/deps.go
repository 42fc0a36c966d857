// Package deps pins the project's chosen modules while the packages that use them are written.
// Remove once every import below is used elsewhere.
package deps

import (
	_ "github.com/Masterminds/sprig/v3"
	_ "github.com/expr-lang/expr"
	_ "github.com/pkg/sftp"
	_ "github.com/urfave/cli/v2"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
)
