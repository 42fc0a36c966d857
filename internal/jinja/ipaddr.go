package jinja

import "github.com/nikolalohinski/gonja/v2/exec"

// ipFilters are ansible.utils' ipaddr family.
func ipFilters() map[string]exec.FilterFunction { return map[string]exec.FilterFunction{} }
