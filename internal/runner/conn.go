package runner

import (
	"context"
	"strings"
	"sync"

	"lvslab/internal/host"
)

// Connector opens the one connection a run keeps to a host. vars are the
// host's variables (ansible_host, ansible_user, ...): its inventory
// variables, under the extra variables when the Connector is wrapped by
// WithExtraVars.
type Connector func(ctx context.Context, name string, vars map[string]any) (host.Executor, error)

// WithExtraVars returns a Connector that connects c with the extra
// variables (-e) over the host's own: as in Ansible, they have the highest
// precedence for connection variables too (-e ansible_host=10.0.0.9
// changes where a host is reached; an inventory's ansible_ssh_host still
// wins over an extra ansible_host, the ssh plugin preferring that
// spelling).
func WithExtraVars(c Connector, extra map[string]any) Connector {
	if len(extra) == 0 {
		return c
	}
	return func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
		return c(ctx, name, ConnVars(vars, extra))
	}
}

// ConnVars returns the variables a host connects with: a copy of vars with
// extra set over them.
func ConnVars(vars, extra map[string]any) map[string]any {
	out := make(map[string]any, len(vars)+len(extra))
	for k, v := range vars {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// pool dials each host once, on first use, and keeps the connection for the
// whole run.
type pool struct {
	connect Connector
	mu      sync.Mutex
	conns   map[string]*conn
}

type conn struct {
	once sync.Once
	exec host.Executor
	err  error
}

func newPool(c Connector) *pool { return &pool{connect: c, conns: map[string]*conn{}} }

func (p *pool) get(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
	c, _ := p.entry(name)
	return p.dial(ctx, c, name, vars)
}

// entry returns name's connection, creating an undialed one (and reporting
// it as new) when there is none.
func (p *pool) entry(name string) (c *conn, created bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.conns[name]
	if !ok {
		c = &conn{}
		p.conns[name] = c
	}
	return c, !ok
}

// dial connects c on its first call; later calls wait for that one and
// return its result.
func (p *pool) dial(ctx context.Context, c *conn, name string, vars map[string]any) (host.Executor, error) {
	c.once.Do(func() {
		c.exec, c.err = p.connect(ctx, name, vars)
		if c.err != nil {
			c.exec = nil
		}
	})
	return c.exec, c.err
}

// drop forgets a broken connection so that it is closed and never reused.
func (p *pool) drop(name string) {
	p.mu.Lock()
	c := p.conns[name]
	delete(p.conns, name)
	p.mu.Unlock()
	if c != nil && c.exec != nil {
		c.exec.Close()
	}
}

// dropHost drops every connection to name: its own and those as another
// remote_user (taskExecutor's keys).
func (p *pool) dropHost(name string) {
	p.mu.Lock()
	var keys []string
	for k := range p.conns {
		if k == name || strings.HasPrefix(k, name+"\x00") {
			keys = append(keys, k)
		}
	}
	p.mu.Unlock()
	for _, k := range keys {
		p.drop(k)
	}
}

func (p *pool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range p.conns {
		if c.exec != nil {
			wg.Add(1)
			go func(e host.Executor) { defer wg.Done(); e.Close() }(c.exec)
		}
	}
	wg.Wait()
	p.conns = map[string]*conn{}
}
