package loadrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"lvslab/internal/host"
)

// AgentDir is where Deploy puts the agent on a host.
const AgentDir = "/var/lib/lvslab/agent"

// Uploader runs commands on a host and uploads files to it (host.Executor
// has these methods).
type Uploader interface {
	Runner
	Upload(ctx context.Context, r io.Reader, dst string, opts host.FileOpts) error
}

// unameMachine maps GOARCH to what `uname -m` says on Linux.
var unameMachine = map[string][]string{
	"amd64":   {"x86_64"},
	"arm64":   {"aarch64", "arm64"},
	"386":     {"i386", "i486", "i586", "i686"},
	"arm":     {"armv6l", "armv7l", "armv8l"},
	"ppc64le": {"ppc64le"},
	"s390x":   {"s390x"},
	"riscv64": {"riscv64"},
}

// Deploy makes sure the host has the binary at local (this lvslab) as its
// load agent: at dir/lvslab-HASH (AgentDir for lvslab load), checked by its SHA-256 before and
// after an upload, which is atomic. It returns the path and whether it
// uploaded. Older agents there are removed. The host must be Linux of this
// binary's architecture.
func Deploy(ctx context.Context, x Uploader, hostName, local, dir string) (string, bool, error) {
	sum, err := host.LocalSHA256(local)
	if err != nil {
		return "", false, fmt.Errorf("hash %s: %w", local, err)
	}
	path := dir + "/lvslab-" + sum[:16]
	qp := host.Quote(path)
	probe := "uname -sm; if [ -f " + qp + " ]; then sha256sum " + qp + "; fi"
	res, err := x.Run(ctx, probe, host.RunOpts{})
	if err != nil {
		return "", false, err
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if err := checkPlatform(hostName, lines[0]); err != nil {
		return "", false, err
	}
	if len(lines) > 1 && strings.HasPrefix(lines[1], sum+" ") {
		return path, false, nil
	}
	if res, err := x.Run(ctx, "mkdir -p "+host.Quote(dir), host.RunOpts{}); err != nil {
		return "", false, err
	} else if res.ExitCode != 0 {
		return "", false, fmt.Errorf("mkdir %s on %s: %s", dir, hostName, lastLine(res.Stderr))
	}
	f, err := os.Open(local)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	if err := x.Upload(ctx, f, path, host.FileOpts{Mode: 0o755}); err != nil {
		return "", false, fmt.Errorf("upload the load agent to %s: %w", hostName, err)
	}
	// Check what landed, and remove the agents of other lvslab builds.
	check := "sha256sum " + qp + " && for f in " + host.Quote(dir) + "/lvslab-*; do [ \"$f\" = " + qp + " ] || rm -f \"$f\"; done"
	res, err = x.Run(ctx, check, host.RunOpts{})
	if err != nil {
		return "", false, err
	}
	if !strings.HasPrefix(res.Stdout, sum+" ") {
		return "", false, fmt.Errorf("the load agent on %s has SHA-256 %q after the upload, want %s", hostName, strings.Fields(res.Stdout + " ?")[0], sum)
	}
	return path, true, nil
}

// checkPlatform checks `uname -sm` of the host against this binary.
func checkPlatform(hostName, uname string) error {
	f := strings.Fields(uname)
	if len(f) != 2 {
		return fmt.Errorf("%s: uname -sm said %q", hostName, uname)
	}
	for _, m := range unameMachine[runtime.GOARCH] {
		if f[0] == "Linux" && runtime.GOOS == "linux" && f[1] == m {
			return nil
		}
	}
	return fmt.Errorf("%s is %s %s, this lvslab is built for %s/%s: build lvslab for it (GOOS=linux GOARCH=...), or load --from controller",
		hostName, f[0], f[1], runtime.GOOS, runtime.GOARCH)
}
