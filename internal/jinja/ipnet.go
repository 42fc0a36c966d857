package jinja

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// ipNet is python-netaddr's IPNetwork (0.8.0, as ansible.utils uses it):
// an address with its host bits kept, a prefix length and a version.
type ipNet struct {
	ip     *big.Int
	prefix int
	v6     bool
}

// width is the number of bits of the address family.
func (n ipNet) width() int {
	if n.v6 {
		return 128
	}
	return 32
}

// version is 4 or 6.
func (n ipNet) version() int {
	if n.v6 {
		return 6
	}
	return 4
}

// hostBits is width − prefix: the network has 2^hostBits addresses.
func (n ipNet) hostBits() int { return n.width() - n.prefix }

// pow2 is 2^k.
func pow2(k int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(k)) }

// maxInt is the largest address of the family.
func (n ipNet) maxInt() *big.Int { return new(big.Int).Sub(pow2(n.width()), big.NewInt(1)) }

// hostmask is the integer of the host bits set.
func (n ipNet) hostmask() *big.Int { return new(big.Int).Sub(pow2(n.hostBits()), big.NewInt(1)) }

// netmask is the integer of the network bits set.
func (n ipNet) netmask() *big.Int { return new(big.Int).Xor(n.maxInt(), n.hostmask()) }

// first is the network address.
func (n ipNet) first() *big.Int { return new(big.Int).And(n.ip, n.netmask()) }

// last is the last address of the network.
func (n ipNet) last() *big.Int { return new(big.Int).Or(n.ip, n.hostmask()) }

// size is the number of addresses.
func (n ipNet) size() *big.Int { return pow2(n.hostBits()) }

// hasBroadcast is false for IPv4 /31 and /32, whose broadcast netaddr
// says is None.
func (n ipNet) hasBroadcast() bool { return n.v6 || n.hostBits() > 1 }

// ipIsNetwork reports whether the address is the network address.
func (n ipNet) ipIsNetwork() bool { return n.ip.Cmp(n.first()) == 0 }

// cidr is the network with its host bits cleared.
func (n ipNet) cidr() ipNet { return ipNet{n.first(), n.prefix, n.v6} }

// String is str(IPNetwork): the address (host bits kept) and the prefix.
func (n ipNet) String() string { return formatIP(n.ip, n.v6) + "/" + strconv.Itoa(n.prefix) }

// contains reports whether all of o is inside n (netaddr's `o in n`).
func (n ipNet) contains(o ipNet) bool {
	return n.v6 == o.v6 && o.first().Cmp(n.first()) >= 0 && o.last().Cmp(n.last()) <= 0
}

// containsIP reports whether the address x (of n's family) is inside n.
func (n ipNet) containsIP(x *big.Int) bool { return x.Cmp(n.first()) >= 0 && x.Cmp(n.last()) <= 0 }

// less is netaddr's sort order of networks: version, first address,
// prefix, host bits.
func (n ipNet) less(o ipNet) bool {
	if n.v6 != o.v6 {
		return !n.v6
	}
	if c := n.first().Cmp(o.first()); c != 0 {
		return c < 0
	}
	if n.prefix != o.prefix {
		return n.prefix < o.prefix
	}
	return n.ip.Cmp(o.ip) < 0
}

// mustNet parses a constant network.
func mustNet(s string) ipNet {
	n, ok := parseNetwork(s)
	if !ok {
		panic("ipaddr: cannot reparse " + s)
	}
	return n
}

// parseNetwork is netaddr.IPNetwork(s): IPv4 (inet_pton, or a partial
// address such as "10.1" expanded), then IPv6; the prefix is a number,
// a netmask or a hostmask.
func parseNetwork(s string) (ipNet, bool) {
	for _, v6 := range []bool{false, true} {
		if n, ok := parseNetworkOf(s, v6); ok {
			return n, true
		}
	}
	return ipNet{}, false
}

