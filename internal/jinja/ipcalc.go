package jinja

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// ipwrap is ansible.utils' ipwrap: IPv6 addresses (of the query's
// result) in brackets, anything else as it was. Its wrapper binds only
// the value: a positional query is ignored, query= is not.
func ipwrap(in any, a args) (any, error) {
	if err := ipInput("ipwrap", in); err != nil {
		return nil, err
	}
	query := str(argText(a.get("query", "")))
	wrapped := func(x any) any {
		if r, err := ipaddr(x, "wrap", 0); err == nil {
			return r
		}
		return x
	}
	if l, ok := in.([]any); ok {
		out := make([]any, len(l))
		for i, e := range l {
			r, err := ipaddr(e, query, 0)
			if err != nil {
				return in, nil
			}
			out[i] = e
			if truthy(r) {
				out[i] = wrapped(e)
			}
		}
		return out, nil
	}
	r, err := ipaddr(in, query, 0)
	if err != nil || !truthy(r) {
		return in, nil
	}
	return wrapped(r), nil
}

// ipmath is ansible.utils' ipmath: the address (of a network, its own
// address) plus amount.
func ipmath(in any, a args) (any, error) {
	value := str(argText(in))
	amount, err := argInt("amount", a.get("amount", nil))
	if err != nil {
		return nil, err
	}
	var n ipNet
	var ok bool
	if strings.Contains(value, "/") {
		n, ok = parseNetwork(value)
	} else {
		n, ok = parseAddress(value)
	}
	if !ok {
		return nil, fmt.Errorf("You must pass a valid IP address; %s is invalid", value)
	}
	k, isInt := amount.(int)
	if !isInt {
		return nil, fmt.Errorf("You must pass an integer for arithmetic; %s is not a valid integer", str(amount))
	}
	x := new(big.Int).Add(n.ip, big.NewInt(int64(k)))
	if x.Sign() < 0 || x.Cmp(n.maxInt()) > 0 {
		return nil, fmt.Errorf("result outside valid IP address boundary!")
	}
	return formatIP(x, n.v6), nil
}

// ipNormalize is how ipsubnet, nthhost and the *_nth_usable filters read
// their input: an address with its prefix ("cidr"), a network as its
// subnet.
func ipNormalize(value any) (ipNet, bool) {
	s, ok := ipCanonical(value)
	if !ok {
		return ipNet{}, false
	}
	return parseNetwork(s)
}

// ipCanonical is ipaddr(value, 'cidr') for an address (its host bits
// kept), ipaddr(value, 'subnet') for a network; false for neither.
func ipCanonical(value any) (string, bool) {
	query := map[any]string{"address": "cidr", "network": "subnet"}
	t, _ := ipaddr(value, "type", 0)
	q, ok := query[t]
	if !ok {
		return "", false
	}
	s, _ := ipaddr(value, q, 0)
	return str(s), true
}

// ipsubnet is ansible.utils' ipsubnet: the subnet; with a prefix, the
// number of such subnets (of a network) or the supernet (of an address);
// with an index too, that subnet or supernet; with a network as query,
// the 1-based position of the input's subnet in it.
func ipsubnet(in any, a args) (any, error) {
	n, ok := ipNormalize(argText(in))
	if !ok {
		return false, nil
	}
	n = n.cidr()
	isNet := n.hostBits() > 0
	query := str(argText(a.get("query", "")))
	if query == "" {
		return n.String(), nil
	}
	total := n.width()
	if !isDigits(query) {
		return subnetPosition(n, query)
	}
	q, _ := strconv.Atoi(query)
	if q > total {
		return false, nil
	}
	idx, err := argInt("index", a.get("index", nil))
	if err != nil {
		return nil, err
	}
	if idx == nil {
		if !isNet {
			if q == total {
				return nil, fmt.Errorf("list index out of range")
			}
			return ipNet{n.ip, q, n.v6}.cidr().String(), nil
		}
		if q < n.prefix {
			return nil, fmt.Errorf("Requested subnet size of %d is invalid", q)
		}
		return pow2(q - n.prefix).String(), nil
	}
	i := idx.(int)
	if !isNet {
		if i > total+1-i || i < q-total {
			return false, nil
		}
		supernets := total - q
		if i < 0 {
			i += supernets
		}
		if i < 0 || i >= supernets {
			return nil, fmt.Errorf("list index out of range")
		}
		return ipNet{n.ip, q + i, n.v6}.cidr().String(), nil
	}
	if q < n.prefix {
		// 2 ** negative is a fraction: only index 0 is in range.
		if i != 0 {
			return false, nil
		}
	} else {
		subnets := pow2(q - n.prefix)
		x := big.NewInt(int64(i))
		if i < 0 {
			x.Add(x, subnets)
		}
		if x.Sign() < 0 || x.Cmp(subnets) >= 0 {
			return false, nil
		}
		i64 := x.Int64()
		i = int(i64)
	}
	addr := new(big.Int).Add(n.first(), new(big.Int).Lsh(big.NewInt(int64(i)), uint(total-q)))
	return ipNet{addr, q, n.v6}.String(), nil
}

