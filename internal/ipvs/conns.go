package ipvs

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Conn is one entry of the kernel's connection table, as ipvsadm -Lnc
// prints it:
//
//	IPVS connection entries
//	pro expire state       source             virtual            destination
//	TCP 14:59  ESTABLISHED 172.17.1.100:50000 172.17.1.6:80      192.168.30.107:80
//	IP  04:50  NONE        172.17.1.100:0     0.0.0.99:0         192.168.30.7:0
//
// (the IP entry is a persistence template; for a fwmark service its
// virtual address is the mark).
type Conn struct {
	Protocol string        // tcp, udp, sctp, or ip for a persistence template
	Expire   time.Duration // time left, in whole seconds
	State    string        // ESTABLISHED, TIME_WAIT, NONE, ...
	Client   netip.AddrPort
	Virtual  netip.AddrPort
	Dest     netip.AddrPort
}

// String returns c as a line of ipvsadm -Lnc.
func (c Conn) String() string {
	secs := int(c.Expire / time.Second)
	return fmt.Sprintf("%-3s %02d:%02d  %-11s %-18s %-18s %s", strings.ToUpper(c.Protocol), secs/60, secs%60,
		c.State, c.Client, c.Virtual, c.Dest)
}

// maxExpireMinutes bounds what an expire may say (the kernel's timeouts
// are far shorter), so that it fits a time.Duration.
const maxExpireMinutes = 1 << 20

// connHeaders start the title lines of ipvsadm -Lnc.
var connHeaders = []string{"IPVS connection entries", "pro expire state"}

// ParseConns parses `ipvsadm -Lnc`. Words after the destination (the
// persistence engine's data) are ignored.
func ParseConns(text string) ([]Conn, error) {
	var conns []Conn
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || hasAnyPrefix(strings.TrimSpace(line), connHeaders) {
			continue
		}
		c, err := parseConn(f)
		if err != nil {
			return nil, fmt.Errorf("ipvsadm -Lnc line %d: %w", n+1, err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func parseConn(f []string) (Conn, error) {
	if len(f) < 6 {
		return Conn{}, fmt.Errorf("want protocol, expire, state, source, virtual and destination in %q", strings.Join(f, " "))
	}
	if strings.Trim(f[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		return Conn{}, fmt.Errorf("bad protocol %q", f[0])
	}
	c := Conn{Protocol: strings.ToLower(f[0]), State: f[2]}
	min, sec, ok := strings.Cut(f[1], ":")
	m, err1 := strconv.Atoi(min)
	s, err2 := strconv.Atoi(sec)
	if !ok || err1 != nil || err2 != nil || m < 0 || m > maxExpireMinutes || s < 0 || s > 59 {
		return c, fmt.Errorf("bad expire %q", f[1])
	}
	c.Expire = time.Duration(m*60+s) * time.Second
	for i, p := range []*netip.AddrPort{&c.Client, &c.Virtual, &c.Dest} {
		ap, hasPort, err := parseAddrPort(f[3+i], 0)
		if err != nil || !hasPort {
			return c, fmt.Errorf("bad address %q", f[3+i])
		}
		*p = ap
	}
	return c, nil
}

// FormatConns returns conns as ipvsadm -Lnc prints them.
func FormatConns(conns []Conn) string {
	var b strings.Builder
	b.WriteString("IPVS connection entries\npro expire state       source             virtual            destination\n")
	for _, c := range conns {
		b.WriteString(c.String() + "\n")
	}
	return b.String()
}
