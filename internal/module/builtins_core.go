package module

// coreModules are the general-purpose modules (command, shell, files, packages, services, ...).
func coreModules() map[string]Factory {
	return map[string]Factory{
		"command":    func() Module { return &Command{} },
		"shell":      func() Module { return &Shell{} },
		"copy":       func() Module { return &Copy{} },
		"template":   func() Module { return &Template{} },
		"file":       func() Module { return &File{} },
		"lineinfile": func() Module { return &LineInFile{} },
		"package":    func() Module { return &Package{} },
		"service":    func() Module { return &Service{} },
		"sysctl":     func() Module { return &Sysctl{} },
		"wait_for":   func() Module { return &WaitFor{} },
		"assert":     func() Module { return &Assert{} },
		"debug":      func() Module { return &Debug{} },
		"fail":       func() Module { return &Fail{} },
		"set_fact":   func() Module { return &SetFact{} },
	}
}