// subnetPosition is ipsubnet with a network as query.
func subnetPosition(n ipNet, query string) (any, error) {
	s, ok := ipCanonical(query)
	q, parsed := parseNetwork(s)
	if !ok || !parsed {
		return nil, fmt.Errorf("You must pass a valid subnet or IP address; %s is invalid", query)
	}
	total := n.width()
	if q.width() > total || n.prefix < q.prefix {
		return nil, fmt.Errorf("%s is not in the subnet %s", n.cidr(), q.cidr())
	}
	shift := uint(total - q.prefix)
	if new(big.Int).Rsh(n.ip, shift).Cmp(new(big.Int).Rsh(q.ip, shift)) != 0 {
		return nil, fmt.Errorf("%s is not in the subnet %s", n.cidr(), q.cidr())
	}
	low := uint(total - n.prefix)
	mask := new(big.Int).Lsh(new(big.Int).Sub(pow2(n.prefix-q.prefix), big.NewInt(1)), low)
	pos := new(big.Int).Rsh(new(big.Int).And(n.ip, mask), low)
	return pos.Add(pos, big.NewInt(1)).String(), nil
}

// nthhost is ansible.utils' nthhost: the nth address of the network (from
// the end when negative).
func nthhost(in any, a args) (any, error) {
	n, ok := ipNormalize(argText(in))
	if !ok {
		return false, nil
	}
	q := a.get("query", nil)
	if q == nil || str(argText(q)) == "" {
		return false, nil
	}
	i, ok := pyInt(str(argText(q)))
	if !ok {
		return false, nil
	}
	x := big.NewInt(int64(i))
	if x.Cmp(n.size()) >= 0 {
		return false, nil
	}
	if i < 0 {
		x.Add(x, new(big.Int).Add(n.last(), big.NewInt(1)))
		if x.Cmp(n.first()) < 0 {
			return nil, fmt.Errorf("index out range for address range size!")
		}
	} else {
		x.Add(x, n.first())
	}
	return formatIP(x, n.v6), nil
}

// nthUsable is next_nth_usable (step 1) and previous_nth_usable (step
// -1): the address offset usable addresses away, if still usable.
func nthUsable(step int) func(in any, a args) (any, error) {
	return func(in any, a args) (any, error) {
		n, ok := ipNormalize(argText(in))
		if !ok {
			return false, nil
		}
		off, err := argInt("offset", a.get("offset", nil))
		if err != nil {
			return nil, err
		}
		k, isInt := off.(int)
		if !isInt {
			return nil, fmt.Errorf("Must pass in an integer")
		}
		if n.hostBits() == 0 {
			return nil, nil
		}
		x := new(big.Int).Add(n.ip, big.NewInt(int64(step*k)))
		if x.Sign() < 0 || x.Cmp(n.maxInt()) > 0 {
			return nil, fmt.Errorf("address out of range")
		}
		if f, l := usable(n); x.Cmp(f) >= 0 && x.Cmp(l) <= 0 {
			return formatIP(x, n.v6), nil
		}
		return nil, nil
	}
}

// networkIn is network_in_usable (usable: test within the usable
// addresses of value) and network_in_network (within all of them).
func networkIn(usable bool) func(in any, a args) (any, error) {
	return func(in any, a args) (any, error) {
		v, w := addressNormalizer(argText(in)), addressNormalizer(argText(a.get("test", nil)))
		vFirst, vLast := ipBound(v, "network", "address"), ipBound(v, "broadcast", "address")
		if usable {
			vFirst, vLast = ipBound(v, "first_usable", "address"), ipBound(v, "last_usable", "address")
		}
		wFirst, wLast := ipBound(w, "network", "address"), ipBound(w, "broadcast", "address")
		within := func(x *big.Int) bool { return vFirst.Cmp(x) <= 0 && x.Cmp(vLast) <= 0 }
		return within(wFirst) && within(wLast), nil
	}
}

// addressNormalizer is ansible.utils' _address_normalizer: the subnet of
// an address or network, or False.
func addressNormalizer(value any) any {
	if t, _ := ipaddr(value, "type", 0); t != "address" && t != "network" {
		return false
	}
	s, _ := ipaddr(value, "subnet", 0)
	return s
}

