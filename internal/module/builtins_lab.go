package module

// labModules are the LVS lab modules (ipvs, iptables, ip_address, route, cert, http_check).
func labModules() map[string]Factory {
	return map[string]Factory{}
}
