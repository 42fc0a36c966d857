#!/usr/bin/env python3
"""Writes golden.json in every case directory beside this script from what
ansible-core (2.14) says of the case's inventory: ansible-inventory --list,
ansible-inventory --host H for the hosts named in the case,
ansible-inventory --graph (its text), and
ansible PATTERN --list-hosts for every group and the case's patterns.

A case directory holds case.json: {"sources": [-i values, relative to the
case], "playbook_dir": optional, "patterns": [...], "hosts": [...]}.
Run it from anywhere: python3 internal/inventory/testdata/ansible/gen.py
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_PATTERN_MISMATCH="ignore",
           ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_LOCALHOST_WARNING="False")


def inv_args(case, spec):
    args = []
    for s in spec["sources"]:
        args += ["-i", s if "," in s and not os.path.exists(os.path.join(case, s)) else os.path.join(case, s)]
    return args


def run(cmd):
    return subprocess.run(cmd, env=ENV, check=True, capture_output=True, text=True).stdout


def list_hosts(case, spec, pattern):
    out = run(["ansible", *inv_args(case, spec), pattern, "--list-hosts"])
    lines = out.splitlines()
    return [l.strip() for l in lines[1:] if l.strip()] if lines else []


def gen(case):
    with open(os.path.join(case, "case.json")) as f:
        spec = json.load(f)
    args = inv_args(case, spec)
    if spec.get("playbook_dir"):
        args += ["--playbook-dir", os.path.join(case, spec["playbook_dir"])]
    listed = json.loads(run(["ansible-inventory", *args, "--list"]))
    hosts = {h: json.loads(run(["ansible-inventory", *args, "--host", h])) for h in spec.get("hosts", [])}
    patterns = {}
    for p in [g for g in listed if g != "_meta"] + spec.get("patterns", []):
        patterns[p] = list_hosts(case, spec, p)
    graph = run(["ansible-inventory", *args, "--graph"])
    golden = {"list": listed, "host": hosts, "patterns": patterns, "graph": graph}
    with open(os.path.join(case, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    version = run(["ansible", "--version"]).splitlines()[0]
    if "core 2.14" not in version:
        sys.exit("want ansible-core 2.14, have " + version)
    for name in sorted(os.listdir(HERE)):
        case = os.path.join(HERE, name)
        if os.path.isfile(os.path.join(case, "case.json")):
            gen(case)
            print("wrote", os.path.relpath(os.path.join(case, "golden.json")))


main()