func parseNetworkOf(s string, v6 bool) (ipNet, bool) {
	addr, mask, hasMask := strings.Cut(s, "/")
	var ip *big.Int
	var ok bool
	if v6 {
		ip, ok = inetPton6(addr)
	} else if ip, ok = inetPton4(addr); !ok {
		if exp, eok := expandPartial4(addr); eok {
			ip, ok = inetPton4(exp)
		}
	}
	if !ok {
		return ipNet{}, false
	}
	n := ipNet{ip: ip, v6: v6, prefix: 32}
	if v6 {
		n.prefix = 128
	}
	if hasMask {
		if p, ok := pyInt(mask); ok {
			n.prefix = p
		} else {
			m, ok := inetPton4(mask)
			if v6 {
				m, ok = inetPton6(mask)
			}
			if !ok {
				return ipNet{}, false
			}
			if n.prefix, ok = maskPrefix(m, n.width()); !ok {
				return ipNet{}, false
			}
		}
	}
	if n.prefix < 0 || n.prefix > n.width() {
		return ipNet{}, false
	}
	return n, true
}

// maskPrefix is the prefix of a netmask or, failing that, a hostmask.
func maskPrefix(m *big.Int, width int) (int, bool) {
	max := new(big.Int).Sub(pow2(width), big.NewInt(1))
	inv := new(big.Int).Xor(m, max)
	if isPow2(new(big.Int).Add(inv, big.NewInt(1))) {
		return width - inv.BitLen(), true
	}
	if isPow2(new(big.Int).Add(m, big.NewInt(1))) {
		return width - m.BitLen(), true
	}
	return 0, false
}

// isPow2 is netaddr's x & (x-1) == 0.
func isPow2(x *big.Int) bool {
	return new(big.Int).And(x, new(big.Int).Sub(x, big.NewInt(1))).Sign() == 0
}

// parseAddress is netaddr.IPAddress(s): IPv4 as inet_aton reads it
// ("10.1", octal "010", hex "0x0a"), then IPv6.
func parseAddress(s string) (ipNet, bool) {
	if ip, ok := inetAton(s); ok {
		return ipNet{ip: ip, prefix: 32}, true
	}
	if ip, ok := inetPton6(s); ok {
		return ipNet{ip: ip, prefix: 128, v6: true}, true
	}
	return ipNet{}, false
}

// inetPton4 is glibc's inet_pton(AF_INET): four decimal octets, no
// leading zeros.
func inetPton4(s string) (*big.Int, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return nil, false
	}
	var v uint64
	for _, p := range parts {
		if p == "" || len(p) > 3 || (len(p) > 1 && p[0] == '0') || strings.Trim(p, "0123456789") != "" {
			return nil, false
		}
		o, _ := strconv.Atoi(p)
		if o > 255 {
			return nil, false
		}
		v = v<<8 | uint64(o)
	}
	return new(big.Int).SetUint64(v), true
}

// expandPartial4 is netaddr's expand_partial_address: "10.1" is
// "10.1.0.0", each part read by Python's int().
func expandPartial4(s string) (string, bool) {
	if strings.Contains(s, ":") {
		return "", false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return "", false
	}
	out := make([]string, 4)
	for i := range out {
		out[i] = "0"
		if i < len(parts) {
			n, ok := pyInt(parts[i])
			if !ok {
				return "", false
			}
			out[i] = strconv.Itoa(n)
		}
	}
	return strings.Join(out, "."), true
}

// inetAton is glibc's inet_aton: one to four parts, each decimal, octal
// (leading 0) or hex (0x), the last filling the remaining bytes; anything
// after a space is ignored.
func inetAton(s string) (*big.Int, bool) {
	var parts []uint64
	i := 0
	for {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return nil, false
		}
		base, val, digit := uint64(10), uint64(0), false
		if s[i] == '0' {
			i++
			if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
				base = 16
				i++
			} else {
				base, digit = 8, true
			}
		}
		for ; i < len(s); i++ {
			c := s[i]
			d, ok := uint64(0), false
			switch {
			case c >= '0' && c <= '9' && (base != 8 || c < '8'):
				d, ok = uint64(c-'0'), true
			case c >= '0' && c <= '9':
				return nil, false
			case base == 16 && c >= 'a' && c <= 'f':
				d, ok = uint64(c-'a'+10), true
			case base == 16 && c >= 'A' && c <= 'F':
				d, ok = uint64(c-'A'+10), true
			}
			if !ok {
				break
			}
			val, digit = val*base+d, true
			if val > 0xffffffff {
				return nil, false
			}
		}
		if !digit {
			return nil, false
		}
		if i < len(s) && s[i] == '.' {
			if len(parts) > 2 || val > 0xff {
				return nil, false
			}
			parts = append(parts, val)
			i++
			continue
		}
		if i < len(s) && !strings.ContainsRune(" \t\n\v\f\r", rune(s[i])) {
			return nil, false
		}
		if val > 0xffffffff>>(8*len(parts)) {
			return nil, false
		}
		var v uint64
		for _, p := range parts {
			v = v<<8 | p
		}
		v = v<<(8*(4-len(parts))) | val
		return new(big.Int).SetUint64(v), true
	}
}

