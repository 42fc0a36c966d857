package runner

import (
	"context"
	"sync"

	"lvslab/internal/host"
)

// Connector opens the one connection a run keeps to a host. vars are the
// host's inventory variables (ansible_host, ansible_user, ...).
type Connector func(ctx context.Context, name string, vars map[string]any) (host.Executor, error)

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
