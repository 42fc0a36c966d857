package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sync/errgroup"
)

// Director kinds for Options.Director, real server kinds for
// Options.RealServer.
const (
	DirectorAuto = "auto" // a container where the kernel has IPVS, else a VM
	// RealServerAuto is containers: they are fast and light, and every mode
	// but tun works on them. Where the machine's kernel has no ipip (the
	// containers share it, so they cannot have tunl0) Create says that the
	// tun mode needs KindVM.
	RealServerAuto = "auto"
)

// Options say what lab to create. The zero value is the default lab.
type Options struct {
	Name        string // the lab's name; default DefaultName
	RealServers int    // default 2
	// Directors is the number of directors, default 1; two or more make
	// the lab of --ha (TopologyWith: the VIP and DIP float between them).
	Directors int
	Director  string // DirectorAuto (default), KindContainer or KindVM
	// RealServer is the real servers' kind: RealServerAuto (default),
	// KindContainer or KindVM (each its own qemu VM booting Debian's
	// kernel, as the director's: what the tun mode needs where the
	// machine's kernel has no ipip).
	RealServer string
	Paths      Paths // zero: NamedPaths(Name)
	// KeepOnError leaves a half-created lab in place for inspection; the
	// next Create or Destroy removes it.
	KeepOnError bool
	// BootTimeout bounds the wait for SSH on every host; default 6 minutes
	// (the VM needs 25-35 s on an idle 2-core machine, more under load).
	BootTimeout time.Duration
	// RSCPU caps each real server's CPU at RSCPU percent of one CPU (10: a
	// tenth of a core; up to 100 × CPUs); 0, the default, caps nothing.
	RSCPU int
}

// Create builds the lab and returns when every host answers SSH. A lab
// left by an earlier run (or a crash) is destroyed first. Progress lines
// go to progress.
func Create(ctx context.Context, opts Options, progress io.Writer) (lab *Lab, err error) {
	pr := newProgress(progress)
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	kind := chooseDirector(ctx, opts.Director, pr)
	rsKind := chooseRealServer(ctx, opts.RealServer, pr)
	hosts, err := TopologyKinds(opts.Name, opts.RealServers, opts.Directors, kind, rsKind)
	if err != nil {
		return nil, err
	}
	if err := checkMemory(hosts); err != nil {
		return nil, err
	}
	paths := opts.Paths
	unlock, err := lockLab(ctx, paths, pr)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := destroyAt(ctx, paths, pr, true); err != nil {
		return nil, fmt.Errorf("remove the previous lab: %w", err)
	}
	if err := ensureCache(ctx, paths, hosts, pr); err != nil {
		return nil, err
	}
	if err := makeDirs(paths); err != nil {
		return nil, err
	}

	lab = &Lab{Paths: paths, Director: kind, RealServer: rsKind, Hosts: hosts, Created: time.Now(), HostKeys: map[string]string{}, RSCPU: opts.RSCPU}
	defer func() {
		if err != nil && !opts.KeepOnError {
			pr.Printf("create failed; removing what was built")
			if derr := destroyAt(context.WithoutCancel(ctx), paths, pr, false); derr != nil {
				err = errors.Join(err, fmt.Errorf("clean up: %w", derr))
			}
		}
	}()
	if err := lab.save(); err != nil {
		return nil, err
	}
	if err := start(ctx, lab, pr, opts.BootTimeout); err != nil {
		return nil, err
	}
	pr.Printf("lab ready: %d hosts; inventory %s", len(lab.Hosts), paths.Inventory())
	return lab, nil
}

