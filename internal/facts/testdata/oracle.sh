#!/bin/sh
# oracle.sh records, on this machine, what Ansible's setup module says
# (ansible-setup.json: the facts both setup and facts.Script can know, the
# volatile ones left out) and what facts.Script prints (script-output.txt).
# TestParseMatchesAnsible compares facts.Parse of the one with the other.
# Run it from anywhere, with ansible-core (2.14) installed:
#   sh internal/facts/testdata/oracle.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
go run printscript.go >script-output.txt
ansible localhost -m setup 2>/dev/null | sed -n '/^{/,$p;/ => {$/,$p' | sed '1s/^.* => {$/{/' | python3 -c '
import json, sys
f = json.load(sys.stdin)["ansible_facts"]
f = {k[len("ansible_"):]: v for k, v in f.items() if k.startswith("ansible_")}
keep = ["architecture", "machine", "system", "kernel", "kernel_version",
        "distribution", "distribution_version", "distribution_major_version",
        "distribution_minor_version", "distribution_release", "os_family",
        "hostname", "nodename", "fqdn", "domain", "pkg_mgr", "service_mgr",
        "processor_count", "processor_cores", "processor_threads_per_core",
        "processor_vcpus", "processor_nproc", "memtotal_mb",
        "default_ipv4", "all_ipv4_addresses", "interfaces"]
out = {k: f[k] for k in keep if k in f}
out["interfaces"] = sorted(out.get("interfaces", []))
for name in out["interfaces"]:
    i = f[name.replace("-", "_")]
    # speed, pciid, module, features, ipv6 and the like are not gathered
    out[name.replace("-", "_")] = {k: v for k, v in i.items()
        if k in ("device", "active", "macaddress", "mtu", "type", "promisc", "ipv4", "ipv4_secondaries", "interfaces")}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
' >ansible-setup.json
echo "wrote $here/ansible-setup.json and $here/script-output.txt"
