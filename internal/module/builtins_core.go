package module

// coreModules are the general-purpose modules (command, shell, files, packages, services, ...).
func coreModules() map[string]Factory {
	return map[string]Factory{}
}