// withDefaults fills what opts leaves zero.
func (opts Options) withDefaults() Options {
	if opts.RealServers == 0 {
		opts.RealServers = 2
	}
	if opts.Directors == 0 {
		opts.Directors = 1
	}
	if opts.Director == "" {
		opts.Director = DirectorAuto
	}
	if opts.RealServer == "" {
		opts.RealServer = RealServerAuto
	}
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if opts.Paths == (Paths{}) {
		opts.Paths = NamedPaths(opts.Name)
	}
	opts.Paths.Name = opts.Name
	if opts.BootTimeout == 0 {
		opts.BootTimeout = 6 * time.Minute
	}
	return opts
}

// validate checks opts (defaults filled) and the machine's prerequisites
// before anything is built.
func (opts Options) validate() error {
	if err := checkName(opts.Name); err != nil {
		return err
	}
	kind := opts.Director
	if kind != DirectorAuto && kind != KindVM && kind != KindContainer {
		return invalidf("director %q: want %s, %s or %s", kind, DirectorAuto, KindContainer, KindVM)
	}
	if rs := opts.RealServer; rs != RealServerAuto && rs != KindVM && rs != KindContainer {
		return invalidf("realserver %q: want %s, %s or %s", rs, RealServerAuto, KindContainer, KindVM)
	}
	if _, err := TopologyWith(opts.Name, opts.RealServers, opts.Directors, KindVM); err != nil {
		return err
	}
	if _, _, err := sysCgroups().checkRSCPU(opts.RSCPU); err != nil {
		return err
	}
	if opts.RealServer == KindVM {
		kind = KindVM // the VM tools are needed whatever the director is
	}
	return checkPrereqs(kind)
}

// chooseDirector resolves DirectorAuto: a container where the kernel has
// IPVS, else a VM. Other kinds are returned as they are.
func chooseDirector(ctx context.Context, kind string, pr *progress) string {
	if kind != DirectorAuto {
		return kind
	}
	kind = KindVM
	if kernelHasIPVS(ctx) {
		kind = KindContainer
	}
	pr.Printf("director: %s (the kernel %s IPVS)", kind, map[bool]string{true: "has", false: "has no"}[kind == KindContainer])
	return kind
}

// chooseRealServer resolves RealServerAuto: containers, with a note where
// the kernel cannot make an ipip device (no tun mode on them). Other kinds
// are returned as they are.
func chooseRealServer(ctx context.Context, kind string, pr *progress) string {
	if kind != RealServerAuto {
		return kind
	}
	if !KernelHasIPIP(ctx) {
		pr.Printf("real servers: containers; this kernel has no ipip, so they cannot have tunl0: for `up --mode tun` create the lab with --realserver vm")
	}
	return KindContainer
}

// makeDirs creates the lab's directories and the .gitignore that keeps
// its generated files (a private key among them) out of a repository.
func makeDirs(paths Paths) error {
	for _, d := range []string{paths.Dir, paths.Data, paths.Run} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	ignore := filepath.Join(paths.Dir, ".gitignore")
	if err := os.WriteFile(ignore, []byte("# lvslab lab: generated, holds a private key\n*\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", ignore, err)
	}
	return nil
}

// ensureCache builds what is missing from the cache, one lab at a time.
// The cache is only read afterwards (the base is every container's lower
// layer, the VM's image is opened read-only).
func ensureCache(ctx context.Context, paths Paths, hosts []Host, pr *progress) error {
	unlock, err := lockCache(ctx, paths, pr)
	if err != nil {
		return err
	}
	defer unlock()
	if err := ensureBase(ctx, paths, pr); err != nil {
		return err
	}
	if countHosts(hosts, func(h Host) bool { return h.Kind == KindVM }) == 0 {
		return nil
	}
	if err := ensureVMImage(ctx, paths, pr); err != nil {
		return err
	}
	for _, h := range hosts {
		if h.Kind == KindVM && h.Group == GroupRealServers {
			return ensureRSVMImage(ctx, paths, pr)
		}
	}
	return nil
}

