package module

// builtins lists the modules of this package by name; Default registers them.
func builtins() map[string]Factory {
	return map[string]Factory{
		"command":    func() Module { return &Command{} },
		"shell":      func() Module { return &Shell{} },
		"copy":       func() Module { return &Copy{} },
		"template":   func() Module { return &Template{} },
		"file":       func() Module { return &File{} },
		"lineinfile": func() Module { return &LineInFile{} },
		"package":    func() Module { return &Package{} },
		"apt":        func() Module { return &Apt{} },
		"yum":        func() Module { return &Yum{} },
		"dnf":        func() Module { return &Yum{} },
		"service":    func() Module { return &Service{} },
		"systemd":    func() Module { return &Systemd{} },
		// systemd_service is the name of systemd since Ansible 2.15.
		"systemd_service": func() Module { return &Systemd{} },
		"sysctl":          func() Module { return &Sysctl{} },
		"wait_for":        func() Module { return &WaitFor{} },
		"assert":          func() Module { return &Assert{} },
		"debug":           func() Module { return &Debug{} },
		"fail":            func() Module { return &Fail{} },
		"set_fact":        func() Module { return &SetFact{} },
		"ipvs":            func() Module { return &IPVS{} },
		"iptables":        func() Module { return &IPTables{} },
		"ip_address":      func() Module { return &IPAddress{} },
		"route":           func() Module { return &Route{} },
		"cert":            func() Module { return &Cert{} },
		"http_check":      func() Module { return &HTTPCheck{} },
		"ping":            func() Module { return &Ping{} },
		"setup":           func() Module { return &Setup{} },
		"pause":           func() Module { return &Pause{} },
		"mysql_db":        func() Module { return &MySQLDB{} },
		"mysql_user":      func() Module { return &MySQLUser{} },
		"apt_repository":  func() Module { return &AptRepository{} },
		"debconf":         func() Module { return &Debconf{} },
		"stat":            func() Module { return &Stat{} },
		"blockinfile":     func() Module { return &BlockInFile{} },
		"ini_file":        func() Module { return &IniFile{} },
		"replace":         func() Module { return &Replace{} },
	}
}