// inetPton6 is inet_pton(AF_INET6): no zone.
func inetPton6(s string) (*big.Int, bool) {
	if !strings.Contains(s, ":") || strings.Contains(s, "%") {
		return nil, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return nil, false
	}
	b := a.As16()
	return new(big.Int).SetBytes(b[:]), true
}

// formatIP is netaddr's str of an address: dotted quad, or glibc's
// inet_ntop for IPv6 (the longest run of two or more zero words as
// "::", and ::a.b.c.d or ::ffff:a.b.c.d for the IPv4 forms).
func formatIP(x *big.Int, v6 bool) string {
	if !v6 {
		v := x.Uint64()
		return fmt.Sprintf("%d.%d.%d.%d", v>>24&0xff, v>>16&0xff, v>>8&0xff, v&0xff)
	}
	var b [16]byte
	x.FillBytes(b[:])
	var w [8]int
	for i := range w {
		w[i] = int(b[2*i])<<8 | int(b[2*i+1])
	}
	best, bestLen, cur, curLen := -1, 0, -1, 0
	for i := 0; i < 8; i++ {
		if w[i] != 0 {
			cur = -1
			continue
		}
		if cur < 0 {
			cur, curLen = i, 0
		}
		curLen++
		if curLen > bestLen {
			best, bestLen = cur, curLen
		}
	}
	if bestLen < 2 {
		best = -1
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if best >= 0 && i >= best && i < best+bestLen {
			if i == best {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			fmt.Fprintf(&sb, "%d.%d.%d.%d", b[12], b[13], b[14], b[15])
			return sb.String()
		}
		fmt.Fprintf(&sb, "%x", w[i])
	}
	if best >= 0 && best+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}

// reverseDNS is netaddr's reverse_dns of an address.
func reverseDNS(x *big.Int, v6 bool) string {
	var parts []string
	if !v6 {
		v := x.Uint64()
		for i := 0; i < 4; i++ {
			parts = append(parts, strconv.FormatUint(v>>(8*i)&0xff, 10))
		}
		return strings.Join(parts, ".") + ".in-addr.arpa."
	}
	hex := fmt.Sprintf("%032x", x)
	for i := len(hex) - 1; i >= 0; i-- {
		parts = append(parts, hex[i:i+1])
	}
	return strings.Join(parts, ".") + ".ip6.arpa."
}

// pyInt is Python's int(s) of a string: spaces around, a sign, digits
// with single underscores between them.
func pyInt(s string) (int, bool) {
	x, ok := pyBigInt(s)
	if !ok || !x.IsInt64() {
		return 0, false
	}
	return int(x.Int64()), true
}

// pyBigInt is pyInt without a bound.
func pyBigInt(s string) (*big.Int, bool) {
	t := strings.TrimSpace(s)
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) > 1 || digits == "" || digits[0] == '_' || digits[len(digits)-1] == '_' ||
		strings.Contains(digits, "__") || strings.Trim(digits, "0123456789_") != "" {
		return nil, false
	}
	return new(big.Int).SetString(strings.ReplaceAll(t, "_", ""), 10)
}

// rangeToCIDRs is netaddr's iprange_to_cidrs: the fewest networks that
// cover first..last exactly.
func rangeToCIDRs(first, last *big.Int, v6 bool) []ipNet {
	width := 32
	if v6 {
		width = 128
	}
	var out []ipNet
	cur := new(big.Int).Set(first)
	one := big.NewInt(1)
	for cur.Cmp(last) <= 0 {
		hb := 0
		for hb < width {
			// A block of 2^(hb+1) must start at cur and end within last.
			if cur.Bit(hb) != 0 {
				break
			}
			end := new(big.Int).Add(cur, new(big.Int).Sub(pow2(hb+1), one))
			if end.Cmp(last) > 0 {
				break
			}
			hb++
		}
		out = append(out, ipNet{new(big.Int).Set(cur), width - hb, v6})
		cur.Add(cur, pow2(hb))
	}
	return out
}