// start brings the lab up: network, relay, hosts, files for the user, and
// waits for SSH everywhere.
func start(ctx context.Context, lab *Lab, pr *progress, bootTimeout time.Duration) error {
	paths := lab.Paths
	loginKey, signer, err := userKey(paths.Key())
	if err != nil {
		return err
	}
	hostKeys := map[string]keyPair{}
	for _, h := range lab.Hosts {
		kp, err := newKeyPair("root@" + h.Name)
		if err != nil {
			return err
		}
		hostKeys[h.Name] = kp
		lab.HostKeys[h.Name] = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(kp.Public)))
	}

	pr.Printf("network: namespace %s with bridges %s, %s, %s", paths.Name, BridgePublic, BridgePrivate, BridgeMgmt)
	if err := setupNetwork(ctx, paths.Name, lab.Hosts); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	relay, err := startRelay(ctx, paths)
	lab.Procs = append(lab.Procs, relay...)
	if err := errors.Join(err, lab.save()); err != nil {
		return err
	}
	pr.Printf("apt relay: %s:80 -> %s", RouterMgmt, relayUpstream)

	// VMs boot slowest: they start first.
	ordered := append([]Host(nil), lab.Hosts...)
	vmFirst := func(h Host) int {
		if h.Kind == KindVM {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(ordered, func(a, b Host) int { return vmFirst(a) - vmFirst(b) })
	procs := map[string]Proc{}
	for _, h := range ordered {
		id, err := newMachineID()
		if err != nil {
			return err
		}
		files := hostFiles(h, id, hostKeys[h.Name], loginKey, lab.Hosts)
		var p Proc
		if h.Kind == KindVM {
			p, err = startVM(paths, h, files, id, lab.RSCPU)
			pr.Printf("%s: qemu vm booting (%s; console %s)", h.Name, nicList(h), paths.layout(h.Name).console)
		} else {
			var root string
			root, err = mountOverlay(paths, h.Name, files)
			if err == nil {
				lab.Mounts = append(lab.Mounts, root)
				p, err = startContainer(paths, h, root, lab.RSCPU)
				pr.Printf("%s: container booting (%s)", h.Name, h.NICs[0].Addr)
			}
		}
		if err != nil {
			return errors.Join(fmt.Errorf("%s: %w", h.Name, err), lab.save())
		}
		procs[h.Name] = p
		lab.Procs = append(lab.Procs, p)
		if err := lab.save(); err != nil {
			return err
		}
	}

	if err := writeFileAtomic(paths.KnownHosts(), []byte(knownHosts(lab)), 0o644); err != nil {
		return err
	}
	if err := writeFileAtomic(paths.Inventory(), []byte(inventoryYAML(lab)), 0o644); err != nil {
		return err
	}
	return waitAll(ctx, lab, procs, signer, hostKeys, pr, bootTimeout)
}

// waitAll waits for SSH on every host at once, reporting each as it comes
// up and, every 15 s, those still booting.
func waitAll(ctx context.Context, lab *Lab, procs map[string]Proc, signer ssh.Signer, keys map[string]keyPair, pr *progress, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var mu sync.Mutex
	pending := map[string]bool{}
	for _, h := range lab.Hosts {
		pending[h.Name] = true
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				mu.Lock()
				var names []string
				for _, h := range lab.Hosts {
					if pending[h.Name] {
						names = append(names, h.Name)
					}
				}
				mu.Unlock()
				pr.Printf("waiting for ssh: %s", strings.Join(names, ", "))
			}
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	for _, h := range lab.Hosts {
		g.Go(func() error {
			d, err := waitSSH(gctx, lab.Paths.Name, h, procs[h.Name], signer, keys[h.Name].Public, lab.Paths.layout(h.Name).console)
			if err != nil {
				return err
			}
			mu.Lock()
			delete(pending, h.Name)
			mu.Unlock()
			pr.Printf("%s: ssh up at %s after %.1fs (%s)", h.Name, h.MgmtAddr(), d.Seconds(), h.Kind)
			return nil
		})
	}
	return g.Wait()
}