// ipBound is ipaddr(ipaddr(v, q1) or ipaddr(v, q2), 'int'), False as 0.
func ipBound(v any, q1, q2 string) *big.Int {
	r, _ := ipaddr(v, q1, 0)
	if !truthy(r) {
		r, _ = ipaddr(v, q2, 0)
	}
	x, _ := ipaddr(r, "int", 0)
	switch x := x.(type) {
	case int:
		return big.NewInt(int64(x))
	case string:
		if b, ok := new(big.Int).SetString(x, 10); ok {
			return b
		}
	}
	return new(big.Int)
}

// cidrMerge is ansible.utils' cidr_merge: the fewest networks covering
// the list ("merge"), or the smallest one spanning it ("span").
func cidrMerge(in any, a args) (any, error) {
	var items []string
	switch v := in.(type) {
	case []any:
		for _, e := range v {
			items = append(items, str(argText(e)))
		}
	case string:
		items = strings.Split(v, ",")
	case int, float64, bool:
		items = []string{str(v)}
	default:
		return nil, fmt.Errorf("argument 'value' is of type %s and we were unable to convert to list", pyClass(in))
	}
	nets := make([]ipNet, len(items))
	for i, s := range items {
		n, ok := parseNetwork(s)
		if !ok {
			return nil, fmt.Errorf("error in netaddr:\ninvalid IPNetwork %s", s)
		}
		nets[i] = n
	}
	switch action := str(argText(a.get("action", "merge"))); action {
	case "merge":
		return mergeNets(nets), nil
	case "span":
		return spanNets(nets)
	default:
		return nil, fmt.Errorf("invalid action '%s'", action)
	}
}

// mergeNets is netaddr's cidr_merge; a network merged with none keeps
// its host bits.
func mergeNets(nets []ipNet) []any {
	type span struct {
		v6          bool
		first, last *big.Int
		orig        *ipNet
	}
	spans := make([]span, len(nets))
	for i := range nets {
		spans[i] = span{nets[i].v6, nets[i].first(), nets[i].last(), &nets[i]}
	}
	sort.SliceStable(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		if a.v6 != b.v6 {
			return !a.v6
		}
		if c := a.last.Cmp(b.last); c != 0 {
			return c < 0
		}
		return a.first.Cmp(b.first) < 0
	})
	for i := len(spans) - 1; i > 0; i-- {
		cur, prev := spans[i], spans[i-1]
		if cur.v6 == prev.v6 && new(big.Int).Sub(cur.first, big.NewInt(1)).Cmp(prev.last) <= 0 {
			first := prev.first
			if cur.first.Cmp(first) < 0 {
				first = cur.first
			}
			spans[i-1] = span{cur.v6, first, cur.last, nil}
			spans = append(spans[:i], spans[i+1:]...)
		}
	}
	out := []any{}
	for _, s := range spans {
		if s.orig != nil {
			out = append(out, s.orig.String())
			continue
		}
		for _, n := range rangeToCIDRs(s.first, s.last, s.v6) {
			out = append(out, n.String())
		}
	}
	return out
}

// spanNets is netaddr's spanning_cidr (one network: as it is).
func spanNets(nets []ipNet) (any, error) {
	switch len(nets) {
	case 0:
		return nil, nil
	case 1:
		return nets[0].String(), nil
	}
	lo, hi := nets[0], nets[1]
	if !lo.less(hi) {
		lo, hi = hi, lo
	}
	for _, n := range nets[2:] {
		if n.less(lo) {
			lo = n
		}
		if hi.less(n) {
			hi = n
		}
	}
	if lo.v6 != hi.v6 {
		return nil, fmt.Errorf("error in netaddr:\nIP sequence cannot contain both IPv4 and IPv6!")
	}
	ip, prefix, lowest := hi.last(), hi.prefix, lo.first()
	for prefix > 0 && ip.Cmp(lowest) > 0 {
		prefix--
		ip = new(big.Int).AndNot(ip, new(big.Int).Sub(pow2(hi.width()-prefix), big.NewInt(1)))
	}
	return ipNet{ip, prefix, hi.v6}.String(), nil
}

// ip4Hex is ansible.utils' ip4_hex: the four numbers in hexadecimal.
func ip4Hex(in any, a args) (any, error) {
	parts := strings.Split(str(argText(in)), ".")
	sep := str(argText(a.get("delimiter", "")))
	var hex []string
	for _, p := range parts {
		n, ok := pyInt(p)
		if !ok {
			return nil, fmt.Errorf("invalid literal for int() with base 10: %s", pyQuote(p))
		}
		hex = append(hex, fmt.Sprintf("%02x", n))
	}
	if len(hex) < 4 {
		return nil, fmt.Errorf("Replacement index %d out of range for positional args tuple", len(hex))
	}
	return strings.Join(hex[:4], sep), nil
}
